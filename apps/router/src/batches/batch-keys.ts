/** Redis keys of the batch records (under the queue prefix, so one prefix isolates a deployment). */
export class BatchKeys {
  constructor(private readonly prefix: string) {}

  batch(id: string): string {
    return `${this.prefix}:slm:batch:${id}`;
  }

  results(id: string): string {
    return `${this.prefix}:slm:batch:${id}:results`;
  }

  /** One character per problem: the domain its job went to (m, c, s). */
  domains(id: string): string {
    return `${this.prefix}:slm:batch:${id}:domains`;
  }

  active(id: string): string {
    return `${this.prefix}:slm:batch:${id}:active`;
  }

  /** The completed Result of a problem with the caller's requestId (its idempotency key). */
  solved(requestId: string): string {
    return `${this.prefix}:slm:solved:${requestId}`;
  }

  idempotency(key: string): string {
    return `${this.prefix}:slm:idempotency:${key}`;
  }

  lastEvent(queue: string): string {
    return `${this.prefix}:slm:last-event:${queue}`;
  }
}
