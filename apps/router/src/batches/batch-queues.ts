import { Inject, Injectable, Logger } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import type { Gauge } from 'prom-client';
import { QUEUE_OF_DOMAIN, WORKER_DOMAINS, type WorkerDomain } from '@slm/contracts';
import { createRedisConnection, isRedisCluster, queueKeyPrefix, type RedisConnection } from '@slm/platform';
import { ROUTER_CONFIG, type RouterConfig } from '../config/router.config';
import { defaultJobOptions } from './batch-job-options';
import type { SolveJob } from './batch-store';
import { luaScript } from './lua-scripts';

/** What a queue's event reader hands on, in stream order; `eventId` is the event's id in the stream (the reader's cursor). */
export interface QueueEventHandlers {
  active(jobId: string, eventId: string): void;
  completed(jobId: string, returnvalue: unknown, eventId: string): void;
  failed(jobId: string, failedReason: string, eventId: string): void;
}

type ScriptedConnection = RedisConnection & { removeWaitingJobs(...args: string[]): Promise<string[]> };

/**
 * The queue layer of batches: one BullMQ queue per domain (producers) and one event reader per
 * queue. It knows jobs and streams, not batches: BatchService says what to add and what an event
 * means, the BatchStore keeps the readers' cursors.
 */
@Injectable()
export class BatchQueues {
  private readonly logger = new Logger(BatchQueues.name);
  private readonly cluster: boolean;
  /**
   * BullMQ checks the server version when a Queue is built and needs its connection's offline
   * queue for that; callers are still turned away at once while Redis is down (isConnected()).
   */
  private readonly connection: ScriptedConnection;
  private readonly queues: Record<WorkerDomain, Queue>;
  private readonly events: QueueEvents[] = [];
  private readonly eventConnections: RedisConnection[] = [];
  private closed = false;

  constructor(@Inject(ROUTER_CONFIG) private readonly config: RouterConfig) {
    this.cluster = isRedisCluster(config.redis.url);
    this.connection = createRedisConnection(config.redis.url, {
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    }) as ScriptedConnection;
    this.connection.on('error', (error) => this.logger.debug(`redis (queues): ${error.message}`));
    this.connection.defineCommand('removeWaitingJobs', { numberOfKeys: 2, lua: luaScript('remove-waiting-jobs') });
    const queueOf = (domain: WorkerDomain) => {
      const queue = new Queue(QUEUE_OF_DOMAIN[domain], {
        connection: this.connection,
        prefix: this.prefixOf(domain),
        defaultJobOptions: defaultJobOptions(config),
        skipWaitingForReady: true,
        streams: { events: { maxLen: 100_000 } },
      });
      queue.on('error', (error) => this.logger.debug(`queue ${domain}: ${error.message}`));
      return queue;
    };
    this.queues = { math: queueOf('math'), code: queueOf('code'), science: queueOf('science') };
  }

  /** True while the producers' connection is up (no round trip). */
  isConnected(): boolean {
    return this.connection.status === 'ready';
  }

  /** Stops the event readers, then the producers. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.events.map((e) => e.close()));
    await Promise.allSettled(WORKER_DOMAINS.map((d) => this.queues[d].close()));
    for (const connection of this.eventConnections) connection.disconnect();
    this.connection.disconnect();
  }

  /** Adds jobs to one domain's queue in one call (a job id already there is a no-op). */
  async add(domain: WorkerDomain, jobs: readonly SolveJob[]): Promise<void> {
    await this.queues[domain].addBulk(jobs.map(({ name, data, opts }) => ({ name, data, opts })));
  }

  /** Takes waiting jobs out of a domain's queue in bulk (finished and running ones stay). */
  async removeWaiting(domain: WorkerDomain, jobIds: readonly string[]): Promise<void> {
    const queue = this.queues[domain];
    const elsewhere = await this.connection.removeWaitingJobs(
      queue.keys.prioritized ?? '',
      queue.keys.delayed ?? '',
      queue.toKey(''),
      ...jobIds,
    );
    await Promise.all(elsewhere.map((jobId) => queue.remove(jobId).catch(() => 0)));
  }

  /** Samples each queue's job counts into a gauge (for /metrics); skipped while Redis is down. */
  async sampleDepths(gauge: Gauge<'queue' | 'state'>): Promise<void> {
    if (!this.isConnected()) return;
    await Promise.all(
      WORKER_DOMAINS.map(async (domain) => {
        const counts = await this.queues[domain]
          .getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed')
          .catch(() => ({}));
        for (const [state, value] of Object.entries(counts)) gauge.set({ queue: QUEUE_OF_DOMAIN[domain], state }, value);
      }),
    );
  }

  /**
   * Reads a queue's events from `startFrom` (given the stream's current end, for a first start:
   * a batch submitted before the reader's first XREAD must not have its early events missed,
   * which '$' would do). Resolves once the reader has its starting point.
   */
  async listen(
    domain: WorkerDomain,
    startFrom: (queue: string, streamEnd: () => Promise<string>) => Promise<string>,
    handlers: QueueEventHandlers,
  ): Promise<void> {
    const queueName = QUEUE_OF_DOMAIN[domain];
    const connection = createRedisConnection(this.config.redis.url, {
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    connection.on('error', (error) => this.logger.debug(`redis (events ${domain}): ${error.message}`));
    this.eventConnections.push(connection);
    const streamKey = `${this.prefixOf(domain)}:${queueName}:events`;
    const streamEnd = async () => {
      const [last] = (await connection.xrevrange(streamKey, '+', '-', 'COUNT', 1).catch(() => [])) as [string, string[]][];
      return last?.[0] ?? '0-0';
    };
    const lastEventId = await startFrom(queueName, streamEnd);
    if (this.closed) return;
    const events = new QueueEvents(queueName, { connection, prefix: this.prefixOf(domain), lastEventId });
    events.on('error', (error) => this.logger.debug(`queue events ${domain}: ${error.message}`));
    this.events.push(events);
    events.on('active', ({ jobId }, id) => handlers.active(jobId, id));
    events.on('completed', ({ jobId, returnvalue }, id) => handlers.completed(jobId, returnvalue, id));
    events.on('failed', ({ jobId, failedReason }, id) => handlers.failed(jobId, failedReason, id));
  }

  /**
   * Once a completed job's result is recorded in its batch: drops the job's copy of it (its return
   * value, kept by BullMQ until ROUTER_RESULT_TTL_SECONDS) and tells how long the job waited in its
   * queue, in seconds (undefined when unknown). The job itself stays, so its id still makes a
   * resubmitted job a no-op.
   */
  async settleCompleted(domain: WorkerDomain, jobId: string): Promise<number | undefined> {
    const jobKey = this.queues[domain].toKey(jobId);
    // Two plain commands, sent back to back: no round trip between them, and no pipeline object
    // (on this connection, which carries BullMQ's scripts, building one copies every script: that
    // cost more than the commands for every batch problem).
    const [[created, processed]] = await Promise.all([
      this.connection.hmget(jobKey, 'timestamp', 'processedOn'),
      this.connection.hdel(jobKey, 'returnvalue'),
    ]);
    return created && processed ? Math.max(0, Number(processed) - Number(created)) / 1000 : undefined;
  }

  private prefixOf(domain: WorkerDomain): string {
    return queueKeyPrefix(this.config.redis.prefix, QUEUE_OF_DOMAIN[domain], this.cluster);
  }
}
