import { Logger } from '@nestjs/common';
import type { RedisConnection } from '@slm/platform';
import { batchJobId, type JobName, type Result, type SolveJobData, type WorkerDomain } from '@slm/contracts';
import type { BatchKeys } from './batch-keys';

/** A solve job as it goes onto its domain's queue. */
export interface SolveJob {
  domain: WorkerDomain;
  name: typeof JobName.SOLVE;
  data: SolveJobData;
  opts: { jobId: string; priority: number };
}

/** What submitting a problem with a requestId found: an earlier result, nobody solving it, or a job of another batch solving it. */
export type Claim = { kind: 'solved'; result: Result } | { kind: 'owner' } | { kind: 'waiting' } | { kind: 'conflict' };

/** How the batch service acts on a waiting job once the owner finished. */
export interface Handover {
  /** The owner completed: record its result as the waiting job's outcome. */
  answer(job: SolveJob, result: Result): Promise<void>;
  /** The owner failed or was cancelled: the waiting job is the new owner and solves the problem itself. */
  solve(job: SolveJob): Promise<void>;
}

/** A handover as FINISH_SCRIPT queues it. */
interface HandoverEntry {
  action: 'answer' | 'solve';
  tenant: string;
  requestId: string;
  job: SolveJob;
}

const CHUNK = 1000;
const DRAIN_INTERVAL_MS = 5000;

// Claims a tenant's requestId for a job: a conflict when the requestId names another problem
// (its fingerprint differs), else its earlier result, or ownership when nobody is solving it (or
// this job already owns it: a resumed submission), else the job waits for the owner.
// KEYS: solved, solving, waiting, request-ids of the batch, asked.
// ARGV: job id, job JSON, TTL, index, requestId, tenant, fingerprint of the problem.
const CLAIM_SCRIPT = `
local asked = redis.call('GET', KEYS[5])
if asked and asked ~= ARGV[7] then return {'conflict'} end
if not asked then redis.call('SET', KEYS[5], ARGV[7], 'EX', ARGV[3]) end
local solved = redis.call('GET', KEYS[1])
if solved then return {'solved', solved} end
redis.call('HSET', KEYS[4], ARGV[4], ARGV[5], 'tenant', ARGV[6])
if redis.call('TTL', KEYS[4]) < 0 then redis.call('EXPIRE', KEYS[4], ARGV[3]) end
local owner = redis.call('GET', KEYS[2])
if not owner or owner == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])
  return {'owner'}
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[3], ARGV[3])
return {'waiting'}
`;

// A job of a batch finished ('completed', 'failed' or 'cancelled'). When its problem has a
// requestId: a completed result is stored for reuse and every waiting job is handed over to be
// answered from it; when the owner failed or was cancelled, the first waiting job becomes the owner
// and is handed over to be solved; a job that was only waiting stops waiting. One step, so no
// handover is lost between the owner's outcome and its waiters. Returns the handovers queued.
// The requestId's keys are built here from ARGV[6] (`<prefix>:slm:`) and the batch's tenant: the
// requestId is only known inside the script (the queue events carry the job id alone); on a Redis
// Cluster they share the hash tag of the batch keys (see BatchKeys), so one slot. A failed or
// cancelled owner nobody waits for frees the requestId.
// KEYS: request-ids of the batch, handovers. ARGV: index, job id, outcome, result JSON, TTL, key base.
const FINISH_SCRIPT = `
local requestId, tenant = unpack(redis.call('HMGET', KEYS[1], ARGV[1], 'tenant'))
if not requestId or not tenant then return 0 end
local base = ARGV[6] .. 't:' .. tenant .. ':'
local solvedKey = base .. 'solved:' .. requestId
local solvingKey = base .. 'solving:' .. requestId
local waitingKey = base .. 'waiting:' .. requestId
local askedKey = base .. 'asked:' .. requestId
local owner = redis.call('GET', solvingKey)
local function handover(action, job)
  redis.call('RPUSH', KEYS[2], '{"action":"' .. action .. '","tenant":' .. cjson.encode(tenant) .. ',"requestId":' .. cjson.encode(requestId) .. ',"job":' .. job .. '}')
end
if ARGV[3] == 'completed' then
  redis.call('SET', solvedKey, ARGV[4], 'EX', ARGV[5])
  redis.call('EXPIRE', askedKey, ARGV[5])
  if owner == ARGV[2] then redis.call('DEL', solvingKey) end
  local jobs = redis.call('HVALS', waitingKey)
  for _, job in ipairs(jobs) do handover('answer', job) end
  redis.call('DEL', waitingKey)
  return #jobs
end
if owner ~= ARGV[2] then
  redis.call('HDEL', waitingKey, ARGV[2])
  return 0
end
local waiters = redis.call('HKEYS', waitingKey)
if #waiters == 0 then
  redis.call('DEL', solvingKey)
  if redis.call('EXISTS', solvedKey) == 0 then redis.call('DEL', askedKey) end
  return 0
end
table.sort(waiters)
local heir = waiters[1]
local job = redis.call('HGET', waitingKey, heir)
redis.call('HDEL', waitingKey, heir)
redis.call('SET', solvingKey, heir, 'EX', ARGV[5])
handover('solve', job)
return 1
`;

