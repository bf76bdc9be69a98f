import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import type { Gauge } from 'prom-client';
import {
  JobName,
  QUEUE_OF_DOMAIN,
  batchCancelChannel,
  batchJobId,
  generationOptionsSchema,
  type BatchItem,
  type BatchStatus__Output,
  type Problem,
  type Result,
  type Result__Output,
  type RouteDecision__Output,
  type WorkerDomain,
} from '@slm/contracts';
import { AppError, ErrorCode, checkRequestId, createRedisConnection, describeIssues, echoInput, errorCodeOf, isRedisCluster, publicMessageOf, queueKeyPrefix, type RedisConnection } from '@slm/platform';
import { traceCarrier, untraced } from '@slm/telemetry';
import { ROUTER_CONFIG, WORKER_DOMAINS, type RouterConfig } from '../config/router.config';
import { RouterMetricsService } from '../metrics/router-metrics.service';
import { protoDomainOf, workerDomainOf } from '../routing/domains';
import { RoutingService } from '../routing/routing.service';
import { checkProblem, classifiedTextOf } from '../solve/problem.schemas';
import { ANONYMOUS_TENANT, canonicalJson, checkTenant, fingerprintOf } from '../tenancy/tenants';
import { bullPriorityOf, defaultJobOptions } from './batch-job-options';
import { BatchKeys } from './batch-keys';
import { tooManyProblems } from './batch.schemas';
import { InFlightRequests, type SolveJob } from './in-flight-requests';
import { TimeSlicer } from './time-slicer';

/** A problem as submitted in a batch, already in the proto shape. */
export interface BatchProblem {
  problem: Problem;
  /** 1 highest; 0 / unset takes the batch's priority. */
  priority?: number;
}

export interface SubmitBatchOptions {
  idempotencyKey?: string;
  priority?: number;
  metadata?: Record<string, string>;
  /** Defaults for every problem that leaves options.samples / options.verify unset. */
  samples?: number | null;
  verify?: boolean | null;
}

const CHAR_OF: Record<WorkerDomain, string> = { math: 'm', code: 'c', science: 's' };
const DOMAIN_OF_CHAR: Record<string, WorkerDomain> = { m: 'math', c: 'code', s: 'science' };
/** Jobs per addBulk call: BullMQ prepares a call's jobs in one go (some 0.1 ms each), so calls stay short. */
const ADD_CHUNK = 200;
/** Problems routed and queued together by a submission. */
const SUBMIT_CHUNK = 1000;
/** Problems a cancel handles per Redis script call (each holds Redis for a few ms). */
const CANCEL_CHUNK = 5000;

// Records one problem's outcome exactly once (HSETNX) and keeps the counters in step; marks
// the batch completed when every problem has an outcome. Returns -1 for an unknown batch.
// KEYS[4] (optional) is the queue's event cursor, advanced in the same step (ARGV[5], ARGV[6] = TTL).
const RECORD_SCRIPT = `
if KEYS[4] and ARGV[5] ~= '' then redis.call('SET', KEYS[4], ARGV[5], 'EX', ARGV[6]) end
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 and redis.call('TTL', KEYS[2]) < 0 then redis.call('EXPIRE', KEYS[2], ttl) end
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('HINCRBY', KEYS[1], ARGV[3], 1)
redis.call('HINCRBY', KEYS[1], ARGV[4], 1)
local done = tonumber(redis.call('HGET', KEYS[1], 'completed') or '0') + tonumber(redis.call('HGET', KEYS[1], 'failed') or '0') + tonumber(redis.call('HGET', KEYS[1], 'cancelled') or '0')
if done >= tonumber(redis.call('HGET', KEYS[1], 'total')) and redis.call('HGET', KEYS[1], 'state') == 'running' then redis.call('HSET', KEYS[1], 'state', 'completed') end
return 1
`;

// Marks a problem running unless it already has an outcome (and advances the event cursor).
const ACTIVE_SCRIPT = `
redis.call('SET', KEYS[4], ARGV[2], 'EX', ARGV[3])
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
redis.call('SADD', KEYS[3], ARGV[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 and redis.call('TTL', KEYS[3]) < 0 then redis.call('EXPIRE', KEYS[3], ttl) end
return 1
`;

// Starts a cancel in one step: a running batch (KEYS[1]) of the tenant ARGV[3] becomes cancelled
// and the workers are told on the channel ARGV[1] (they stop its running jobs and skip any they
// take afterwards). Returns the state it found (nil for an unknown batch or another tenant's) and
// the batch's total. A record without a tenant (written before tenants existed) is ARGV[4]'s.
const START_CANCEL_SCRIPT = `
local state, total, tenant = unpack(redis.call('HMGET', KEYS[1], 'state', 'total', 'tenant'))
if not total or (tenant or ARGV[4]) ~= ARGV[3] then return nil end
if state == 'running' then
  redis.call('HSET', KEYS[1], 'state', 'cancelled')
  redis.call('PUBLISH', ARGV[1], ARGV[2])
end
return { state, total }
`;

