import { Inject, Injectable } from '@nestjs/common';
import { JobName, QUEUE_OF_DOMAIN, batchCancelChannel, batchJobId, type Result, type SolveJobData } from '@slm/contracts';
import {
  AppError,
  ErrorCode,
  createRedisConnection,
  errorCodeOf,
  isRedisCluster,
  jobFailureOf,
  jobFailureReason,
  queueKeyPrefix,
  type Logger,
  type RedisConnection,
} from '@slm/platform';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { inSpan, linkFrom, recordSpan } from '@slm/telemetry';
import { z } from 'zod';
import { SolveService, type SolveHooks } from './solve.service';
import type { WorkerConfig } from './worker.config';
import { ROOT_LOGGER, WORKER_CONFIG } from './worker-runtime.tokens';

/** Progress is reported at most this often (each report is a Redis round trip). */
const PROGRESS_INTERVAL_MS = 250;
/** Cancelled batches remembered (the newest): enough to skip the stragglers of every recent cancel. */
const REMEMBERED_CANCELS = 10_000;

/** Job progress while generating. */
export interface SolveJobProgress {
  completionTokens: number;
  channel: 'reasoning' | 'answer';
}

// The envelope only: the problem itself is checked by SolveService with the same rules as gRPC.
const solveJobSchema = z.object({
  problem: z.record(z.string(), z.unknown(), { message: 'problem must be an object' }),
  route: z.record(z.string(), z.unknown()).nullish(),
  batchId: z.string().optional(),
  index: z.number().int().min(0).optional(),
  // Tracing only: a malformed one is dropped, never a reason to fail the problem.
  traceContext: z.record(z.string(), z.string().max(1024)).optional().catch(undefined),
});

/** Errors that no retry can fix: the job fails at once with the reason. */
const PERMANENT = new Set<string>([
  ErrorCode.INVALID_ARGUMENT,
  ErrorCode.INPUT_TOO_LONG,
  ErrorCode.PAYLOAD_TOO_LARGE,
  ErrorCode.MODEL_LOAD_FAILED,
]);

class ShutdownAbort extends Error {
  constructor() {
    super('the worker is shutting down');
  }
}

class BatchCancelled extends Error {
  constructor(batchId: string) {
    super(`batch ${batchId} was cancelled`);
  }
}

/**
 * Consumes the domain's BullMQ queue (`solve-<domain>`, jobs `solve`). A raw BullMQ Worker rather
 * than @nestjs/bullmq's decorators: concurrency comes from the engine's capacity (known only after
 * the model loads), consumption must start only once the model is warm, and shutdown must be able
 * to hand running jobs back; all three are explicit here.
 */
