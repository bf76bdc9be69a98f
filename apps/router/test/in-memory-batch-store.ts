import { batchJobId, type Result } from '@slm/contracts';
import {
  BatchStore,
  type Claim,
  type EventCursor,
  type HandoverEntry,
  type IdempotencyClaim,
  type NewBatch,
  type Outcome,
  type OutcomeRecord,
  type RequestClaim,
  type RunningBatch,
  type StoredBatch,
} from '../src/batches/batch-store';
import { ANONYMOUS_TENANT } from '../src/tenancy/tenants';

interface MemoryBatch {
  fields: Record<string, string>;
  results: Map<number, string>;
  active: Set<number>;
  domains: string;
  /** index → the caller's requestId. */
  requestIds: Map<number, string>;
}

interface MemoryRequest {
  solved?: string;
  solving?: string;
  /** job id → job JSON. */
  waiting: Map<string, string>;
  asked?: string;
}

const DOMAIN_NAMES: Record<string, string> = { m: 'math', c: 'code', s: 'science' };

/**
 * The batch store in memory, for unit tests of BatchService: the same steps as the Lua scripts of
 * RedisBatchStore (each one atomic here by being synchronous), without expiry. `connected` false
 * plays a Redis outage; `published` lists the cancels the workers were told about.
 */
export class InMemoryBatchStore extends BatchStore {
  connected = true;
  readonly batches = new Map<string, MemoryBatch>();
  readonly cursors = new Map<string, string>();
  readonly published: string[] = [];
  private readonly idempotency = new Map<string, string>();
  private readonly requests = new Map<string, MemoryRequest>();
  private readonly handovers: string[] = [];
  private readonly running = new Map<string, number>();
  private readonly finished = new Map<string, number>();

  isConnected(): boolean {
    return this.connected;
  }

  async close(): Promise<void> {
    this.connected = false;
  }

  async claimIdempotencyKey(tenant: string, key: string, batchId: string, bodyFingerprint: string): Promise<IdempotencyClaim> {
    this.check();
    const name = `${tenant}\0${key}`;
    const [existing, existingFingerprint] = (this.idempotency.get(name) ?? '').split(' ');
    if (!existing) {
      this.idempotency.set(name, `${batchId} ${bodyFingerprint}`);
      return { kind: 'new' };
    }
    if (existingFingerprint !== bodyFingerprint) return { kind: 'conflict' };
    const fields = this.batches.get(existing)?.fields;
    return fields?.submitted === '1'
      ? { kind: 'submitted', batchId: existing, total: Number(fields.total) }
      : { kind: 'resume', batchId: existing };
  }

  async createBatch(batchId: string, batch: NewBatch): Promise<void> {
    this.check();
    const existing = this.batches.get(batchId);
    const fields = {
      createdAtMs: existing?.fields.createdAtMs ?? String(Date.now()),
      ...existing?.fields,
      id: batchId,
      tenant: batch.tenant,
      total: String(batch.total),
      state: 'running',
      priority: String(batch.priority),
      metadata: JSON.stringify(batch.metadata),
    };
    this.batches.set(batchId, { results: new Map(), active: new Set(), requestIds: new Map(), ...existing, fields, domains: '' });
    this.running.set(batchId, Date.now());
  }

  async recordDomains(batchId: string, start: number, domainChars: string, totals: Record<string, number>): Promise<void> {
    const batch = this.batchOf(batchId);
    batch.domains = batch.domains.padEnd(start, '\0').slice(0, start) + domainChars + batch.domains.slice(start + domainChars.length);
    for (const [field, value] of Object.entries(totals)) batch.fields[field] = String(value);
  }

  async stateOf(batchId: string): Promise<string | undefined> {
    this.check();
    return this.batches.get(batchId)?.fields.state;
  }

  async markSubmitted(batchId: string): Promise<void> {
    this.batchOf(batchId).fields.submitted = '1';
  }

