import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Gauge } from 'prom-client';
import {
  JobName,
  QUEUE_OF_DOMAIN,
  WORKER_DOMAINS,
  batchJobId,
  generationOptionsSchema,
  protoDomainOf,
  workerDomainOf,
  type BatchItem,
  type BatchStatus__Output,
  type Problem,
  type Result,
  type Result__Output,
  type RouteDecision__Output,
  type WorkerDomain,
} from '@slm/contracts';
import { AppError, ErrorCode, checkRequestId, describeIssues, echoInput, jobFailureOf, publicMessageOf } from '@slm/platform';
import { traceCarrier, untraced } from '@slm/telemetry';
import { ROUTER_CONFIG, type RouterConfig } from '../config/router.config';
import { RouterMetricsService } from '../metrics/router-metrics.service';
import { RoutingService } from '../routing/routing.service';
import { checkProblem, classifiedTextOf, earlierTurnsOf } from '../solve/problem.schemas';
import { ANONYMOUS_TENANT, canonicalJson, checkTenant, fingerprintOf } from '../tenancy/tenants';
import { bullPriorityOf } from './batch-job-options';
import { BatchQueues } from './batch-queues';
import { tooManyProblems } from './batch.schemas';
import { BatchStore, type EventCursor, type Outcome, type OutcomeRecord, type RunningBatch, type SolveJob } from './batch-store';
import { InFlightRequests } from './in-flight-requests';
import { TimeSlicer } from './time-slicer';

export type { RunningBatch } from './batch-store';

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
/** Problems a cancel handles per store call (each holds Redis for a few ms). */
const CANCEL_CHUNK = 5000;

/**
 * Batches: checks and routes a submission's problems, queues their jobs, turns the queues' events
 * into outcomes, and answers status, results and cancel. Where batches are kept is the BatchStore
 * (Redis, so progress, results and cancellation survive a router restart); the queues and their
 * event readers are BatchQueues.
 */
