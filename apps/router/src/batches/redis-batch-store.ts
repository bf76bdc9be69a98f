import { Inject, Injectable, Logger } from '@nestjs/common';
import { batchCancelChannel, batchJobId, type Result } from '@slm/contracts';
import { ErrorCode, createRedisConnection, isRedisCluster, type RedisConnection } from '@slm/platform';
import { ROUTER_CONFIG, type RouterConfig } from '../config/router.config';
import { ANONYMOUS_TENANT } from '../tenancy/tenants';
import { BatchKeys } from './batch-keys';
import {
  BatchStore,
  type Claim,
  type EventCursor,
  type IdempotencyClaim,
  type NewBatch,
  type Outcome,
  type OutcomeRecord,
  type RequestClaim,
  type RunningBatch,
  type StoredBatch,
  type Via,
} from './batch-store';
import { luaScript } from './lua-scripts';

/** Marks a results hash entry that refers to the result kept under a caller's requestId: `@<requestId>`. */
const REFERENCE = '@';
/** Requests claimed per pipeline (one round trip). */
const CLAIM_CHUNK = 1000;
/** Outcomes recorded per pipeline (one round trip). */
const RECORD_CHUNK = 1000;

type Reply = [Error | null, unknown][] | null;

/** The scripts as commands (ioredis sends EVALSHA, and the script itself once after a NOSCRIPT). */
interface Scripts {
  recordOutcome(...args: (string | number)[]): Promise<number>;
  markActive(...args: (string | number)[]): Promise<number>;
  startCancel(...args: string[]): Promise<[string | null, string] | null>;
  cancelProblems(...args: (string | number)[]): Promise<string[]>;
  claimRequest(...args: (string | number)[]): Promise<[string, string?]>;
  finishRequest(...args: (string | number)[]): Promise<number>;
}
type ScriptedConnection = RedisConnection & Scripts;
type ScriptedPipeline = Scripts & { exec(): Promise<Reply> };

/**
 * The batch store on Redis (or a Redis Cluster: every key shares one hash tag, see BatchKeys). Two
 * connections: the API's fails fast while Redis is down (routes answer 503 at once and recover by
 * themselves), the writer's queues commands and resends them in order when Redis is back, so an
 * outcome read from a queue's event stream is never dropped and the cursor never passes one.
 */
@Injectable()
export class RedisBatchStore extends BatchStore {
  private readonly logger = new Logger(RedisBatchStore.name);
  private readonly keys: BatchKeys;
  private readonly ttl: number;
  private readonly api: ScriptedConnection;
  private readonly writer: ScriptedConnection;

