/**
 * Redis keys of the batch records (under the queue prefix, so one prefix isolates a deployment).
 * Batch records are named by their random server-chosen id and carry their tenant in a field (the
 * queue events that update them carry the job id alone); the names callers choose are per tenant.
 *
 * On a Redis Cluster every key here shares one hash tag, `{<prefix>:slm}`, so one slot: the Lua
 * scripts record an outcome, advance the queue's event cursor and hand a requestId over in one
 * atomic step, across the keys of a batch, of a requestId and of the queue's cursor.
 */
export class BatchKeys {
  /** `<prefix>:slm:`, or `{<prefix>:slm}:` on a cluster (the hash tag). */
  private readonly root: string;

  constructor(prefix: string, cluster = false) {
    this.root = cluster ? `{${prefix}:slm}:` : `${prefix}:slm:`;
  }

  batch(id: string): string {
    return `${this.root}batch:${id}`;
  }

  results(id: string): string {
    return `${this.root}batch:${id}:results`;
  }

  /** One character per problem: the domain its job went to (m, c, s). */
  domains(id: string): string {
    return `${this.root}batch:${id}:domains`;
  }

  active(id: string): string {
    return `${this.root}batch:${id}:active`;
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
    return `${this.root}batch:${batchId}:request-ids`;
  }

  /** Waiting jobs to act on once their owner finished: answer from its result, or solve themselves. */
  handovers(): string {
    return `${this.root}handovers`;
  }

  /** The key prefix the Lua scripts build a requestId's keys from (`<prefix>:slm:` or `{<prefix>:slm}:`, then `t:<tenant>:`). */
  get base(): string {
    return this.root;
  }

  /** A tenant's idempotency key → `<batch id> <fingerprint of the batch body>`. */
  idempotency(tenant: string, key: string): string {
    return `${this.tenantBase(tenant)}idem:${key}`;
  }

  /** Keys a caller names (requestIds, idempotency keys) live under their tenant: another tenant's same name is another key. */
  private tenantBase(tenant: string): string {
    return `${this.root}t:${tenant}:`;
  }

  lastEvent(queue: string): string {
    return `${this.root}last-event:${queue}`;
  }

  /** Batches still running, every tenant: batch id → created at (ms). What the metrics and the dashboard list. */
  running(): string {
    return `${this.root}running`;
  }

  /** Batches seen finished lately: batch id → when (ms); the dashboard shows them a minute longer. */
  finished(): string {
    return `${this.root}finished`;
  }
}