// Cancels the unfinished problems of a batch from ARGV[1] up to ARGV[2] (exclusive) in one step:
// each gets its cancelled item (HSETNX: an outcome already recorded stands), leaves the running
// set, and is counted, per domain too (the domain letters of KEYS[4]). Returns the indexes newly
// cancelled that carry a caller's requestId (KEYS[5]): their problems pass to waiting batches.
// ARGV[3], ARGV[4]: the item's JSON before and after its index.
const CANCEL_SCRIPT = `
local first, last = tonumber(ARGV[1]), tonumber(ARGV[2]) - 1
local letters = redis.call('GETRANGE', KEYS[4], first, last)
local names = { m = 'math', c = 'code', s = 'science' }
local perDomain = {}
local cancelled = 0
local withRequestId = {}
for i = first, last do
  local index = tostring(i)
  if redis.call('HSETNX', KEYS[2], index, ARGV[3] .. index .. ARGV[4]) == 1 then
    cancelled = cancelled + 1
    redis.call('SREM', KEYS[3], index)
    local domain = names[string.sub(letters, i - first + 1, i - first + 1)] or 'other'
    perDomain[domain] = (perDomain[domain] or 0) + 1
    if redis.call('HEXISTS', KEYS[5], index) == 1 then withRequestId[#withRequestId + 1] = index end
  end
end
if cancelled > 0 then
  redis.call('HINCRBY', KEYS[1], 'cancelled', cancelled)
  for domain, count in pairs(perDomain) do redis.call('HINCRBY', KEYS[1], domain .. ':cancelled', count) end
  local ttl = redis.call('TTL', KEYS[1])
  if ttl > 0 and redis.call('TTL', KEYS[2]) < 0 then redis.call('EXPIRE', KEYS[2], ttl) end
end
return withRequestId
`;

// Removes waiting jobs (ARGV[2..]) from a queue in one step: those in its prioritized or delayed
// set (every batch job has a priority, so that is where waiting ones are) are taken out and their
// hashes deleted, as BullMQ's own removeJob does one job at a time (some 50 µs each: seconds for
// a big batch, while workers keep taking its jobs). ARGV[1] is the queue's job key prefix. Returns
// the ids that still wait elsewhere (neither finished nor running under a lock: a rare wait-list
// entry); the caller hands those to Queue.remove, which knows every state.
const REMOVE_WAITING_SCRIPT = `
local removed = {}
local gone = {}
for _, set in ipairs({ KEYS[1], KEYS[2] }) do
  local scores = redis.call('ZMSCORE', set, unpack(ARGV, 2))
  local present = {}
  for i, score in ipairs(scores) do
    local id = ARGV[i + 1]
    if score and not removed[id] then
      present[#present + 1] = id
      removed[id] = true
      gone[#gone + 1] = ARGV[1] .. id
      gone[#gone + 1] = ARGV[1] .. id .. ':logs'
    end
  end
  if #present > 0 then redis.call('ZREM', set, unpack(present)) end
end
if #gone > 0 then redis.call('DEL', unpack(gone)) end
local elsewhere = {}
for i = 2, #ARGV do
  local key = ARGV[1] .. ARGV[i]
  if not removed[ARGV[i]] and redis.call('EXISTS', key) == 1 and redis.call('HEXISTS', key, 'finishedOn') == 0 and redis.call('EXISTS', key .. ':lock') == 0 then
    elsewhere[#elsewhere + 1] = ARGV[i]
  end
end
return elsewhere
`;

/** A batch as the metrics and the dashboard list it. */
export interface RunningBatch {
  batchId: string;
  tenant: string;
  /** `running`, `completed` or `cancelled`. */
  state: string;
  total: number;
  completed: number;
  failed: number;
  cancelled: number;
  createdAtMs: number;
}

/**
 * Batches through BullMQ: one queue per domain, the batch record (hash + counters, results,
 * domains) in Redis so progress, results and cancellation survive a router restart. Outcomes
 * come from each queue's event stream; the last event read is kept in Redis so a restarted
 * router resumes where it stopped.
 */