@Injectable()
export class SolveQueueConsumer {
  private readonly log: Logger;
  private worker: Worker<SolveJobData, Result> | undefined;
  private connection: RedisConnection | undefined;
  /** Listens for cancelled batches (Redis pub/sub needs a connection of its own). */
  private cancellations: RedisConnection | undefined;
  private readonly running = new Map<string, { controller: AbortController; batchId?: string }>();
  /**
   * Batches announced cancelled since this worker subscribed: a job of one that is taken after the
   * announcement (the router removes the waiting ones, a worker may take one first) is skipped.
   */
  private readonly cancelled = new Set<string>();
  /** Set once the shutdown grace period is over: a job that reaches the processor after that goes straight back. */
  private pastGrace = false;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly solver: SolveService,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: SolveQueueConsumer.name, domain: config.domain });
  }

  get queueName(): string {
    return QUEUE_OF_DOMAIN[this.config.domain];
  }

  /** Starts taking jobs, `concurrency` at a time. */
  async start(concurrency: number): Promise<void> {
    // Workers block on Redis commands: ioredis must not give up on them (BullMQ requires null).
    const connection = createRedisConnection(this.config.queue.redisUrl, { maxRetriesPerRequest: null });
    connection.on('error', (error) => this.log.warn({ err: error }, 'redis connection error'));
    this.connection = connection;
    const worker = new Worker<SolveJobData, Result>(this.queueName, (job, token) => this.process(job, token), {
      connection,
      prefix: queueKeyPrefix(this.config.queue.prefix, this.queueName, isRedisCluster(this.config.queue.redisUrl)),
      concurrency,
      lockDuration: this.config.queue.lockDurationMs,
      stalledInterval: this.config.queue.stalledIntervalMs,
      autorun: false,
    });
    worker.on('failed', (job, error) =>
      this.log.warn({ jobId: job?.id, attempt: job?.attemptsMade, reason: jobFailureOf(error.message) }, 'job failed'),
    );
    worker.on('error', (error) => this.log.error({ err: error }, 'queue worker error'));
    this.worker = worker;
    const cancellations = createRedisConnection(this.config.queue.redisUrl, { maxRetriesPerRequest: null });
    cancellations.on('error', (error) => this.log.warn({ err: error }, 'redis connection error (batch cancellations)'));
    cancellations.on('message', (_channel: string, batchId: string) => this.stopBatch(batchId));
    this.cancellations = cancellations;
    await cancellations.subscribe(batchCancelChannel(this.config.queue.prefix));
    void worker.run().catch((error: unknown) => this.log.error({ err: error }, 'queue worker stopped'));
    await worker.waitUntilReady();
    this.log.info({ queue: this.queueName, prefix: this.config.queue.prefix, concurrency }, 'consuming queue');
  }

  /**
   * Stops taking jobs and lets running ones finish for up to `graceMs`; jobs still running then
   * are stopped and moved back to the wait list (another replica takes them), so nothing is lost.
   */
  async stop(graceMs: number): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    const closed = worker.close();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace-over'>((resolve) => (timer = setTimeout(() => resolve('grace-over'), graceMs)));
    if ((await Promise.race([closed.then(() => 'closed' as const), graceOver])) === 'grace-over') {
      this.log.warn({ jobs: this.running.size }, 'grace period over: handing running jobs back to the queue');
      this.pastGrace = true;
      for (const { controller } of this.running.values()) controller.abort(new ShutdownAbort());
      await closed;
    }
    clearTimeout(timer);
    await this.cancellations?.quit().catch(() => undefined);
    this.cancellations = undefined;
    await this.connection?.quit().catch(() => undefined);
    this.connection = undefined;
  }

  /** Stops the running jobs of a batch the router cancelled (each fails at once, without a retry) and skips its jobs taken later. */
  private stopBatch(batchId: string): void {
    this.cancelled.add(batchId);
    if (this.cancelled.size > REMEMBERED_CANCELS) this.cancelled.delete(this.cancelled.values().next().value as string);
    for (const [jobId, job] of this.running) {
      if (job.batchId === batchId) {
        this.log.info({ jobId, batchId }, 'batch cancelled: stopping its job');
        job.controller.abort(new BatchCancelled(batchId));
      }
    }
  }

  private async process(job: Job<SolveJobData, Result>, token: string | undefined): Promise<Result> {
    const data = parseJob(job);
    const controller = new AbortController();
    const key = job.id ?? '';
    // Only the router's own batch jobs (id = batchJobId) can be cancelled as part of a batch.
    const batchId =
      data.batchId !== undefined && data.index !== undefined && key === batchJobId(data.batchId, data.index) ? data.batchId : undefined;
    this.running.set(key, { controller, batchId });
    let completionTokens = 0;
    let lastReport = 0;
    try {
      // BullMQ may have moved a job to active just before close, its processor starting only now.
      if (this.pastGrace) throw new ShutdownAbort();
      if (batchId !== undefined && this.cancelled.has(batchId)) controller.abort(new BatchCancelled(batchId));
      if (controller.signal.aborted) throw controller.signal.reason;
      const hooks: SolveHooks = {
        signal: controller.signal,
        onChunk: async (chunk) => {
          completionTokens += chunk.tokenIds.length;
          const now = performance.now();
          if (now - lastReport < PROGRESS_INTERVAL_MS && completionTokens > chunk.tokenIds.length) return;
          lastReport = now;
          await job.updateProgress({ completionTokens, channel: chunk.channel } satisfies SolveJobProgress);
        },
      };
      // One trace per problem, linked to the trace of its submission: a batch's problems do not pile into one trace.
      const traced = {
        'messaging.system': 'bullmq',
        'messaging.operation.type': 'process',
        'messaging.destination.name': this.queueName,
        'messaging.message.id': key,
      };
      const result = await inSpan(
        `process ${this.queueName}`,
        traced,
        (span) => {
          recordSpan('queue wait', job.timestamp, job.processedOn ?? Date.now(), { 'slm.job.attempt': job.attemptsMade + 1 }, span);
          return this.solver.solve({ problem: data.problem, route: data.route, fallbackRequestId: job.id }, hooks);
        },
        { root: true, links: linkFrom(data.traceContext) },
      );
      if (controller.signal.aborted) throw controller.signal.reason;
      return result;
    } catch (error) {
      if (error instanceof ShutdownAbort) {
        // Back to the wait list without counting an attempt: the work was interrupted, not wrong.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const cancelled = controller.signal.reason instanceof BatchCancelled ? controller.signal.reason : undefined;
      if (cancelled) throw new UnrecoverableError(jobFailureReason(new AppError(ErrorCode.CANCELLED, cancelled.message)));
      const code = errorCodeOf(error);
      if (PERMANENT.has(code)) throw new UnrecoverableError(jobFailureReason(error));
      if (code === ErrorCode.INTERNAL)
        this.log.error({ err: error, jobId: job.id }, 'job failed unexpectedly (will retry if attempts remain)');
      // Retried with backoff; the message carries the code, so the last attempt's failure says why.
      throw new Error(jobFailureReason(error), { cause: error });
    } finally {
      this.running.delete(key);
    }
  }
}

/** Checks a job's name and envelope; anything wrong can never succeed, so no retry. */
export function parseJob(job: Pick<Job, 'name' | 'data'>): SolveJobData {
  if (job.name !== JobName.SOLVE) throw invalidJob(`unknown job name "${job.name}" (expected "${JobName.SOLVE}")`);
  const parsed = solveJobSchema.safeParse(job.data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'data'}: ${issue.message}`);
    throw invalidJob(`bad job payload: ${problems.join('; ')}`);
  }
  return parsed.data as unknown as SolveJobData;
}

/** A job that can never succeed: failed at once, its reason the structured INVALID_ARGUMENT. */
function invalidJob(message: string): UnrecoverableError {
  return new UnrecoverableError(jobFailureReason(new AppError(ErrorCode.INVALID_ARGUMENT, message)));
}