  async recordOutcomes(batchId: string, outcomes: readonly OutcomeRecord[], cursor?: EventCursor): Promise<void> {
    this.check();
    if (cursor) this.cursors.set(cursor.queue, cursor.eventId);
    const batch = this.batches.get(batchId);
    if (!batch) return;
    for (const { index, domain, outcome, item, requestId } of outcomes) {
      if (batch.results.has(index)) continue;
      // A result kept under the caller's requestId is referred to, not stored again.
      const kept = requestId !== undefined && this.requests.get(`${batch.fields.tenant}\0${requestId}`)?.solved !== undefined;
      batch.results.set(index, kept ? `@${requestId}` : JSON.stringify(item));
      batch.active.delete(index);
      increment(batch.fields, outcome);
      increment(batch.fields, `${domain}:${outcome}`);
      const done = ['completed', 'failed', 'cancelled'].reduce((sum, field) => sum + Number(batch.fields[field] ?? 0), 0);
      if (done >= Number(batch.fields.total) && batch.fields.state === 'running') batch.fields.state = 'completed';
    }
  }

  async markActive(batchId: string, index: number, cursor: EventCursor): Promise<void> {
    this.check();
    this.cursors.set(cursor.queue, cursor.eventId);
    const batch = this.batches.get(batchId);
    if (batch && !batch.results.has(index)) batch.active.add(index);
  }

  async readBatch(batchId: string): Promise<StoredBatch | undefined> {
    this.check();
    const batch = this.batches.get(batchId);
    if (!batch) return undefined;
    return { fields: { ...batch.fields }, activeIndexes: [...batch.active].map(String), domainChars: batch.domains };
  }

  async readResults(tenant: string, batchId: string, start: number, count: number): Promise<(string | null)[]> {
    this.check();
    const batch = this.batches.get(batchId);
    return Array.from({ length: count }, (_, i) => {
      const item = batch?.results.get(start + i) ?? null;
      if (!item?.startsWith('@')) return item;
      return `{"index":${start + i},"result":${this.requests.get(`${tenant}\0${item.slice(1)}`)?.solved ?? 'null'}}`;
    });
  }

  async startCancel(tenant: string, batchId: string): Promise<{ state: string | null; total: number } | undefined> {
    this.check();
    const batch = this.batches.get(batchId);
    if (!batch || (batch.fields.tenant ?? ANONYMOUS_TENANT) !== tenant) return undefined;
    const state = batch.fields.state ?? null;
    if (state === 'running') {
      batch.fields.state = 'cancelled';
      this.published.push(batchId);
    }
    return { state, total: Number(batch.fields.total) };
  }

  async domainsOf(batchId: string): Promise<string> {
    this.check();
    return this.batches.get(batchId)?.domains ?? '';
  }

  async cancelProblems(batchId: string, start: number, end: number, itemHead: string, itemTail: string): Promise<number[]> {
    const batch = this.batchOf(batchId);
    const withRequestId: number[] = [];
    for (let index = start; index < end; index++) {
      if (batch.results.has(index)) continue;
      batch.results.set(index, `${itemHead}${index}${itemTail}`);
      batch.active.delete(index);
      increment(batch.fields, 'cancelled');
      increment(batch.fields, `${DOMAIN_NAMES[batch.domains[index] ?? ''] ?? 'other'}:cancelled`);
      if (batch.requestIds.has(index)) withRequestId.push(index);
    }
    return withRequestId;
  }

  async eventCursor(queue: string, streamEnd: () => Promise<string>): Promise<string> {
    if (!this.cursors.has(queue)) this.cursors.set(queue, await streamEnd());
    return this.cursors.get(queue) ?? '0-0';
  }

  async runningBatches(limit: number, recentMs: number): Promise<RunningBatch[]> {
    if (!this.connected) return [];
    const now = Date.now();
    const ids = [
      ...new Set([
        ...[...this.running.keys()].slice(0, limit),
        ...[...this.finished].filter(([, at]) => at >= now - recentMs).map(([id]) => id),
      ]),
    ];
    const batches: RunningBatch[] = [];
    for (const batchId of ids) {
      const fields = this.batches.get(batchId)?.fields;
      if (!fields?.state) continue;
      if (fields.state !== 'running' && this.running.delete(batchId)) this.finished.set(batchId, now);
      const num = (field: string) => Number(fields[field] ?? 0);
      batches.push({
        batchId,
        tenant: fields.tenant ?? ANONYMOUS_TENANT,
        state: fields.state,
        total: num('total'),
        completed: num('completed'),
        failed: num('failed'),
        cancelled: num('cancelled'),
        createdAtMs: num('createdAtMs'),
      });
    }
    return batches;
  }