  constructor(@Inject(ROUTER_CONFIG) private readonly config: RouterConfig) {
    super();
    this.keys = new BatchKeys(config.redis.prefix, isRedisCluster(config.redis.url));
    this.ttl = config.batches.resultTtlSeconds;
    const retryStrategy = (times: number) => Math.min(times * 200, 2000);
    this.api = createRedisConnection(config.redis.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy,
    }) as ScriptedConnection;
    this.api.on('error', (error) => this.logger.debug(`redis: ${error.message}`));
    this.writer = createRedisConnection(config.redis.url, { maxRetriesPerRequest: null, retryStrategy }) as ScriptedConnection;
    this.writer.on('error', (error) => this.logger.debug(`redis (writer): ${error.message}`));
    for (const connection of [this.api, this.writer]) {
      connection.defineCommand('recordOutcome', { numberOfKeys: 4, lua: luaScript('record-outcome') });
      connection.defineCommand('markActive', { numberOfKeys: 4, lua: luaScript('mark-active') });
      connection.defineCommand('startCancel', { numberOfKeys: 1, lua: luaScript('start-cancel') });
      connection.defineCommand('cancelProblems', { numberOfKeys: 5, lua: luaScript('cancel-problems') });
      connection.defineCommand('claimRequest', { numberOfKeys: 5, lua: luaScript('claim-request') });
      connection.defineCommand('finishRequest', { numberOfKeys: 2, lua: luaScript('finish-request') });
    }
  }

  isConnected(): boolean {
    return this.api.status === 'ready';
  }

  async close(): Promise<void> {
    this.writer.disconnect();
    this.api.disconnect();
  }

  async claimIdempotencyKey(tenant: string, idempotencyKey: string, batchId: string, bodyFingerprint: string): Promise<IdempotencyClaim> {
    const key = this.keys.idempotency(tenant, idempotencyKey);
    if ((await this.api.set(key, `${batchId} ${bodyFingerprint}`, 'EX', this.ttl, 'NX')) === 'OK') return { kind: 'new' };
    const [existing, existingFingerprint] = ((await this.api.get(key)) ?? '').split(' ');
    if (existing && existingFingerprint !== bodyFingerprint) return { kind: 'conflict' };
    if (existing) {
      const [submitted, total] = await this.api.hmget(this.keys.batch(existing), 'submitted', 'total');
      return submitted === '1' ? { kind: 'submitted', batchId: existing, total: Number(total) } : { kind: 'resume', batchId: existing };
    }
    // Expired between the two calls: taken anew.
    await this.api.set(key, `${batchId} ${bodyFingerprint}`, 'EX', this.ttl);
    return { kind: 'new' };
  }

  async createBatch(batchId: string, batch: NewBatch): Promise<void> {
    const batchKey = this.keys.batch(batchId);
    await this.api
      .multi()
      .hsetnx(batchKey, 'createdAtMs', String(Date.now()))
      .hset(batchKey, {
        id: batchId,
        tenant: batch.tenant,
        total: String(batch.total),
        state: 'running',
        priority: String(batch.priority),
        metadata: JSON.stringify(batch.metadata),
      })
      .expire(batchKey, this.ttl)
      .set(this.keys.domains(batchId), '', 'EX', this.ttl)
      .zadd(this.keys.running(), Date.now(), batchId)
      .expire(this.keys.running(), this.ttl)
      .exec();
  }

  async recordDomains(batchId: string, start: number, domainChars: string, totals: Record<string, number>): Promise<void> {
    const chunk = this.api.multi().setrange(this.keys.domains(batchId), start, domainChars);
    // None yet when every problem so far was refused (blank text): HSET with no field is a Redis
    // error, which aborted the whole transaction (a 500 found by `slm bench fuzz`).
    if (Object.keys(totals).length > 0)
      chunk.hset(this.keys.batch(batchId), Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, String(v)])));
    await chunk.exec();
  }

  async stateOf(batchId: string, via: Via = 'api'): Promise<string | undefined> {
    return (await this.connection(via).hget(this.keys.batch(batchId), 'state')) ?? undefined;
  }

  async markSubmitted(batchId: string): Promise<void> {
    await this.api.hset(this.keys.batch(batchId), 'submitted', '1');
  }

  async recordOutcomes(batchId: string, outcomes: readonly OutcomeRecord[], cursor?: EventCursor): Promise<void> {
    const args = (outcome: OutcomeRecord, eventCursor?: EventCursor) =>
      [
        this.keys.batch(batchId),
        this.keys.results(batchId),
        this.keys.active(batchId),
        this.keys.lastEvent(eventCursor?.queue ?? 'none'),
        String(outcome.index),
        JSON.stringify(outcome.item),
        outcome.outcome,
        `${outcome.domain}:${outcome.outcome}`,
        eventCursor?.eventId ?? '',
        this.ttl,
        outcome.requestId ?? '',
        this.keys.base,
      ] as const;
    if (outcomes.length === 1 && outcomes[0]) {
      await this.writer.recordOutcome(...args(outcomes[0], cursor));
      return;
    }
    for (let start = 0; start < outcomes.length; start += RECORD_CHUNK) {
      const pipeline = this.writer.pipeline() as unknown as ScriptedPipeline;
      for (const outcome of outcomes.slice(start, start + RECORD_CHUNK)) void pipeline.recordOutcome(...args(outcome));
      throwFirstError(await pipeline.exec());
    }
  }

  async markActive(batchId: string, index: number, cursor: EventCursor): Promise<void> {
    await this.writer.markActive(
      this.keys.batch(batchId),
      this.keys.results(batchId),
      this.keys.active(batchId),
      this.keys.lastEvent(cursor.queue),
      String(index),
      cursor.eventId,
      this.ttl,
    );
  }

  async readBatch(batchId: string): Promise<StoredBatch | undefined> {
    const fields = await this.api.hgetall(this.keys.batch(batchId));
    if (!fields.total) return undefined;
    const activeIndexes = await this.api.smembers(this.keys.active(batchId));
    const domainChars = activeIndexes.length ? ((await this.api.get(this.keys.domains(batchId))) ?? '') : '';
    return { fields, activeIndexes, domainChars };
  }

  async readResults(tenant: string, batchId: string, start: number, count: number): Promise<(string | null)[]> {
    const fields = Array.from({ length: count }, (_, i) => String(start + i));
    const items = await this.api.hmget(this.keys.results(batchId), ...fields);
    // Results kept under a caller's requestId are stored there once (see record-outcome.lua).
    const references = items.flatMap((item, i) => (item?.startsWith(REFERENCE) ? [i] : []));
    if (references.length === 0) return items;
    const solved = await this.api.mget(...references.map((i) => this.keys.solved(tenant, (items[i] ?? '').slice(REFERENCE.length))));
    references.forEach((i, k) => (items[i] = itemOfStoredResult(start + i, solved[k] ?? null)));
    return items;
  }

  async startCancel(tenant: string, batchId: string): Promise<{ state: string | null; total: number } | undefined> {
    const found = await this.api.startCancel(
      this.keys.batch(batchId),
      batchCancelChannel(this.config.redis.prefix),
      batchId,
      tenant,
      ANONYMOUS_TENANT,
    );
    return found ? { state: found[0], total: Number(found[1]) } : undefined;
  }

  async domainsOf(batchId: string): Promise<string> {
    return (await this.api.get(this.keys.domains(batchId))) ?? '';
  }

  async cancelProblems(batchId: string, start: number, end: number, itemHead: string, itemTail: string): Promise<number[]> {
    const k = this.keys;
    const indexes = await this.api.cancelProblems(
      k.batch(batchId),
      k.results(batchId),
      k.active(batchId),
      k.domains(batchId),
      k.requestIds(batchId),
      start,
      end,
      itemHead,
      itemTail,
    );
    return indexes.map(Number);
  }

  async eventCursor(queue: string, streamEnd: () => Promise<string>): Promise<string> {
    const cursorKey = this.keys.lastEvent(queue);
    const stored = await this.writer.get(cursorKey).catch(() => null);
    if (stored) return stored;
    const end = await streamEnd();
    await this.writer.set(cursorKey, end, 'EX', this.ttl, 'NX').catch(() => undefined);
    return (await this.writer.get(cursorKey).catch(() => null)) ?? end;
  }

  /**
   * A batch found finished leaves the running set here, at read time (the Lua script that
   * completes a batch does not know the set), and stays listed `recentMs` longer.
   */
  async runningBatches(limit: number, recentMs: number): Promise<RunningBatch[]> {
    if (!this.isConnected()) return [];
    const now = Date.now();
    const [running, finished] = await Promise.all([
      this.api.zrange(this.keys.running(), '0', String(limit - 1)),
      this.api.zrangebyscore(this.keys.finished(), String(now - recentMs), '+inf', 'LIMIT', '0', String(limit)),
    ]);
    const ids = [...new Set([...running, ...finished])];
    // Sent together: one round trip's worth of latency for the lot.
    const records = await Promise.all(
      ids.map((id) => this.api.hmget(this.keys.batch(id), 'state', 'total', 'completed', 'failed', 'cancelled', 'createdAtMs', 'tenant')),
    );
    const batches: RunningBatch[] = [];
    for (const [i, batchId] of ids.entries()) {
      const [state, total, completed, failed, cancelled, createdAtMs, tenant] = records[i] ?? [];
      if (!state || !total) {
        await this.api.zrem(this.keys.running(), batchId);
        continue;
      }
      if (state !== 'running' && running.includes(batchId)) {
        await this.api
          .multi()
          .zrem(this.keys.running(), batchId)
          .zadd(this.keys.finished(), now, batchId)
          .expire(this.keys.finished(), 3600)
          .exec();
      }
      const counts = { completed: Number(completed ?? 0), failed: Number(failed ?? 0), cancelled: Number(cancelled ?? 0) };
      batches.push({
        batchId,
        tenant: tenant ?? ANONYMOUS_TENANT,
        state,
        total: Number(total),
        ...counts,
        createdAtMs: Number(createdAtMs ?? 0),
      });
    }
    await this.api.zremrangebyscore(this.keys.finished(), '-inf', now - recentMs);
    return batches;
  }

  async claimRequests(tenant: string, batchId: string, entries: readonly RequestClaim[]): Promise<Map<number, Claim>> {
    const claims = new Map<number, Claim>();
    for (let start = 0; start < entries.length; start += CLAIM_CHUNK) {
      const chunk = entries.slice(start, start + CLAIM_CHUNK);
      const pipeline = this.api.pipeline() as unknown as ScriptedPipeline;
      for (const { index, requestId, fingerprint, job } of chunk) {
        void pipeline.claimRequest(
          this.keys.solved(tenant, requestId),
          this.keys.solving(tenant, requestId),
          this.keys.waiting(tenant, requestId),
          this.keys.requestIds(batchId),
          this.keys.asked(tenant, requestId),
          job.opts.jobId,
          JSON.stringify(job),
          this.ttl,
          index,
          requestId,
          tenant,
          fingerprint,
        );
      }
      const replies = (await pipeline.exec()) ?? [];
      chunk.forEach(({ index }, k) => {
        const [error, reply] = replies[k] ?? [new Error('no reply')];
        if (error) throw error;
        const [kind, result] = reply as [string, string?];
        claims.set(
          index,
          kind === 'solved' ? { kind, result: JSON.parse(result ?? '{}') as Result } : { kind: kind as 'owner' | 'waiting' | 'conflict' },
        );
      });
    }
    return claims;
  }

  finishRequest(batchId: string, index: number, outcome: Outcome, result: Result | undefined, via: Via): Promise<number> {
    return this.connection(via).finishRequest(
      this.keys.requestIds(batchId),
      this.keys.handovers(),
      index,
      batchJobId(batchId, index),
      outcome,
      result ? JSON.stringify(result) : '',
      this.ttl,
      this.keys.base,
    );
  }

  pendingHandovers(count: number): Promise<string[]> {
    return this.writer.lrange(this.keys.handovers(), 0, count - 1);
  }

  async removeHandover(entry: string): Promise<void> {
    await this.writer.lrem(this.keys.handovers(), 1, entry);
  }

  async solvedResult(tenant: string, requestId: string): Promise<Result | undefined> {
    const stored = await this.writer.get(this.keys.solved(tenant, requestId));
    return stored ? (JSON.parse(stored) as Result) : undefined;
  }

  private connection(via: Via): ScriptedConnection {
    return via === 'writer' ? this.writer : this.api;
  }
}

/**
 * The item of a problem whose result is kept under its requestId: the same JSON as
 * `JSON.stringify({ index, result })`. A result gone meanwhile (the solved key outlives the batch
 * unless deleted by hand) reads as an error item rather than as an unfinished problem.
 */
function itemOfStoredResult(index: number, result: string | null): string {
  if (result === null)
    return JSON.stringify({ index, errorCode: ErrorCode.INTERNAL, errorMessage: 'the stored result of this problem is gone' });
  return `{"index":${index},"result":${result}}`;
}

function throwFirstError(replies: Reply): void {
  for (const [error] of replies ?? []) if (error) throw error;
}