@Injectable()
export class BatchService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(BatchService.name);
  private readonly keys: BatchKeys;
  private readonly redis: RedisConnection & {
    startCancel(batchKey: string, channel: string, batchId: string, tenant: string, legacyTenant: string): Promise<[string | null, string] | null>;
    cancelProblems(...args: (string | number)[]): Promise<string[]>;
    removeWaitingJobs(...args: string[]): Promise<string[]>;
  };
  private readonly queueConnection: RedisConnection;
  /**
   * Writes outcomes. Unlike the fail-fast API connection it queues commands while Redis is away
   * and resends them in order when it is back: an outcome read from a queue's event stream is
   * never dropped, and the event cursor never passes an unrecorded outcome.
   */
  private readonly writer: RedisConnection & {
    recordOutcome(...args: (string | number)[]): Promise<number>;
    markActive(...args: (string | number)[]): Promise<number>;
  };
  private readonly queues: Record<WorkerDomain, Queue>;
  private readonly inFlight: InFlightRequests;
  private readonly events: QueueEvents[] = [];
  private readonly eventConnections: RedisConnection[] = [];
  /** REDIS_URL names a Redis Cluster: queue prefixes and batch keys carry hash tags. */
  private readonly cluster: boolean;
  private closed = false;
  /** Resolves once each queue's event reader has its starting point. */
  private listening: Promise<void> = Promise.resolve();

  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly routing: RoutingService,
    private readonly metrics: RouterMetricsService,
  ) {
    this.cluster = isRedisCluster(config.redis.url);
    this.keys = new BatchKeys(config.redis.prefix, this.cluster);
    // Producers fail fast when Redis is down (no offline queue): batch routes answer 503 at once
    // and ioredis keeps reconnecting in the background, so they recover by themselves.
    this.redis = createRedisConnection(config.redis.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    }) as BatchService['redis'];
    this.redis.on('error', (error) => this.logger.debug(`redis: ${error.message}`));
    this.redis.defineCommand('startCancel', { numberOfKeys: 1, lua: START_CANCEL_SCRIPT });
    this.redis.defineCommand('cancelProblems', { numberOfKeys: 5, lua: CANCEL_SCRIPT });
    this.redis.defineCommand('removeWaitingJobs', { numberOfKeys: 2, lua: REMOVE_WAITING_SCRIPT });
    // BullMQ checks the server version when a Queue is built and needs its connection's offline
    // queue for that; callers are still turned away at once by ensureRedis() while Redis is down.
    this.queueConnection = createRedisConnection(config.redis.url, { maxRetriesPerRequest: 1, retryStrategy: (times) => Math.min(times * 200, 2000) });
    this.queueConnection.on('error', (error) => this.logger.debug(`redis (queues): ${error.message}`));
    this.writer = createRedisConnection(config.redis.url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 200, 2000) }) as BatchService['writer'];
    this.writer.on('error', (error) => this.logger.debug(`redis (writer): ${error.message}`));
    this.writer.defineCommand('recordOutcome', { numberOfKeys: 4, lua: RECORD_SCRIPT });
    this.writer.defineCommand('markActive', { numberOfKeys: 4, lua: ACTIVE_SCRIPT });
    const queueOf = (domain: WorkerDomain) => {
      const queue = new Queue(QUEUE_OF_DOMAIN[domain], {
        connection: this.queueConnection,
        prefix: queueKeyPrefix(config.redis.prefix, QUEUE_OF_DOMAIN[domain], this.cluster),
        defaultJobOptions: defaultJobOptions(config),
        skipWaitingForReady: true,
        streams: { events: { maxLen: 100_000 } },
      });
      queue.on('error', (error) => this.logger.debug(`queue ${domain}: ${error.message}`));
      return queue;
    };
    this.queues = { math: queueOf('math'), code: queueOf('code'), science: queueOf('science') };
    this.inFlight = new InFlightRequests(this.keys, this.redis, this.writer, config.batches.resultTtlSeconds, {
      answer: (job, result) => this.record(job.data.batchId ?? '', job.data.index ?? 0, job.domain, 'completed', { index: job.data.index ?? 0, result }),
      solve: async (job) => {
        const state = await this.writer.hget(this.keys.batch(job.data.batchId ?? ''), 'state');
        // A batch cancelled meanwhile does not solve it: the problem passes to the next waiting job.
        if (state !== 'running') return this.inFlight.finish(job.data.batchId ?? '', job.data.index ?? 0, 'cancelled');
        await this.queues[job.domain].add(job.name, job.data, job.opts);
      },
    });
  }

  onModuleInit(): void {
    // Not awaited: the router starts (and solves synchronously) while Redis is down.
    this.listening = Promise.all(WORKER_DOMAINS.map((domain) => this.listen(domain))).then(() => undefined);
    this.inFlight.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.inFlight.stop();
    await Promise.allSettled(this.events.map((e) => e.close()));
    await Promise.allSettled(WORKER_DOMAINS.map((d) => this.queues[d].close()));
    for (const connection of this.eventConnections) connection.disconnect();
    this.queueConnection.disconnect();
    this.writer.disconnect();
    this.redis.disconnect();
  }

  /** True while the Redis connection is up (the client's own state: no round trip). */
  isRedisConnected(): boolean {
    return this.redis.status === 'ready';
  }

  /** Samples each queue's job counts into a gauge (for /metrics); skipped while Redis is down. */
  async sampleQueueDepths(gauge: Gauge<'queue' | 'state'>): Promise<void> {
    if (this.queueConnection.status !== 'ready') return;
    await Promise.all(
      WORKER_DOMAINS.map(async (domain) => {
        const counts = await this.queues[domain].getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed').catch(() => ({}));
        for (const [state, value] of Object.entries(counts)) gauge.set({ queue: QUEUE_OF_DOMAIN[domain], state }, value);
      }),
    );
  }

  /**
   * Queues a tenant's batch. With an idempotency key, a resubmission of the same body returns the
   * first batch and one with a different body is a CONFLICT; another tenant's same key is its own.
   */
  async submit(tenant: string, problems: readonly BatchProblem[], options: SubmitBatchOptions = {}): Promise<{ batchId: string; total: number; deduplicated: boolean }> {
    checkTenant(tenant);
    if (options.idempotencyKey !== undefined) checkRequestId(options.idempotencyKey, 'idempotencyKey');
    this.ensureRedis();
    await this.listening;
    this.checkSize(problems.length);
    // 100,000 problems are seconds of checking and classifying: done in slices, so the router
    // answers everything else (health checks too) meanwhile.
    const slicer = new TimeSlicer();
    // The submission's trace: each problem's own trace on its worker links to it.
    const traceContext = traceCarrier();
    const checked: Problem[] = [];
    // The fingerprint of the whole body (problems, priorities, metadata): what an idempotency key names.
    const body = createHash('sha256').update(canonicalJson({ priority: options.priority || 0, metadata: options.metadata ?? {} }));
    const verification = verificationDefaultsOf(options);
    for (let index = 0; index < problems.length; index++) {
      const problem = checkProblem(withVerificationDefaults(problems[index]?.problem, verification), this.config.limits, `problems[${index}]`);
      checked.push(problem);
      body.update(`\n${canonicalJson({ problem, priority: problems[index]?.priority || 0 })}`);
      await slicer.maybeYield();
    }
    const bodyFingerprint = body.digest('base64url');
    const ttl = this.config.batches.resultTtlSeconds;
    let batchId = randomUUID().replace(/-/g, '');
    if (options.idempotencyKey) {
      const key = this.keys.idempotency(tenant, options.idempotencyKey);
      const set = await this.redisCall(() => this.redis.set(key, `${batchId} ${bodyFingerprint}`, 'EX', ttl, 'NX'));
      if (set !== 'OK') {
        const [existing, existingFingerprint] = ((await this.redisCall(() => this.redis.get(key))) ?? '').split(' ');
        if (existing && existingFingerprint !== bodyFingerprint) {
          throw new AppError(
            ErrorCode.CONFLICT,
            `idempotency key ${echoInput(options.idempotencyKey)} was already used for a different batch (within ROUTER_RESULT_TTL_SECONDS); use a new key for a new batch`,
          );
        }
        if (existing && (await this.redisCall(() => this.redis.hget(this.keys.batch(existing), 'submitted'))) === '1') {
          const total = Number(await this.redisCall(() => this.redis.hget(this.keys.batch(existing), 'total')));
          return { batchId: existing, total, deduplicated: true };
        }
        // The first submission died half-way (or expired): finish it under the same id; the
        // deterministic job ids make the jobs already added no-ops.
        if (existing) batchId = existing;
        else await this.redisCall(() => this.redis.set(key, `${batchId} ${bodyFingerprint}`, 'EX', ttl));
      }
    }

    const batchKey = this.keys.batch(batchId);
    await this.redisCall(() =>
      this.redis
        .multi()
        .hsetnx(batchKey, 'createdAtMs', String(Date.now()))
        .hset(batchKey, { id: batchId, tenant, total: String(checked.length), state: 'running', priority: String(options.priority ?? 0), metadata: JSON.stringify(options.metadata ?? {}) })
        .expire(batchKey, ttl)
        .set(this.keys.domains(batchId), '', 'EX', ttl)
        .zadd(this.keys.running(), Date.now(), batchId)
        .expire(this.keys.running(), ttl)
        .exec(),
    );
    // Routed and queued a chunk at a time: only one chunk's decisions and jobs are alive at once,
    // so memory stays bounded (and garbage collection short) whatever the batch's size.
    const perDomain: Record<string, number> = {};
    for (let start = 0; start < checked.length; start += SUBMIT_CHUNK) {
      const end = Math.min(checked.length, start + SUBMIT_CHUNK);
      const decisions: (RouteDecision__Output | AppError)[] = [];
      for (let index = start; index < end; index++) {
        const problem = checked[index] as Problem;
        try {
          // No classify span per problem: a 100,000-problem submission would be a trace of 200,000 spans.
          decisions.push(untraced(() => this.routing.decide(classifiedTextOf(problem), workerDomainOf(problem.domainOverride))));
        } catch (error) {
          decisions.push(error instanceof AppError ? error : new AppError(ErrorCode.INTERNAL, publicMessageOf(error)));
        }
        await slicer.maybeYield();
      }
      const domainChars = decisions.map((d) => (d instanceof AppError ? 'x' : CHAR_OF[workerDomainOf(d.domain) ?? 'science'])).join('');
      for (const char of domainChars) {
        const domain = DOMAIN_OF_CHAR[char];
        if (domain) perDomain[`${domain}:total`] = (perDomain[`${domain}:total`] ?? 0) + 1;
      }
      // Running totals set (not added): a resumed submission that redoes a chunk counts it once.
      // None yet when every problem so far was refused (blank text): HSET with no field is a Redis
      // error, which aborted the whole transaction (a 500 found by `slm bench fuzz`).
      const totals = Object.fromEntries(Object.entries(perDomain).map(([k, v]) => [k, String(v)]));
      await this.redisCall(() => {
        const chunk = this.redis.multi().setrange(this.keys.domains(batchId), start, domainChars);
        if (Object.keys(totals).length > 0) chunk.hset(batchKey, totals);
        return chunk.exec();
      });
      const jobs = decisions.map((decision, offset): SolveJob | undefined => {
        if (decision instanceof AppError) return undefined;
        const index = start + offset;
        const problem = checked[index] as Problem;
        const jobId = batchJobId(batchId, index);
        return {
          domain: DOMAIN_OF_CHAR[domainChars[offset] ?? ''] ?? 'science',
          name: JobName.SOLVE,
          data: { problem: { ...problem, requestId: problem.requestId || jobId }, route: decision, batchId, index, ...(traceContext.traceparent ? { traceContext } : {}) },
          opts: { jobId, priority: bullPriorityOf(problems[index]?.priority || options.priority) },
        };
      });
      // A caller's requestId is the problem's idempotency key within its tenant: answered from an
      // earlier result, or waiting for the job of another batch that is solving it right now (see
      // InFlightRequests); the same requestId with a different problem fails as a CONFLICT.
      const claims = await this.redisCall(() =>
        this.inFlight.claim(
          tenant,
          batchId,
          jobs.flatMap((job, offset) => {
            const problem = checked[start + offset];
            if (!job || !problem?.requestId) return [];
            return [{ index: start + offset, requestId: problem.requestId, fingerprint: fingerprintOf({ ...problem, requestId: undefined }), job }];
          }),
        ),
      );
      // Cancelled while it was being queued: the cancel counted every problem, none is added after it.
      if ((await this.redisCall(() => this.redis.hget(batchKey, 'state'))) === 'cancelled') break;
      for (const domain of WORKER_DOMAINS) {
        const toQueue = jobs.filter((job, offset): job is SolveJob => job?.domain === domain && [undefined, 'owner'].includes(claims.get(start + offset)?.kind));
        for (let first = 0; first < toQueue.length; first += ADD_CHUNK) {
          await this.redisCall(() => this.queues[domain].addBulk(toQueue.slice(first, first + ADD_CHUNK).map(({ name, data, opts }) => ({ name, data, opts }))));
          await slicer.maybeYield();
        }
      }
      for (let offset = 0; offset < decisions.length; offset++) {
        const decision = decisions[offset];
        if (decision instanceof AppError) await this.record(batchId, start + offset, 'other', 'failed', { index: start + offset, errorCode: decision.code, errorMessage: decision.message });
      }
      for (const [index, claim] of claims) {
        const domain = DOMAIN_OF_CHAR[domainChars[index - start] ?? ''] ?? 'other';
        if (claim.kind === 'solved') await this.record(batchId, index, domain, 'completed', { index, result: claim.result });
        if (claim.kind === 'conflict') await this.record(batchId, index, domain, 'failed', { index, errorCode: ErrorCode.CONFLICT, errorMessage: requestIdConflict(checked[index]?.requestId) });
      }
    }
    await this.redisCall(() => this.redis.hset(batchKey, 'submitted', '1'));
    return { batchId, total: checked.length, deduplicated: false };
  }

  /** PAYLOAD_TOO_LARGE over ROUTER_MAX_BATCH_SIZE problems, INVALID_ARGUMENT for none: checked before any problem is. */
  checkSize(count: number): void {
    if (count === 0) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'a batch needs at least one problem');
    if (count > this.config.limits.maxBatchSize) throw tooManyProblems(this.config.limits.maxBatchSize, count);
  }

  /** A tenant's batch's state and progress; NOT_FOUND for an unknown or expired id, or another tenant's batch. */
  async status(tenant: string, batchId: string): Promise<BatchStatus__Output> {
    this.ensureRedis();
    const record = await this.redisCall(() => this.redis.hgetall(this.keys.batch(batchId)));
    // A record without a tenant was written before tenants existed, when every caller was anonymous.
    if (!record.total || (record.tenant ?? ANONYMOUS_TENANT) !== tenant) throw new AppError(ErrorCode.NOT_FOUND, `batch ${echoInput(batchId)} not found (unknown, or expired after ROUTER_RESULT_TTL_SECONDS)`);
    const activeIndexes = await this.redisCall(() => this.redis.smembers(this.keys.active(batchId)));
    const domainChars = activeIndexes.length ? await this.redisCall(() => this.redis.get(this.keys.domains(batchId))) : '';
    const num = (field: string) => Number(record[field] ?? 0);
    const total = num('total');
    const activeOf = (domain: WorkerDomain) => activeIndexes.filter((i) => domainChars?.[Number(i)] === CHAR_OF[domain]).length;
    const countsOf = (prefix: string, totalOf: number, active: number) => {
      const completed = num(`${prefix}completed`);
      const failed = num(`${prefix}failed`);
      const cancelled = num(`${prefix}cancelled`);
      return { queued: Math.max(0, totalOf - completed - failed - cancelled - active), active, completed, failed, cancelled };
    };
    const counts = countsOf('', total, activeIndexes.length);
    const finished = counts.completed + counts.failed + counts.cancelled;
    return {
      batchId,
      state: record.state === 'cancelled' ? 'BATCH_STATE_CANCELLED' : record.state === 'completed' ? 'BATCH_STATE_COMPLETED' : 'BATCH_STATE_RUNNING',
      total,
      counts,
      byDomain: WORKER_DOMAINS.filter((d) => num(`${d}:total`) > 0).map((d) => ({ domain: protoDomainOf(d), counts: countsOf(`${d}:`, num(`${d}:total`), activeOf(d)) })),
      progress: total ? finished / total : 1,
      createdAtMs: num('createdAtMs'),
      metadata: JSON.parse(record.metadata ?? '{}') as Record<string, string>,
    };
  }

  /**
   * Finished items in input order from `offset`, up to the first unfinished one (so a reader
   * resumes from the index after the last line it got).
   */
  async *items(tenant: string, batchId: string, offset: number, chunk = 1000): AsyncGenerator<string> {
    const { total } = await this.status(tenant, batchId);
    for (let start = offset; start < total; start += chunk) {
      const fields = Array.from({ length: Math.min(chunk, total - start) }, (_, i) => String(start + i));
      const values = await this.redisCall(() => this.redis.hmget(this.keys.results(batchId), ...fields));
      for (const value of values) {
        if (value === null) return;
        yield value;
      }
    }
  }

  /**
   * Cancels a batch, stopping its dispatch at once: the state flips first and the workers are told
   * (they stop its running jobs and skip any of its jobs they take after that), then its waiting
   * jobs leave the queues in bulk, and every unfinished problem is counted cancelled in bulk.
   */
  async cancel(tenant: string, batchId: string): Promise<BatchStatus__Output> {
    this.ensureRedis();
    const found = await this.redisCall(() => this.redis.startCancel(this.keys.batch(batchId), batchCancelChannel(this.config.redis.prefix), batchId, tenant, ANONYMOUS_TENANT));
    // Unknown or another tenant's (NOT_FOUND), or already over: the status says which.
    if (!found || found[0] !== 'running') return this.status(tenant, batchId);
    const total = Number(found[1]);
    const domainChars = (await this.redisCall(() => this.redis.get(this.keys.domains(batchId)))) ?? '';
    for (let start = 0; start < total; start += CANCEL_CHUNK) await this.removeWaitingJobs(batchId, domainChars, start, Math.min(total, start + CANCEL_CHUNK));
    // The item of a cancelled problem ({index, errorCode, errorMessage}), put together in Lua around its index.
    const itemTail = JSON.stringify({ errorCode: ErrorCode.CANCELLED, errorMessage: 'batch cancelled' } satisfies BatchItem).replace(/^\{/, ',');
    for (let start = 0; start < total; start += CANCEL_CHUNK) {
      const end = Math.min(total, start + CANCEL_CHUNK);
      const withRequestId = await this.redisCall(() =>
        this.redis.cancelProblems(this.keys.batch(batchId), this.keys.results(batchId), this.keys.active(batchId), this.keys.domains(batchId), this.keys.requestIds(batchId), start, end, '{"index":', itemTail),
      );
      // Their problems pass to a job of another batch waiting for them (or they stop waiting).
      for (const index of withRequestId) await this.redisCall(() => this.inFlight.finish(batchId, Number(index), 'cancelled', undefined, 'api'));
    }
    // Outcomes of the jobs that were running still arrive; they are ignored (HSETNX): the cancelled record stands.
    return this.status(tenant, batchId);
  }

  /** Takes the waiting jobs of a batch's problems `start`..`end` out of their queues (finished and running ones stay). */
  private async removeWaitingJobs(batchId: string, domainChars: string, start: number, end: number): Promise<void> {
    const jobIds: Record<WorkerDomain, string[]> = { math: [], code: [], science: [] };
    for (let index = start; index < end; index++) {
      const domain = DOMAIN_OF_CHAR[domainChars[index] ?? ''];
      if (domain) jobIds[domain].push(batchJobId(batchId, index));
    }
    await Promise.all(
      WORKER_DOMAINS.filter((domain) => jobIds[domain].length > 0).map(async (domain) => {
        const queue = this.queues[domain];
        const elsewhere = await this.redisCall(() => this.redis.removeWaitingJobs(queue.keys.prioritized ?? '', queue.keys.delayed ?? '', queue.toKey(''), ...jobIds[domain]));
        await Promise.all(elsewhere.map((jobId) => queue.remove(jobId).catch(() => 0)));
      }),
    );
  }

  private async listen(domain: WorkerDomain): Promise<void> {
    const queueName = QUEUE_OF_DOMAIN[domain];
    const connection = createRedisConnection(this.config.redis.url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 200, 2000) });
    connection.on('error', (error) => this.logger.debug(`redis (events ${domain}): ${error.message}`));
    this.eventConnections.push(connection);
    // Resume after the last event this deployment handled (survives a router restart). The first
    // time, start from the stream's current end, fixed now: a batch submitted before the reader's
    // first XREAD must not have its early events missed (which '$' would do).
    const cursorKey = this.keys.lastEvent(queueName);
    const queuePrefix = queueKeyPrefix(this.config.redis.prefix, queueName, this.cluster);
    const streamKey = `${queuePrefix}:${queueName}:events`;
    let lastEventId = await connection.get(cursorKey).catch(() => null);
    if (!lastEventId) {
      const [last] = (await connection.xrevrange(streamKey, '+', '-', 'COUNT', 1).catch(() => [])) as [string, string[]][];
      lastEventId = last?.[0] ?? '0-0';
      await connection.set(cursorKey, lastEventId, 'EX', this.config.batches.resultTtlSeconds, 'NX').catch(() => undefined);
      lastEventId = (await connection.get(cursorKey).catch(() => null)) ?? lastEventId;
    }
    if (this.closed) return;
    const events = new QueueEvents(queueName, { connection, prefix: queuePrefix, lastEventId });
    events.on('error', (error) => this.logger.debug(`queue events ${domain}: ${error.message}`));
    this.events.push(events);
    const ttl = this.config.batches.resultTtlSeconds;
    const warn = (jobId: string) => (error: unknown) => this.logger.warn(`record ${jobId}: ${String(error)}`);
    // Handlers issue their writes in event order on one connection; Redis applies them in that order.
    events.on('active', ({ jobId }, id) => {
      const ref = parseJobId(jobId);
      if (!ref) return;
      this.writer.markActive(this.keys.batch(ref.batchId), this.keys.results(ref.batchId), this.keys.active(ref.batchId), cursorKey, String(ref.index), id, ttl).catch(warn(jobId));
    });
    events.on('completed', ({ jobId, returnvalue }, id) => {
      const ref = parseJobId(jobId);
      if (!ref) return;
      const result = returnvalue as unknown as Result;
      // A requestId the caller chose (not the job id given to problems without one) keys the result for
      // reuse and answers the jobs waiting for it; written first, so it is there by the time the batch
      // shows the problem done, and before the event cursor moves past it.
      if (result?.requestId && result.requestId !== jobId) this.inFlight.finish(ref.batchId, ref.index, 'completed', result).catch(warn(jobId));
      this.record(ref.batchId, ref.index, domain, 'completed', { index: ref.index, result }, { cursorKey, id }).catch(warn(jobId));
      this.observeQueueWait(domain, jobId);
      this.metrics.recordVerification(domain, result as Result__Output);
    });
    events.on('failed', ({ jobId, failedReason }, id) => {
      const ref = parseJobId(jobId);
      if (!ref) return;
      const error = errorOfReason(failedReason);
      // A job its worker stopped (or skipped) for a cancel, seen before the cancel recorded it.
      const outcome = error.errorCode === ErrorCode.CANCELLED ? 'cancelled' : 'failed';
      this.inFlight.finish(ref.batchId, ref.index, outcome).catch(warn(jobId));
      this.record(ref.batchId, ref.index, domain, outcome, { index: ref.index, ...error }, { cursorKey, id }).catch(warn(jobId));
    });
  }

  /** Observes how long a completed job waited in its queue (from its job hash, kept until ROUTER_RESULT_TTL_SECONDS). */
  private observeQueueWait(domain: WorkerDomain, jobId: string): void {
    this.queueConnection
      .hmget(this.queues[domain].toKey(jobId), 'timestamp', 'processedOn')
      .then(([created, processed]) => {
        if (created && processed) this.metrics.queueWait.observe({ domain }, Math.max(0, Number(processed) - Number(created)) / 1000);
      })
      .catch(() => undefined);
  }

  /**
   * The running batches of every tenant (at most `limit`, oldest first), then those finished in the
   * last `recentMs`. A batch found finished leaves the running set here, at read time (the Lua
   * script that completes a batch does not know the set), and stays listed `recentMs` longer.
   */
  async runningBatches(limit = 200, recentMs = 60_000): Promise<RunningBatch[]> {
    if (this.redis.status !== 'ready') return [];
    const now = Date.now();
    const [running, finished] = await Promise.all([
      this.redis.zrange(this.keys.running(), '0', String(limit - 1)),
      this.redis.zrangebyscore(this.keys.finished(), String(now - recentMs), '+inf', 'LIMIT', '0', String(limit)),
    ]);
    const ids = [...new Set([...running, ...finished])];
    // Sent together: one round trip's worth of latency for the lot.
    const records = await Promise.all(ids.map((id) => this.redis.hmget(this.keys.batch(id), 'state', 'total', 'completed', 'failed', 'cancelled', 'createdAtMs', 'tenant')));
    const batches: RunningBatch[] = [];
    for (const [i, batchId] of ids.entries()) {
      const [state, total, completed, failed, cancelled, createdAtMs, tenant] = records[i] ?? [];
      if (!state || !total) {
        await this.redis.zrem(this.keys.running(), batchId);
        continue;
      }
      if (state !== 'running' && running.includes(batchId)) {
        await this.redis.multi().zrem(this.keys.running(), batchId).zadd(this.keys.finished(), now, batchId).expire(this.keys.finished(), 3600).exec();
      }
      const counts = { completed: Number(completed ?? 0), failed: Number(failed ?? 0), cancelled: Number(cancelled ?? 0) };
      batches.push({ batchId, tenant: tenant ?? ANONYMOUS_TENANT, state, total: Number(total), ...counts, createdAtMs: Number(createdAtMs ?? 0) });
    }
    await this.redis.zremrangebyscore(this.keys.finished(), '-inf', now - recentMs);
    return batches;
  }

  private async record(
    batchId: string,
    index: number,
    domain: WorkerDomain | 'other',
    counter: 'completed' | 'failed' | 'cancelled',
    item: BatchItem,
    cursor?: { cursorKey: string; id: string },
  ): Promise<void> {
    await this.writer.recordOutcome(
      this.keys.batch(batchId),
      this.keys.results(batchId),
      this.keys.active(batchId),
      cursor?.cursorKey ?? this.keys.lastEvent('none'),
      String(index),
      JSON.stringify(item),
      counter,
      `${domain}:${counter}`,
      cursor?.id ?? '',
      this.config.batches.resultTtlSeconds,
    );
  }

  private ensureRedis(): void {
    if (this.redis.status !== 'ready' || this.queueConnection.status !== 'ready') {
      throw new AppError(ErrorCode.REDIS_UNAVAILABLE, 'batches are unavailable: Redis is not reachable (synchronous solving still works; retry later)');
    }
  }

  private async redisCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof AppError) throw error;
      const down = this.redis.status !== 'ready' || this.queueConnection.status !== 'ready';
      if (!down && !/ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|Stream isn't writeable|MaxRetriesPerRequest/i.test((error as Error).message)) throw error;
      throw new AppError(ErrorCode.REDIS_UNAVAILABLE, `batches are unavailable: Redis error (${(error as Error).message})`, undefined, { cause: error });
    }
  }
}