  async claimRequests(tenant: string, batchId: string, entries: readonly RequestClaim[]): Promise<Map<number, Claim>> {
    const batch = this.batchOf(batchId);
    const claims = new Map<number, Claim>();
    for (const { index, requestId, fingerprint, job } of entries) {
      const request = this.requestOf(tenant, requestId);
      if (request.asked !== undefined && request.asked !== fingerprint) {
        claims.set(index, { kind: 'conflict' });
        continue;
      }
      request.asked = fingerprint;
      if (request.solved !== undefined) {
        claims.set(index, { kind: 'solved', result: JSON.parse(request.solved) as Result });
        continue;
      }
      batch.requestIds.set(index, requestId);
      if (request.solving === undefined || request.solving === job.opts.jobId) {
        request.solving = job.opts.jobId;
        claims.set(index, { kind: 'owner' });
        continue;
      }
      request.waiting.set(job.opts.jobId, JSON.stringify(job));
      claims.set(index, { kind: 'waiting' });
    }
    return claims;
  }

  async finishRequest(batchId: string, index: number, outcome: Outcome, result: Result | undefined): Promise<number> {
    this.check();
    const batch = this.batches.get(batchId);
    const requestId = batch?.requestIds.get(index);
    const tenant = batch?.fields.tenant;
    if (requestId === undefined || tenant === undefined) return 0;
    const request = this.requestOf(tenant, requestId);
    const jobId = batchJobId(batchId, index);
    const handover = (action: HandoverEntry['action'], job: string) =>
      this.handovers.push(
        `{"action":"${action}","tenant":${JSON.stringify(tenant)},"requestId":${JSON.stringify(requestId)},"job":${job}}`,
      );
    if (outcome === 'completed') {
      request.solved = JSON.stringify(result ?? {});
      if (request.solving === jobId) request.solving = undefined;
      const jobs = [...request.waiting.values()];
      for (const job of jobs) handover('answer', job);
      request.waiting.clear();
      return jobs.length;
    }
    if (request.solving !== jobId) {
      request.waiting.delete(jobId);
      return 0;
    }
    const [heir] = [...request.waiting.keys()].sort();
    if (heir === undefined) {
      request.solving = undefined;
      if (request.solved === undefined) request.asked = undefined;
      return 0;
    }
    const job = request.waiting.get(heir) ?? '{}';
    request.waiting.delete(heir);
    request.solving = heir;
    handover('solve', job);
    return 1;
  }

  async pendingHandovers(count: number): Promise<string[]> {
    this.check();
    return this.handovers.slice(0, count);
  }

  async removeHandover(entry: string): Promise<void> {
    const at = this.handovers.indexOf(entry);
    if (at >= 0) this.handovers.splice(at, 1);
  }

  async solvedResult(tenant: string, requestId: string): Promise<Result | undefined> {
    const solved = this.requests.get(`${tenant}\0${requestId}`)?.solved;
    return solved === undefined ? undefined : (JSON.parse(solved) as Result);
  }

  private requestOf(tenant: string, requestId: string): MemoryRequest {
    const name = `${tenant}\0${requestId}`;
    let request = this.requests.get(name);
    if (!request) {
      request = { waiting: new Map() };
      this.requests.set(name, request);
    }
    return request;
  }

  private batchOf(batchId: string): MemoryBatch {
    this.check();
    const batch = this.batches.get(batchId);
    if (!batch) throw new Error(`no batch ${batchId}`);
    return batch;
  }

  /** A call while "Redis" is down fails as an ioredis call would. */
  private check(): void {
    if (!this.connected) throw new Error('Connection is closed.');
  }
}

function increment(fields: Record<string, string>, field: string): void {
  fields[field] = String(Number(fields[field] ?? 0) + 1);
}
