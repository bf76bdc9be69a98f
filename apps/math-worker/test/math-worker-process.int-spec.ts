import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JobName, QUEUE_OF_DOMAIN, type Result, type SolveJobData } from '@slm/contracts';
import * as grpc from '@grpc/grpc-js';
import { Queue, QueueEvents } from 'bullmq';
import { collectStream, generate, getInfo, healthOf, workerClient } from '../../../libs/worker-runtime/test/worker-client';
import { freePort, killWorker, spawnWorker, type WorkerProcess } from '../../../libs/worker-runtime/test/worker-process';

// The math worker as a real process, started from its sources the way `slm worker math` starts it,
// with no model pulled: it generates the tiny synthetic model into MODELS_DIR on first start and
// serves it through libs/inference. Real Redis (the test run's), real gRPC on loopback.

const redisUrl = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const queueName = QUEUE_OF_DOMAIN.math;
// Greedy, seeded: the same request gives the same tokens, so unary and streamed results compare.
const problem = (text: string, maxNewTokens: number) => ({ text, requestId: `req-${randomUUID()}`, options: { maxNewTokens, temperature: 0, seed: 1 } });

describe('math worker process', () => {
  let modelsDir: string;
  let prefix: string;
  let queue: Queue<SolveJobData, Result>;
  let events: QueueEvents;
  /** Ids of the jobs that reported progress, recorded from the start: a job may report before the test awaits it. */
  let progressed: Set<string>;
  const processes: WorkerProcess[] = [];

  async function start(extra: Record<string, string> = {}): Promise<WorkerProcess> {
    const worker = await spawnWorker('math-worker', {
      MODELS_DIR: modelsDir,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      MATH_WORKER_GRPC_HOST: '127.0.0.1',
      MATH_WORKER_GRPC_PORT: String(await freePort()),
      MATH_WORKER_MAX_CONCURRENCY: '1',
      MATH_WORKER_LOCK_DURATION_MS: '1000',
      MATH_WORKER_STALLED_INTERVAL_MS: '500',
      ...extra,
    });
    processes.push(worker);
    return worker;
  }

  beforeAll(() => {
    modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-math-worker-'));
  });
  afterAll(() => fs.rmSync(modelsDir, { recursive: true, force: true }));

  beforeEach(async () => {
    prefix = `test-${randomUUID()}`;
    queue = new Queue(queueName, { connection: { url: redisUrl() }, prefix });
    events = new QueueEvents(queueName, { connection: { url: redisUrl() }, prefix });
    await events.waitUntilReady();
    progressed = new Set();
    events.on('progress', ({ jobId }) => progressed.add(jobId));
  });

  afterEach(async () => {
    for (const worker of processes.splice(0)) await killWorker(worker);
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('falls back to a synthetic model, says so, and serves Generate, GenerateStream and GetInfo consistently', async () => {
    const worker = await start();
    expect(worker.logs.some((line) => /NO MODEL: .*RANDOM WEIGHTS/.test(String(line['msg'])))).toBe(true);
    expect(fs.existsSync(path.join(modelsDir, 'synthetic-tiny', 'config.json'))).toBe(true);
    expect(await healthOf(worker.grpcPort)).toBe('SERVING');
    const client = workerClient(worker.grpcPort);
    try {
      const info = await getInfo(client);
      expect(info).toMatchObject({ domain: 'DOMAIN_MATH', loadState: 'LOAD_STATE_READY', syntheticWeights: true, dtype: 'fp32', maxConcurrency: 1 });
      expect(Number(info.parameterCount)).toBeGreaterThan(0);
      expect(info.contextLength).toBeGreaterThan(0);
      // The default 1 GiB KV budget in the tiny model's tokens; nothing running reserves any of it.
      expect(info.kvCacheTokens).toBeGreaterThan(100_000);
      expect(info.kvCacheReservedTokens).toBe(0);

      const request = { problem: problem('What is 2+2?', 24) };
      const unary = (await generate(client, request)).result;
      expect(unary).toMatchObject({ requestId: request.problem.requestId, model: info.modelId, syntheticWeights: true });
      expect(unary?.usage?.completionTokens).toBeGreaterThan(0);
      expect(unary?.usage?.completionTokens).toBeLessThanOrEqual(24);
      expect(['FINISH_REASON_STOP', 'FINISH_REASON_LENGTH']).toContain(unary?.finishReason);
      expect(unary?.extracted?.value === '' ? unary?.extracted?.missingReason : 'found').not.toBe('');

      const events = await collectStream(client, request);
      const result = events[events.length - 1]?.result;
      expect(events.slice(0, -1).every((e) => e.delta)).toBe(true);
      const deltas = events.slice(0, -1).map((e) => e.delta);
      expect(deltas.filter((d) => d?.channel === 'CHANNEL_REASONING').map((d) => d?.text).join('')).toBe(result?.reasoning);
      expect(deltas.filter((d) => d?.channel === 'CHANNEL_ANSWER').map((d) => d?.text).join('')).toBe(result?.answer);
      expect({ ...result, timing: null }).toEqual({ ...unary, timing: null });
    } finally {
      client.close();
    }
  });

  it('admission and deadlines on the real engine: RESOURCE_EXHAUSTED when full; cancel and deadline stop generation and free the slot', async () => {
    const worker = await start({ MATH_WORKER_MAX_QUEUE: '0', MATH_WORKER_QUEUE: 'false' });
    const client = workerClient(worker.grpcPort);
    const long = problem('Write a very long proof.', 400);
    try {
      // The prompt is long on this model (greedy, seeded): without a deadline it runs to max_new_tokens.
      const full = (await generate(client, { problem: long })).result;
      expect(full?.finishReason).toBe('FINISH_REASON_LENGTH');

      // One slot, no queue: while a stream decodes, another request is refused at once.
      const stream = client.generateStream({ problem: { ...long, requestId: 'cancel-me' } });
      const streamError = new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
      await new Promise((resolve) => stream.once('data', resolve));
      await expect(generate(client, { problem: problem('Short', 4) })).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
      // Cancelling the stream stops generation early ('cancelled' with fewer tokens) and frees the slot.
      stream.cancel();
      expect((await streamError).code).toBe(grpc.status.CANCELLED);
      await waitUntil(() => worker.logs.some((line) => line['requestId'] === 'cancel-me' && line['msg'] === 'solved'));
      const cancelled = worker.logs.find((line) => line['requestId'] === 'cancel-me' && line['msg'] === 'solved');
      expect(cancelled).toMatchObject({ finishReason: 'cancelled' });
      expect(Number(cancelled?.['completionTokens'])).toBeLessThan(400);
      expect((await generate(client, { problem: problem('Short', 4) })).result?.usage?.completionTokens).toBeGreaterThan(0);

      // A deadline shorter than the generation: DEADLINE_EXCEEDED, generation stopped, slot free. (The tiny
      // model's 400 tokens take about 60 ms on a quiet 2-core machine; the deadline is well inside that.)
      await expect(generate(client, { problem: { ...long, requestId: 'too-slow' } }, { deadline: Date.now() + 20 })).rejects.toMatchObject({
        code: grpc.status.DEADLINE_EXCEEDED,
      });
      await waitUntil(() => worker.logs.some((line) => line['requestId'] === 'too-slow' && line['msg'] === 'solved'));
      expect(worker.logs.find((line) => line['requestId'] === 'too-slow' && line['msg'] === 'solved')).toMatchObject({ finishReason: 'cancelled' });
      expect((await generate(client, { problem: problem('Short', 4) })).result?.usage?.completionTokens).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });

  it('completes a job added by a plain BullMQ Queue', async () => {
    await start();
    const job = await queue.add(JobName.SOLVE, { problem: problem('Compute 3*7.', 16) });
    const result = (await job.waitUntilFinished(events, 30_000)) as Result;
    expect(result).toMatchObject({ requestId: job.data.problem.requestId, syntheticWeights: true, extracted: expect.any(Object), usage: expect.any(Object) });
  });

  it('a job whose worker is SIGKILLed mid-generation completes on a second worker process', async () => {
    const first = await start({ MATH_WORKER_TEST_CHUNK_DELAY_MS: '50' });
    const job = await queue.add(JobName.SOLVE, { problem: problem('Long question', 200) }, { attempts: 1 });
    await waitUntil(() => progressed.has(job.id ?? ''));
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe(137);
    expect(await (await queue.getJob(job.id ?? ''))?.getState()).toBe('active');
    const second = await start();
    const result = (await job.waitUntilFinished(events, 30_000)) as Result;
    expect(result.requestId).toBe(job.data.problem.requestId);
    await second.waitForLog('solved');
  });

  it('SIGTERM during a job finishes it, leaves the waiting job queued, and exits 0', async () => {
    const worker = await start({ MATH_WORKER_TEST_CHUNK_DELAY_MS: '20', MATH_WORKER_QUEUE_CONCURRENCY: '1' });
    const running = await queue.add(JobName.SOLVE, { problem: problem('First', 40) });
    const waiting = await queue.add(JobName.SOLVE, { problem: problem('Second', 8) });
    await waitUntil(() => progressed.has(running.id ?? ''));
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(await (await queue.getJob(running.id ?? ''))?.getState()).toBe('completed');
    expect(await (await queue.getJob(waiting.id ?? ''))?.getState()).toBe('waiting');
    expect(await queue.getFailedCount()).toBe(0);
  });
});

/** Polls a condition on data the test already collects (log lines arrive asynchronously). */
async function waitUntil(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