type Scripted = RedisConnection & {
  claimRequest(...args: (string | number)[]): Promise<[string, string?]>;
  finishRequest(...args: (string | number)[]): Promise<number>;
};

/**
 * A caller's requestId is a problem's idempotency key across the batches of its tenant, also
 * while it is being solved (the same requestId with another problem is a conflict, never that
 * problem's answer): the first batch's job owns it, the same problem in other batches waits for that job
 * instead of being solved again, and is answered from its result. If the owner fails or its batch
 * is cancelled, a waiting job takes over and solves it (failed outcomes are never shared).
 * Handovers are queued in Redis in the same step as the owner's outcome, so a router that stops
 * half-way leaves them for the next one (or another replica) to carry out.
 */
export class InFlightRequests {
  private readonly logger = new Logger(InFlightRequests.name);
  private readonly api: Scripted;
  private readonly writer: Scripted;
  private draining?: Promise<void>;
  private drainAgain = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly keys: BatchKeys,
    /** The fail-fast connection of the API (submit, cancel). */
    api: RedisConnection,
    /** The connection that writes queue outcomes in event order (waits out Redis outages). */
    writer: RedisConnection,
    private readonly ttlSeconds: number,
    private readonly handover: Handover,
  ) {
    this.api = api as Scripted;
    this.writer = writer as Scripted;
    for (const connection of [this.api, this.writer]) {
      connection.defineCommand('claimRequest', { numberOfKeys: 5, lua: CLAIM_SCRIPT });
      connection.defineCommand('finishRequest', { numberOfKeys: 2, lua: FINISH_SCRIPT });
    }
  }

  /** Carries out handovers left by a stopped router, then keeps checking now and then. */
  start(): void {
    void this.drain();
    this.timer = setInterval(() => void this.drain(), DRAIN_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Claims each problem's requestId, within the batch's tenant, for its job (by index), after the
   * batch record exists. `fingerprint` identifies the problem: the same requestId with another
   * fingerprint is a conflict, never the other problem's result.
   */
  async claim(tenant: string, batchId: string, entries: readonly { index: number; requestId: string; fingerprint: string; job: SolveJob }[]): Promise<Map<number, Claim>> {
    const claims = new Map<number, Claim>();
    for (let start = 0; start < entries.length; start += CHUNK) {
      const chunk = entries.slice(start, start + CHUNK);
      const pipeline = this.api.pipeline() as unknown as Scripted & { exec(): Promise<[Error | null, unknown][] | null> };
      for (const { index, requestId, fingerprint, job } of chunk) {
        void pipeline.claimRequest(
          this.keys.solved(tenant, requestId),
          this.keys.solving(tenant, requestId),
          this.keys.waiting(tenant, requestId),
          this.keys.requestIds(batchId),
          this.keys.asked(tenant, requestId),
          job.opts.jobId,
          JSON.stringify(job),
          this.ttlSeconds,
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
        claims.set(index, kind === 'solved' ? { kind, result: JSON.parse(result ?? '{}') as Result } : { kind: kind as 'owner' | 'waiting' | 'conflict' });
      });
    }
    return claims;
  }

  /**
   * Records that a batch's job finished (from the queue events, in event order on the writer, or
   * from a cancel) and hands its problem over to the jobs waiting for it.
   */
  async finish(batchId: string, index: number, outcome: 'completed' | 'failed' | 'cancelled', result?: Result, connection: 'writer' | 'api' = 'writer'): Promise<void> {
    const jobId = batchJobId(batchId, index);
    const client = connection === 'writer' ? this.writer : this.api;
    const queued = await client.finishRequest(
      this.keys.requestIds(batchId),
      this.keys.handovers(),
      index,
      jobId,
      outcome,
      result ? JSON.stringify(result) : '',
      this.ttlSeconds,
      this.keys.base,
    );
    if (queued > 0) void this.drain();
  }

  /** Carries out the queued handovers, one at a time; each is removed only once done. */
  drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true;
      return this.draining;
    }
    this.draining = (async () => {
      do {
        this.drainAgain = false;
        for (;;) {
          const entries = await this.writer.lrange(this.keys.handovers(), 0, 99);
          if (!entries.length) break;
          for (const entry of entries) {
            await this.carryOut(JSON.parse(entry) as HandoverEntry);
            await this.writer.lrem(this.keys.handovers(), 1, entry);
          }
        }
      } while (this.drainAgain);
    })()
      .catch((error: unknown) => this.logger.warn(`handovers: ${String(error)} (retried in ${DRAIN_INTERVAL_MS / 1000} s)`))
      .finally(() => (this.draining = undefined));
    return this.draining;
  }

  private async carryOut({ action, tenant, requestId, job }: HandoverEntry): Promise<void> {
    if (action === 'answer') {
      const stored = await this.writer.get(this.keys.solved(tenant, requestId));
      if (stored) return this.handover.answer(job, JSON.parse(stored) as Result);
    }
    // A result that expired meanwhile is solved again rather than lost.
    return this.handover.solve(job);
  }
}