/** The message of a batch item whose requestId the tenant already used for a different problem. */
function requestIdConflict(requestId: string | undefined): string {
  return `requestId ${echoInput(requestId)} was already used for a different problem (within ROUTER_RESULT_TTL_SECONDS); reuse a requestId only for the same problem`;
}

function parseJobId(jobId: string): { batchId: string; index: number } | undefined {
  const dash = jobId.lastIndexOf('-');
  if (dash <= 0) return undefined;
  const index = Number(jobId.slice(dash + 1));
  return Number.isInteger(index) && index >= 0 ? { batchId: jobId.slice(0, dash), index } : undefined;
}

/** Workers fail jobs with `CODE: message` (or a plain message): keep the code when it is ours. */
function errorOfReason(reason: string): { errorCode: string; errorMessage: string } {
  const match = /^([A-Z_]+): ([\s\S]*)$/.exec(reason ?? '');
  const candidate = Object.assign(new Error(match?.[2] ?? reason), { code: match?.[1] });
  const code = errorCodeOf(candidate);
  return { errorCode: code, errorMessage: code === ErrorCode.INTERNAL ? reason || 'job failed' : (match?.[2] ?? reason) };
}


/** The batch's own samples / verify, checked by the one schema of generation options. */
function verificationDefaultsOf(options: SubmitBatchOptions): { samples?: number; verify?: boolean } {
  const given = { samples: options.samples ?? undefined, verify: options.verify ?? undefined };
  const parsed = generationOptionsSchema.pick({ samples: true, verify: true }).safeParse(given);
  if (!parsed.success) throw new AppError(ErrorCode.INVALID_ARGUMENT, `invalid batch options: ${describeIssues(parsed.error, (path) => path.join('.'))}`);
  return parsed.data;
}

/** A problem with the batch's samples / verify where its own options leave them unset. */
function withVerificationDefaults(problem: Problem | undefined, defaults: { samples?: number; verify?: boolean }): Problem | undefined {
  if (!problem || (defaults.samples === undefined && defaults.verify === undefined)) return problem;
  const options = { ...(problem.options ?? {}) };
  if (defaults.samples !== undefined && (options.samples === undefined || options.samples === null)) options.samples = defaults.samples;
  if (defaults.verify !== undefined && (options.verify === undefined || options.verify === null)) options.verify = defaults.verify;
  return { ...problem, options };
}
