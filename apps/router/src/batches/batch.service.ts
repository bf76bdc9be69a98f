import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import Redis from 'ioredis';
import type { Gauge } from 'prom-client';
import {
  JobName,
  QUEUE_OF_DOMAIN,
  batchCancelChannel,
  batchJobId,
  type BatchItem,
  type BatchStatus__Output,
  type Problem,
  type Result,
  type RouteDecision__Output,
  type WorkerDomain,
} from '@slm/contracts';
import { AppError, ErrorCode, checkRequestId, echoInput, errorCodeOf, publicMessageOf } from '@slm/platform';
import { ROUTER_CONFIG, WORKER_DOMAINS, type RouterConfig } from '../config/router.config';
import { protoDomainOf, workerDomainOf } from '../routing/domains';
import { RoutingService } from '../routing/routing.service';
import { checkProblem, classifiedTextOf } from '../solve/problem.schemas';
import { bullPriorityOf, defaultJobOptions } from './batch-job-options';
import { BatchKeys } from './batch-keys';
import { InFlightRequests, type SolveJob } from './in-flight-requests';

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
}

const CHAR_OF: Record<WorkerDomain, string> = { math: 'm', code: 'c', science: 's' };
const DOMAIN_OF_CHAR: Record<string, WorkerDomain> = { m: 'math', c: 'code', s: 'science' };
const ADD_CHUNK = 1000;

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
  private readonly redis: Redis;
  private readonly queueConnection: Redis;
  /**
   * Writes outcomes. Unlike the fail-fast API connection it queues commands while Redis is away
   * and resends them in order when it is back: an outcome read from a queue's event stream is
   * never dropped, and the event cursor never passes an unrecorded outcome.
   */
  private readonly writer: Redis & {
    recordOutcome(...args: (string | number)[]): Promise<number>;
    markActive(...args: (string | number)[]): Promise<number>;
  };
  private readonly queues: Record<WorkerDomain, Queue>;
  private readonly inFlight: InFlightRequests;
  private readonly events: QueueEvents[] = [];
  private readonly eventConnections: Redis[] = [];
  private closed = false;
  /** Resolves once each queue's event reader has its starting point. */
  private listening: Promise<void> = Promise.resolve();

  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly routing: RoutingService,
  ) {
    this.keys = new BatchKeys(config.redis.prefix);
    // Producers fail fast when Redis is down (no offline queue): batch routes answer 503 at once
    // and ioredis keeps reconnecting in the background, so they recover by themselves.
    this.redis = new Redis(config.redis.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    this.redis.on('error', (error) => this.logger.debug(`redis: ${error.message}`));
    // BullMQ checks the server version when a Queue is built and needs its connection's offline
    // queue for that; callers are still turned away at once by ensureRedis() while Redis is down.
    this.queueConnection = new Redis(config.redis.url, { maxRetriesPerRequest: 1, retryStrategy: (times) => Math.min(times * 200, 2000) });
    this.queueConnection.on('error', (error) => this.logger.debug(`redis (queues): ${error.message}`));
    this.writer = new Redis(config.redis.url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 200, 2000) }) as BatchService['writer'];
    this.writer.on('error', (error) => this.logger.debug(`redis (writer): ${error.message}`));
    this.writer.defineCommand('recordOutcome', { numberOfKeys: 4, lua: RECORD_SCRIPT });
    this.writer.defineCommand('markActive', { numberOfKeys: 4, lua: ACTIVE_SCRIPT });
    const queueOf = (domain: WorkerDomain) => {
      const queue = new Queue(QUEUE_OF_DOMAIN[domain], {
        connection: this.queueConnection,
        prefix: config.redis.prefix,
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

  /** True when Redis answers a PING (within a second). */
  async ping(): Promise<boolean> {
    if (this.redis.status !== 'ready') return false;
    try {
      return (await Promise.race([this.redis.ping(), new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 1000).unref())])) === 'PONG';
    } catch {
      return false;
    }
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

  /** Queues a batch; with an idempotency key, a resubmission returns the first batch. */
  async submit(problems: readonly BatchProblem[], options: SubmitBatchOptions = {}): Promise<{ batchId: string; total: number; deduplicated: boolean }> {
    if (options.idempotencyKey !== undefined) checkRequestId(options.idempotencyKey, 'idempotencyKey');
    this.ensureRedis();
    await this.listening;
    const { maxBatchSize } = this.config.limits;
    if (problems.length === 0) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'a batch needs at least one problem');
    if (problems.length > maxBatchSize) {
      throw new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `batch of ${problems.length} problems exceeds the limit of ${maxBatchSize} (ROUTER_MAX_BATCH_SIZE)`);
    }
    const checked = problems.map((p, index) => checkProblem(p.problem, this.config.limits, `problems[${index}]`));
    const ttl = this.config.batches.resultTtlSeconds;
    let batchId = randomUUID().replace(/-/g, '');
    if (options.idempotencyKey) {
      const key = this.keys.idempotency(options.idempotencyKey);
      const set = await this.redisCall(() => this.redis.set(key, batchId, 'EX', ttl, 'NX'));
      if (set !== 'OK') {
        const existing = await this.redisCall(() => this.redis.get(key));
        if (existing && (await this.redisCall(() => this.redis.hget(this.keys.batch(existing), 'submitted'))) === '1') {
          const total = Number(await this.redisCall(() => this.redis.hget(this.keys.batch(existing), 'total')));
          return { batchId: existing, total, deduplicated: true };
        }
        // The first submission died half-way (or expired): finish it under the same id; the
        // deterministic job ids make the jobs already added no-ops.
        if (existing) batchId = existing;
        else await this.redisCall(() => this.redis.set(key, batchId, 'EX', ttl));
      }
    }

    const decisions: (RouteDecision__Output | AppError)[] = checked.map((problem) => {
      try {
        return this.routing.decide(classifiedTextOf(problem), workerDomainOf(problem.domainOverride));
      } catch (error) {
        return error instanceof AppError ? error : new AppError(ErrorCode.INTERNAL, publicMessageOf(error));
      }
    });
    const domainChars = decisions.map((d) => (d instanceof AppError ? 'x' : CHAR_OF[workerDomainOf(d.domain) ?? 'science'])).join('');
    const perDomain: Record<string, number> = {};
    for (const char of domainChars) {
      const domain = DOMAIN_OF_CHAR[char];
      if (domain) perDomain[`${domain}:total`] = (perDomain[`${domain}:total`] ?? 0) + 1;
    }
    const batchKey = this.keys.batch(batchId);
    await this.redisCall(() =>
      this.redis
        .multi()
        .hsetnx(batchKey, 'createdAtMs', String(Date.now()))
        .hset(batchKey, {
          id: batchId,
          total: String(checked.length),
          state: 'running',
          priority: String(options.priority ?? 0),
          metadata: JSON.stringify(options.metadata ?? {}),
          ...Object.fromEntries(Object.entries(perDomain).map(([k, v]) => [k, String(v)])),
        })
        .expire(batchKey, ttl)
        .set(this.keys.domains(batchId), domainChars, 'EX', ttl)
        .exec(),
    );

    const jobs: (SolveJob | undefined)[] = checked.map((problem, index) => {
      const decision = decisions[index];
      if (decision instanceof AppError) return undefined;
      const jobId = batchJobId(batchId, index);
      return {
        domain: DOMAIN_OF_CHAR[domainChars[index] ?? ''] ?? 'science',
        name: JobName.SOLVE,
        data: { problem: { ...problem, requestId: problem.requestId || jobId }, route: decision, batchId, index },
        opts: { jobId, priority: bullPriorityOf(problems[index]?.priority || options.priority) },
      };
    });
    // A caller's requestId is the problem's idempotency key: answered from an earlier result, or
    // waiting for the job of another batch that is solving it right now (see InFlightRequests).
    const claims = await this.redisCall(() =>
      this.inFlight.claim(batchId, jobs.flatMap((job, index) => (job && checked[index]?.requestId ? [{ index, requestId: checked[index].requestId as string, job }] : []))),
    );
    for (const domain of WORKER_DOMAINS) {
      const toQueue = jobs.filter((job, index): job is SolveJob => job?.domain === domain && [undefined, 'owner'].includes(claims.get(index)?.kind));
      for (let start = 0; start < toQueue.length; start += ADD_CHUNK) {
        await this.redisCall(() => this.queues[domain].addBulk(toQueue.slice(start, start + ADD_CHUNK).map(({ name, data, opts }) => ({ name, data, opts }))));
      }
    }
    for (let index = 0; index < decisions.length; index++) {
      const decision = decisions[index];
      if (decision instanceof AppError) await this.record(batchId, index, 'other', 'failed', { index, errorCode: decision.code, errorMessage: decision.message });
    }
    for (const [index, claim] of claims) {
      if (claim.kind === 'solved') await this.record(batchId, index, DOMAIN_OF_CHAR[domainChars[index] ?? ''] ?? 'other', 'completed', { index, result: claim.result });
    }
    await this.redisCall(() => this.redis.hset(batchKey, 'submitted', '1'));
    return { batchId, total: checked.length, deduplicated: false };
  }

  /** A batch's state and progress; NOT_FOUND for an unknown or expired id. */
  async status(batchId: string): Promise<BatchStatus__Output> {
    this.ensureRedis();
    const record = await this.redisCall(() => this.redis.hgetall(this.keys.batch(batchId)));
    if (!record.total) throw new AppError(ErrorCode.NOT_FOUND, `batch ${echoInput(batchId)} not found (unknown, or expired after ROUTER_RESULT_TTL_SECONDS)`);
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
  async *items(batchId: string, offset: number, chunk = 1000): AsyncGenerator<string> {
    const { total } = await this.status(batchId);
    for (let start = offset; start < total; start += chunk) {
      const fields = Array.from({ length: Math.min(chunk, total - start) }, (_, i) => String(start + i));
      const values = await this.redisCall(() => this.redis.hmget(this.keys.results(batchId), ...fields));
      for (const value of values) {
        if (value === null) return;
        yield value;
      }
    }
  }

  /** Cancels a batch: queued jobs removed, every unfinished problem counted cancelled. */
  async cancel(batchId: string): Promise<BatchStatus__Output> {
    const before = await this.status(batchId);
    if (before.state !== 'BATCH_STATE_RUNNING') return before;
    await this.redisCall(() => this.redis.hset(this.keys.batch(batchId), 'state', 'cancelled'));
    const domainChars = (await this.redisCall(() => this.redis.get(this.keys.domains(batchId)))) ?? '';
    for (let start = 0; start < before.total; start += ADD_CHUNK) {
      const fields = Array.from({ length: Math.min(ADD_CHUNK, before.total - start) }, (_, i) => String(start + i));
      const done = await this.redisCall(() => this.redis.hmget(this.keys.results(batchId), ...fields));
      const open = fields.filter((_, i) => done[i] === null).map(Number);
      await Promise.all(
        open.map(async (index) => {
          const domain = DOMAIN_OF_CHAR[domainChars[index] ?? ''];
          // A running job cannot be removed (its worker holds the lock): it is stopped below.
          if (domain) await this.queues[domain].remove(batchJobId(batchId, index)).catch(() => 0);
          await this.record(batchId, index, domain ?? 'other', 'cancelled', { index, errorCode: ErrorCode.CANCELLED, errorMessage: 'batch cancelled' });
          // Its problem passes to a job of another batch waiting for it (or it stops waiting).
          await this.redisCall(() => this.inFlight.finish(batchId, index, 'cancelled', undefined, 'api'));
        }),
      );
    }
    // Jobs that were running (not removable) are stopped by their workers; an outcome that still
    // arrives is ignored (HSETNX), so the cancelled record stands.
    await this.redisCall(() => this.redis.publish(batchCancelChannel(this.config.redis.prefix), batchId));
    return this.status(batchId);
  }

  private async listen(domain: WorkerDomain): Promise<void> {
    const queueName = QUEUE_OF_DOMAIN[domain];
    const connection = new Redis(this.config.redis.url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 200, 2000) });
    connection.on('error', (error) => this.logger.debug(`redis (events ${domain}): ${error.message}`));
    this.eventConnections.push(connection);
    // Resume after the last event this deployment handled (survives a router restart). The first
    // time, start from the stream's current end, fixed now: a batch submitted before the reader's
    // first XREAD must not have its early events missed (which '$' would do).
    const cursorKey = this.keys.lastEvent(queueName);
    const streamKey = `${this.config.redis.prefix}:${queueName}:events`;
    let lastEventId = await connection.get(cursorKey).catch(() => null);
    if (!lastEventId) {
      const [last] = (await connection.xrevrange(streamKey, '+', '-', 'COUNT', 1).catch(() => [])) as [string, string[]][];
      lastEventId = last?.[0] ?? '0-0';
      await connection.set(cursorKey, lastEventId, 'EX', this.config.batches.resultTtlSeconds, 'NX').catch(() => undefined);
      lastEventId = (await connection.get(cursorKey).catch(() => null)) ?? lastEventId;
    }
    if (this.closed) return;
    const events = new QueueEvents(queueName, { connection, prefix: this.config.redis.prefix, lastEventId });
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
    });
    events.on('failed', ({ jobId, failedReason }, id) => {
      const ref = parseJobId(jobId);
      if (!ref) return;
      this.inFlight.finish(ref.batchId, ref.index, 'failed').catch(warn(jobId));
      this.record(ref.batchId, ref.index, domain, 'failed', { index: ref.index, ...errorOfReason(failedReason) }, { cursorKey, id }).catch(warn(jobId));
    });
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

