/**
 * Redis keys of the batch records (under the queue prefix, so one prefix isolates a deployment).
 * Batch records are named by their random server-chosen id and carry their tenant in a field (the
 * queue events that update them carry the job id alone); the names callers choose are per tenant.
 */
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

  /** The completed Result of a tenant's problem with its requestId (the problem's idempotency key). */
  solved(tenant: string, requestId: string): string {
    return `${this.tenantBase(tenant)}solved:${requestId}`;
  }

  /** The job id solving a tenant's requestId right now (its owner). */
  solving(tenant: string, requestId: string): string {
    return `${this.tenantBase(tenant)}solving:${requestId}`;
  }

  /** The jobs of other batches waiting for the owner of a tenant's requestId: job id → job JSON. */
  waiting(tenant: string, requestId: string): string {
    return `${this.tenantBase(tenant)}waiting:${requestId}`;
  }

  /** The fingerprint of the problem a tenant's requestId names (a different problem with it is a conflict). */
  asked(tenant: string, requestId: string): string {
    return `${this.tenantBase(tenant)}asked:${requestId}`;
  }

  /** index → the caller's requestId, for the problems of a batch that have one; field `tenant`: the batch's tenant. */
  requestIds(batchId: string): string {
    return `${this.prefix}:slm:batch:${batchId}:request-ids`;
  }

  /** Waiting jobs to act on once their owner finished: answer from its result, or solve themselves. */
  handovers(): string {
    return `${this.prefix}:slm:handovers`;
  }

  /** The key prefix the Lua scripts build a requestId's keys from (`<prefix>:slm:`, then `t:<tenant>:`). */
  get base(): string {
    return `${this.prefix}:slm:`;
  }

  /** A tenant's idempotency key → `<batch id> <fingerprint of the batch body>`. */
  idempotency(tenant: string, key: string): string {
    return `${this.tenantBase(tenant)}idem:${key}`;
  }

  /** Keys a caller names (requestIds, idempotency keys) live under their tenant: another tenant's same name is another key. */
  private tenantBase(tenant: string): string {
    return `${this.prefix}:slm:t:${tenant}:`;
  }

  lastEvent(queue: string): string {
    return `${this.prefix}:slm:last-event:${queue}`;
  }
}
