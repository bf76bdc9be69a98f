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

  /** The job id solving a caller's requestId right now (its owner). */
  solving(requestId: string): string {
    return `${this.prefix}:slm:solving:${requestId}`;
  }

  /** The jobs of other batches waiting for the owner of a requestId: job id → job JSON. */
  waiting(requestId: string): string {
    return `${this.prefix}:slm:waiting:${requestId}`;
  }

  /** index → the caller's requestId, for the problems of a batch that have one. */
  requestIds(batchId: string): string {
    return `${this.prefix}:slm:batch:${batchId}:request-ids`;
  }

  /** Waiting jobs to act on once their owner finished: answer from its result, or solve themselves. */
  handovers(): string {
    return `${this.prefix}:slm:handovers`;
  }

  /** The key prefix the Lua scripts build a requestId's keys from (`<prefix>:slm:`). */
  get base(): string {
    return `${this.prefix}:slm:`;
  }

  idempotency(key: string): string {
    return `${this.prefix}:slm:idempotency:${key}`;
  }

  lastEvent(queue: string): string {
    return `${this.prefix}:slm:last-event:${queue}`;
  }
}
