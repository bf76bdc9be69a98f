import { Worker } from 'bullmq';
import Redis from 'ioredis';
import { JobName, QUEUE_OF_DOMAIN, WORKER_DOMAINS, type Result, type SolveJobData } from '@slm/contracts';
import { AppError, ErrorCode, jobFailureReason } from '@slm/platform';
import { FakeWorker } from './fake-worker';

/**
 * Plain BullMQ workers on the three solve queues, answering like the fake gRPC workers: the
 * queue side of the domain workers, as a test double. Counts how often each job id ran.
 */
export class QueueWorkers {
  readonly runs = new Map<string, number>();
  private readonly workers: Worker[] = [];
  private readonly connections: Redis[] = [];

  constructor(
    redisUrl: string,
    prefix: string,
    concurrency = 50,
    /** Time each job takes, ms; lock and stall settings for the fault tests. */
    options: { jobMs?: number; lockDuration?: number; stalledInterval?: number } = {},
  ) {
    for (const domain of WORKER_DOMAINS) {
      const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
      this.connections.push(connection);
      const worker = new Worker<SolveJobData, Result>(
        QUEUE_OF_DOMAIN[domain],
        async (job) => {
          if (job.name !== JobName.SOLVE) throw new Error(`unexpected job ${job.name}`);
          this.runs.set(job.id ?? '', (this.runs.get(job.id ?? '') ?? 0) + 1);
          if (options.jobMs) await new Promise((resolve) => setTimeout(resolve, options.jobMs));
          if (job.data.problem.text === 'fail me')
            throw new Error(jobFailureReason(new AppError(ErrorCode.INVALID_ARGUMENT, 'this problem always fails')));
          return FakeWorker.resultFor(domain, { problem: job.data.problem, route: job.data.route } as never);
        },
        {
          connection,
          prefix,
          concurrency,
          ...(options.lockDuration ? { lockDuration: options.lockDuration, maxStalledCount: 5 } : {}),
          ...(options.stalledInterval ? { stalledInterval: options.stalledInterval } : {}),
        },
      );
      worker.on('error', () => undefined);
      this.workers.push(worker);
    }
  }

  async pause(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.pause()));
  }

  resume(): void {
    for (const w of this.workers) w.resume();
  }

  /** Like a killed replica: stops at once, leaving its active jobs locked until they stall. */
  async kill(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close(true)));
    for (const c of this.connections) c.disconnect();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    for (const c of this.connections) c.disconnect();
  }
}
