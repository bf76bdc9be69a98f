import { randomUUID } from 'node:crypto';
import { JobName, QUEUE_OF_DOMAIN, batchCancelChannel, batchJobId, type Result, type SolveJobData } from '@slm/contracts';
import { createLogger } from '@slm/platform';
import { Queue, QueueEvents, type Job } from 'bullmq';
import IORedis from 'ioredis';
import { found, missing } from './answer-text';
import { startWorker, type RunningWorker } from './bootstrap-worker';
import type { DomainPolicy } from './domain-policy';
import { FakeEngine } from '../test/fake.engine';

// The queue consumer of a real worker (in this process) against the real Redis of the test run,
// with a plain BullMQ Queue as the producer, a unique key prefix per test.

const policy: DomainPolicy = {
  domain: 'science',
  defaultModelId: 'none/none',
  systemPrompt: 'Answer.',
  temperature: 0.6,
  topP: 0.95,
  maxNewTokens: 64,
  verifySamples: 5,
  systemPromptFor: (configured) => configured,
  extract: ({ answer }) => (answer ? found(answer.trim(), 'short_answer') : missing('empty')),
};
const logger = createLogger('test', 'silent');
const redisUrl = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const queueName = QUEUE_OF_DOMAIN.science;

describe('solve queue consumer', () => {
  let prefix: string;
  let queue: Queue<SolveJobData, Result>;
  let events: QueueEvents;
  const workers: RunningWorker[] = [];

  async function startConsumer(engine: FakeEngine, extraEnv: Record<string, string> = {}): Promise<RunningWorker> {
    const worker = await startWorker(policy, {
      env: {
        REDIS_URL: redisUrl(),
        QUEUE_PREFIX: prefix,
        SCIENCE_WORKER_GRPC_PORT: '0',
        SCIENCE_WORKER_GRPC_HOST: '127.0.0.1',
        ...extraEnv,
      },
      logger,
      engineFactory: async () => engine,
    });
    workers.push(worker);
    return worker;
  }

  beforeEach(async () => {
    prefix = `test-${randomUUID()}`;
    queue = new Queue(queueName, { connection: { url: redisUrl() }, prefix });
    events = new QueueEvents(queueName, { connection: { url: redisUrl() }, prefix });
    await events.waitUntilReady();
  });

  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.close();
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('completes a job added by a plain Queue with a Result in the contract shape, reporting progress', async () => {
    await startConsumer(new FakeEngine({ maxConcurrency: 2, maxQueue: 0 }, '<think>water boils at 100</think>100 °C'));
    const progress: unknown[] = [];
    events.on('progress', ({ data }) => progress.push(data));
    const job = await queue.add(JobName.SOLVE, {
      problem: { text: 'At what temperature does water boil at sea level?', requestId: 'q-1', metadata: { source: 'test' } },
      route: { domain: 'DOMAIN_SCIENCE', confidence: 0.8 },
      batchId: 'b-1',
      index: 0,
    });
    const result = (await job.waitUntilFinished(events, 10_000)) as Result;
    expect(result).toMatchObject({
      requestId: 'q-1',
      text: '<think>water boils at 100</think>100 °C',
      reasoning: 'water boils at 100',
      answer: '100 °C',
      extracted: { value: '100 °C', kind: 'short_answer' },
      route: { domain: 'DOMAIN_SCIENCE', confidence: 0.8 },
      model: 'fake/tiny',
      usage: { completionTokens: 7 },
      finishReason: 'FINISH_REASON_STOP',
      syntheticWeights: true,
      metadata: { source: 'test' },
    });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatchObject({ completionTokens: expect.any(Number) });
    expect((await queue.getJob(job.id ?? ''))?.returnvalue).toEqual(result);
  });

  it('fails a malformed job once with a clear reason, without retrying', async () => {
    await startConsumer(new FakeEngine());
    const failed = new Promise<{ jobId: string; failedReason: string }>((resolve) => events.on('failed', resolve));
    const job = await queue.add(JobName.SOLVE, { problem: { text: '' } } as SolveJobData, {
      attempts: 3,
      backoff: { type: 'fixed', delay: 10 },
    });
    // The reason is structured: the code as data, never parsed out of the text.
    expect(JSON.parse((await failed).failedReason)).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'problem: text or conversation is required',
    });
    const stored = (await queue.getJob(job.id ?? '')) as Job;
    expect(stored.attemptsMade).toBe(1);
    expect(await stored.getState()).toBe('failed');

    const noProblem = await queue.add(JobName.SOLVE, { nothing: true } as unknown as SolveJobData, { attempts: 3 });
    await expect(noProblem.waitUntilFinished(events, 10_000)).rejects.toThrow(
      '{"code":"INVALID_ARGUMENT","message":"bad job payload: problem: problem must be an object"}',
    );
    // A plain BullMQ producer meets the same bounds as the router's callers (one schema).
    const outOfBounds = await queue.add(
      JobName.SOLVE,
      { problem: { text: 'x', options: { temperature: 1e9, frequencyPenalty: 1 } } } as unknown as SolveJobData,
      { attempts: 3 },
    );
    await expect(outOfBounds.waitUntilFinished(events, 10_000)).rejects.toThrow(
      JSON.stringify({
        code: 'INVALID_ARGUMENT',
        message: 'problem.options.temperature: must be at most 2; problem.options: Unrecognized key: "frequencyPenalty"',
      }),
    );
    const wrongName = await queue.add('frobnicate' as typeof JobName.SOLVE, { problem: { text: 'x' } }, { attempts: 3 });
    await expect(wrongName.waitUntilFinished(events, 10_000)).rejects.toThrow(
      JSON.stringify({ code: 'INVALID_ARGUMENT', message: 'unknown job name "frobnicate" (expected "solve")' }),
    );
  });

  it("retries a transient failure with the producer's backoff and then completes", async () => {
    const engine = new FakeEngine();
    engine.failNext.push(new Error('onnxruntime hiccup'));
    await startConsumer(engine);
    const job = await queue.add(
      JobName.SOLVE,
      { problem: { text: 'retry me' } },
      { attempts: 3, backoff: { type: 'exponential', delay: 20 } },
    );
    const result = (await job.waitUntilFinished(events, 10_000)) as Result;
    expect(result.finishReason).toBe('FINISH_REASON_STOP');
    // BullMQ counts the completed attempt too: one failure, one success.
    expect((await queue.getJob(job.id ?? ''))?.attemptsMade).toBe(2);
  });

  it('stops the running jobs of a cancelled batch at once, without retrying, and leaves other batches running', async () => {
    await startConsumer(new FakeEngine({ maxConcurrency: 2, maxQueue: 0 }), { SCIENCE_WORKER_SHUTDOWN_GRACE_MS: '0' });
    const started = new Set<string>();
    const bothActive = new Promise<void>((resolve) =>
      events.on('active', ({ jobId }) => {
        started.add(jobId);
        if (started.size === 2) resolve();
      }),
    );
    const add = (batchId: string) =>
      queue.add(
        JobName.SOLVE,
        { problem: { text: 'HANG until stopped' }, batchId, index: 0 },
        { jobId: batchJobId(batchId, 0), attempts: 3 },
      );
    const doomed = await add('b-cancelled');
    const other = await add('b-other');
    await bothActive;
    const publisher = new IORedis(redisUrl());
    try {
      // What the router publishes when DELETE /v1/batches/{id} finds the job running.
      await publisher.publish(batchCancelChannel(prefix), 'b-cancelled');
    } finally {
      publisher.disconnect();
    }
    await expect(doomed.waitUntilFinished(events, 10_000)).rejects.toThrow(
      '{"code":"CANCELLED","message":"batch b-cancelled was cancelled"}',
    );
    const stored = (await queue.getJob(doomed.id ?? '')) as Job;
    expect(stored.attemptsMade).toBe(1);
    expect(await stored.getState()).toBe('failed');
    // The other batch's job is still generating.
    expect(await (await queue.getJob(other.id ?? ''))?.getState()).toBe('active');
  });

  it('skips, without solving it, a job of a cancelled batch that it takes after the announcement', async () => {
    const engine = new FakeEngine({ maxConcurrency: 2, maxQueue: 0 });
    await startConsumer(engine);
    const add = (index: number, text: string) =>
      queue.add(JobName.SOLVE, { problem: { text }, batchId: 'b-gone', index }, { jobId: batchJobId('b-gone', index), attempts: 3 });
    const active = new Promise((resolve) => events.once('active', resolve));
    const running = await add(0, 'HANG until stopped');
    await active;
    const publisher = new IORedis(redisUrl());
    try {
      await publisher.publish(batchCancelChannel(prefix), 'b-gone');
    } finally {
      publisher.disconnect();
    }
    // The running job stopping shows the worker heard the announcement.
    await expect(running.waitUntilFinished(events, 10_000)).rejects.toThrow('"code":"CANCELLED"');
    const generated = jest.spyOn(engine, 'generate');
    // A job of that batch the router had not removed yet (it was taken first): skipped, not solved, not retried.
    const straggler = await add(1, 'What is the boiling point of water?');
    await expect(straggler.waitUntilFinished(events, 10_000)).rejects.toThrow(
      '{"code":"CANCELLED","message":"batch b-gone was cancelled"}',
    );
    expect(generated).not.toHaveBeenCalled();
    expect(((await queue.getJob(straggler.id ?? '')) as Job).attemptsMade).toBe(1);
    // Other batches are solved as before.
    const other = await queue.add(
      JobName.SOLVE,
      { problem: { text: 'What is the boiling point of water?' }, batchId: 'b-kept', index: 0 },
      { jobId: batchJobId('b-kept', 0) },
    );
    expect(((await other.waitUntilFinished(events, 10_000)) as Result).finishReason).toBe('FINISH_REASON_STOP');
  });

  it('on shutdown past the grace period hands a running job back to the queue, where another replica completes it', async () => {
    const stuck = await startConsumer(new FakeEngine(), { SCIENCE_WORKER_SHUTDOWN_GRACE_MS: '0' });
    const active = new Promise((resolve) => events.once('active', resolve));
    const job = await queue.add(JobName.SOLVE, { problem: { text: 'HANG until shutdown' } }, { attempts: 1 });
    await active;
    await stuck.close();
    workers.splice(workers.indexOf(stuck), 1);
    expect(await (await queue.getJob(job.id ?? ''))?.getState()).toBe('waiting');
    const healthy = new FakeEngine();
    healthy.honourHang = false;
    await startConsumer(healthy);
    const result = (await job.waitUntilFinished(events, 10_000)) as Result;
    expect(result.finishReason).toBe('FINISH_REASON_STOP');
    // Only the completed attempt counts: the interrupted one was handed back, not failed.
    expect((await queue.getJob(job.id ?? ''))?.attemptsMade).toBe(1);
  });
});