@Injectable()
export class BatchService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(BatchService.name);
  private readonly inFlight: InFlightRequests;
  /** Resolves once each queue's event reader has its starting point. */
  private listening: Promise<void> = Promise.resolve();

  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly routing: RoutingService,
    private readonly metrics: RouterMetricsService,
    private readonly store: BatchStore,
    private readonly queues: BatchQueues,
  ) {
    this.inFlight = new InFlightRequests(store, {
      answer: (job, result) =>
        this.record(job.data.batchId ?? '', {
          index: job.data.index ?? 0,
          domain: job.domain,
          outcome: 'completed',
          item: { index: job.data.index ?? 0, result },
          requestId: job.data.problem?.requestId,
        }),
      solve: async (job) => {
        const state = await this.store.stateOf(job.data.batchId ?? '', 'writer');
        // A batch cancelled meanwhile does not solve it: the problem passes to the next waiting job.
        if (state !== 'running') return this.inFlight.finish(job.data.batchId ?? '', job.data.index ?? 0, 'cancelled');
        await this.queues.add(job.domain, [job]);
      },
    });
  }

  onModuleInit(): void {
    // Not awaited: the router starts (and solves synchronously) while Redis is down.
    this.listening = Promise.all(
      WORKER_DOMAINS.map((domain) =>
        this.queues.listen(domain, (queue, streamEnd) => this.store.eventCursor(queue, streamEnd), this.eventHandlers(domain)),
      ),
    ).then(() => undefined);
    this.inFlight.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.inFlight.stop();
    await this.queues.close();
    await this.store.close();
  }

  /** True while the batch store is reachable (the client's own state: no round trip). */
  isRedisConnected(): boolean {
    return this.store.isConnected();
  }

  /** Samples each queue's job counts into a gauge (for /metrics); skipped while Redis is down. */
  sampleQueueDepths(gauge: Gauge<'queue' | 'state'>): Promise<void> {
    return this.queues.sampleDepths(gauge);
  }

  /**
   * Queues a tenant's batch. With an idempotency key, a resubmission of the same body returns the
   * first batch and one with a different body is a CONFLICT; another tenant's same key is its own.
   */
  async submit(
    tenant: string,
    problems: readonly BatchProblem[],
    options: SubmitBatchOptions = {},
  ): Promise<{ batchId: string; total: number; deduplicated: boolean }> {
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
      const problem = checkProblem(
        withVerificationDefaults(problems[index]?.problem, verification),
        this.config.limits,
        `problems[${index}]`,
      );
      checked.push(problem);
      body.update(`\n${canonicalJson({ problem, priority: problems[index]?.priority || 0 })}`);
      await slicer.maybeYield();
    }
    const bodyFingerprint = body.digest('base64url');
    let batchId = randomUUID().replace(/-/g, '');
    if (options.idempotencyKey) {
      const idempotencyKey = options.idempotencyKey;
      const claim = await this.redisCall(() => this.store.claimIdempotencyKey(tenant, idempotencyKey, batchId, bodyFingerprint));
      switch (claim.kind) {
        case 'conflict':
          throw new AppError(
            ErrorCode.CONFLICT,
            `idempotency key ${echoInput(idempotencyKey)} was already used for a different batch (within ROUTER_RESULT_TTL_SECONDS); use a new key for a new batch`,
          );
        case 'submitted':
          return { batchId: claim.batchId, total: claim.total, deduplicated: true };
        case 'resume':
          // The first submission died half-way: finish it under the same id; the deterministic
          // job ids make the jobs already added no-ops.
          batchId = claim.batchId;
          break;
        case 'new':
          break;
      }
    }

    await this.redisCall(() =>
      this.store.createBatch(batchId, { tenant, total: checked.length, priority: options.priority ?? 0, metadata: options.metadata ?? {} }),
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
          decisions.push(
            untraced(() => this.routing.decide(classifiedTextOf(problem), workerDomainOf(problem.domainOverride), earlierTurnsOf(problem))),
          );
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
      await this.redisCall(() => this.store.recordDomains(batchId, start, domainChars, perDomain));
      const jobs = decisions.map((decision, offset): SolveJob | undefined => {
        if (decision instanceof AppError) return undefined;
        const index = start + offset;
        const problem = checked[index] as Problem;
        const jobId = batchJobId(batchId, index);
        return {
          domain: DOMAIN_OF_CHAR[domainChars[offset] ?? ''] ?? 'science',
          name: JobName.SOLVE,
          data: {
            problem: { ...problem, requestId: problem.requestId || jobId },
            route: decision,
            batchId,
            index,
            ...(traceContext.traceparent ? { traceContext } : {}),
          },
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
            return [
              {
                index: start + offset,
                requestId: problem.requestId,
                fingerprint: fingerprintOf({ ...problem, requestId: undefined }),
                job,
              },
            ];
          }),
        ),
      );
      // Cancelled while it was being queued: the cancel counted every problem, none is added after it.
      if ((await this.redisCall(() => this.store.stateOf(batchId))) === 'cancelled') break;
      for (const domain of WORKER_DOMAINS) {
        const toQueue = jobs.filter(
          (job, offset): job is SolveJob => job?.domain === domain && [undefined, 'owner'].includes(claims.get(start + offset)?.kind),
        );
        for (let first = 0; first < toQueue.length; first += ADD_CHUNK) {
          await this.redisCall(() => this.queues.add(domain, toQueue.slice(first, first + ADD_CHUNK)));
          await slicer.maybeYield();
        }
      }
      // The chunk's outcomes known at submission (refused, answered from an earlier result, conflicts), in one go.
      const outcomes: OutcomeRecord[] = [];
      for (let offset = 0; offset < decisions.length; offset++) {
        const decision = decisions[offset];
        const index = start + offset;
        if (decision instanceof AppError)
          outcomes.push({
            index,
            domain: 'other',
            outcome: 'failed',
            item: { index, errorCode: decision.code, errorMessage: decision.message },
          });
      }
      for (const [index, claim] of claims) {
        const domain = DOMAIN_OF_CHAR[domainChars[index - start] ?? ''] ?? 'other';
        if (claim.kind === 'solved')
          outcomes.push({
            index,
            domain,
            outcome: 'completed',
            item: { index, result: claim.result },
            requestId: checked[index]?.requestId,
          });
        if (claim.kind === 'conflict')
          outcomes.push({
            index,
            domain,
            outcome: 'failed',
            item: { index, errorCode: ErrorCode.CONFLICT, errorMessage: requestIdConflict(checked[index]?.requestId) },
          });
      }
      if (outcomes.length > 0) await this.store.recordOutcomes(batchId, outcomes);
    }
    await this.redisCall(() => this.store.markSubmitted(batchId));
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
    const stored = await this.redisCall(() => this.store.readBatch(batchId));
    // A record without a tenant was written before tenants existed, when every caller was anonymous.
    if (!stored || (stored.fields.tenant ?? ANONYMOUS_TENANT) !== tenant)
      throw new AppError(
        ErrorCode.NOT_FOUND,
        `batch ${echoInput(batchId)} not found (unknown, or expired after ROUTER_RESULT_TTL_SECONDS)`,
      );
    const { fields: record, activeIndexes, domainChars } = stored;
    const num = (field: string) => Number(record[field] ?? 0);
    const total = num('total');
    const activeOf = (domain: WorkerDomain) => activeIndexes.filter((i) => domainChars[Number(i)] === CHAR_OF[domain]).length;
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
      state:
        record.state === 'cancelled'
          ? 'BATCH_STATE_CANCELLED'
          : record.state === 'completed'
            ? 'BATCH_STATE_COMPLETED'
            : 'BATCH_STATE_RUNNING',
      total,
      counts,
      byDomain: WORKER_DOMAINS.filter((d) => num(`${d}:total`) > 0).map((d) => ({
        domain: protoDomainOf(d),
        counts: countsOf(`${d}:`, num(`${d}:total`), activeOf(d)),
      })),
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
      const values = await this.redisCall(() => this.store.readResults(tenant, batchId, start, Math.min(chunk, total - start)));
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
    const found = await this.redisCall(() => this.store.startCancel(tenant, batchId));
    // Unknown or another tenant's (NOT_FOUND), or already over: the status says which.
    if (!found || found.state !== 'running') return this.status(tenant, batchId);
    const { total } = found;
    const domainChars = await this.redisCall(() => this.store.domainsOf(batchId));
    for (let start = 0; start < total; start += CANCEL_CHUNK)
      await this.removeWaitingJobs(batchId, domainChars, start, Math.min(total, start + CANCEL_CHUNK));
    // The item of a cancelled problem ({index, errorCode, errorMessage}), put together around its index.
    const itemTail = JSON.stringify({ errorCode: ErrorCode.CANCELLED, errorMessage: 'batch cancelled' } satisfies BatchItem).replace(
      /^\{/,
      ',',
    );
    for (let start = 0; start < total; start += CANCEL_CHUNK) {
      const end = Math.min(total, start + CANCEL_CHUNK);
      const withRequestId = await this.redisCall(() => this.store.cancelProblems(batchId, start, end, '{"index":', itemTail));
      // Their problems pass to a job of another batch waiting for them (or they stop waiting).
      for (const index of withRequestId) await this.redisCall(() => this.inFlight.finish(batchId, index, 'cancelled', undefined, 'api'));
    }
    // Outcomes of the jobs that were running still arrive; they are ignored: the cancelled record stands.
    return this.status(tenant, batchId);
  }

  /**
   * The running batches of every tenant (at most `limit`, oldest first), then those finished in the
   * last `recentMs`.
   */
  runningBatches(limit = 200, recentMs = 60_000): Promise<RunningBatch[]> {
    return this.store.runningBatches(limit, recentMs);
  }

  /** Takes the waiting jobs of a batch's problems `start`..`end` out of their queues (finished and running ones stay). */
  private async removeWaitingJobs(batchId: string, domainChars: string, start: number, end: number): Promise<void> {
    const jobIds: Record<WorkerDomain, string[]> = { math: [], code: [], science: [] };
    for (let index = start; index < end; index++) {
      const domain = DOMAIN_OF_CHAR[domainChars[index] ?? ''];
      if (domain) jobIds[domain].push(batchJobId(batchId, index));
    }
    await Promise.all(
      WORKER_DOMAINS.filter((domain) => jobIds[domain].length > 0).map((domain) =>
        this.redisCall(() => this.queues.removeWaiting(domain, jobIds[domain])),
      ),
    );
  }

  /**
   * What a queue's events mean for its batches. Handlers issue their writes in event order on the
   * store's writer, which applies them in that order; each moves the queue's cursor with it.
   */
  private eventHandlers(domain: WorkerDomain): Parameters<BatchQueues['listen']>[2] {
    const warn = (jobId: string) => (error: unknown) => this.logger.warn(`record ${jobId}: ${String(error)}`);
    const cursorOf = (eventId: string): EventCursor => ({ queue: QUEUE_OF_DOMAIN[domain], eventId });
    return {
      active: (jobId, eventId) => {
        const ref = parseJobId(jobId);
        if (ref) this.store.markActive(ref.batchId, ref.index, cursorOf(eventId)).catch(warn(jobId));
      },
      completed: (jobId, returnvalue, eventId) => {
        const ref = parseJobId(jobId);
        if (!ref) return;
        const result = returnvalue as Result;
        // A requestId the caller chose (not the job id given to problems without one) keys the result for
        // reuse and answers the jobs waiting for it; written first, so it is there by the time the batch
        // shows the problem done, and before the event cursor moves past it.
        const requestId = result?.requestId && result.requestId !== jobId ? result.requestId : undefined;
        if (requestId) this.inFlight.finish(ref.batchId, ref.index, 'completed', result).catch(warn(jobId));
        this.record(
          ref.batchId,
          { index: ref.index, domain, outcome: 'completed', item: { index: ref.index, result }, requestId },
          cursorOf(eventId),
        )
          // Recorded: the job's own copy of the result goes (the batch's is the one kept).
          .then(() => this.settleCompleted(domain, jobId), warn(jobId));
        this.metrics.recordVerification(domain, result as Result__Output);
      },
      failed: (jobId, failedReason, eventId) => {
        const ref = parseJobId(jobId);
        if (!ref) return;
        const error = errorOfReason(failedReason);
        // A job its worker stopped (or skipped) for a cancel, seen before the cancel recorded it.
        const outcome: Outcome = error.errorCode === ErrorCode.CANCELLED ? 'cancelled' : 'failed';
        this.inFlight.finish(ref.batchId, ref.index, outcome).catch(warn(jobId));
        this.record(ref.batchId, { index: ref.index, domain, outcome, item: { index: ref.index, ...error } }, cursorOf(eventId)).catch(
          warn(jobId),
        );
      },
    };
  }

  /**
   * Drops a completed job's copy of its recorded result and observes how long it waited in its
   * queue. Best effort: a copy left behind (Redis away meanwhile) goes with the job after
   * ROUTER_RESULT_TTL_SECONDS.
   */
  private async settleCompleted(domain: WorkerDomain, jobId: string): Promise<void> {
    const waitSeconds = await this.queues.settleCompleted(domain, jobId).catch(() => undefined);
    if (waitSeconds !== undefined) this.metrics.queueWait.observe({ domain }, waitSeconds);
  }

  private record(batchId: string, outcome: OutcomeRecord, cursor?: EventCursor): Promise<void> {
    return this.store.recordOutcomes(batchId, [outcome], cursor);
  }

  private ensureRedis(): void {
    if (!this.store.isConnected() || !this.queues.isConnected()) {
      throw new AppError(
        ErrorCode.REDIS_UNAVAILABLE,
        'batches are unavailable: Redis is not reachable (synchronous solving still works; retry later)',
      );
    }
  }

  private async redisCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof AppError) throw error;
      const down = !this.store.isConnected() || !this.queues.isConnected();
      if (
        !down &&
        !/ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|Stream isn't writeable|MaxRetriesPerRequest/i.test(
          (error as Error).message,
        )
      )
        throw error;
      throw new AppError(ErrorCode.REDIS_UNAVAILABLE, `batches are unavailable: Redis error (${(error as Error).message})`, undefined, {
        cause: error,
      });
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

/** A batch item's error from its job's failedReason: the structured `{code, message}` workers fail jobs with (jobFailureOf). */
function errorOfReason(reason: string): { errorCode: string; errorMessage: string } {
  const { code, message } = jobFailureOf(reason);
  return { errorCode: code, errorMessage: message };
}

/** The batch's own samples / verify, checked by the one schema of generation options. */
function verificationDefaultsOf(options: SubmitBatchOptions): { samples?: number; verify?: boolean } {
  const given = { samples: options.samples ?? undefined, verify: options.verify ?? undefined };
  const parsed = generationOptionsSchema.pick({ samples: true, verify: true }).safeParse(given);
  if (!parsed.success)
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `invalid batch options: ${describeIssues(parsed.error, (path) => path.join('.'))}`);
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
