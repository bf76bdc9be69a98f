import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JobName, QUEUE_OF_DOMAIN, type GenerateRequest, type Result, type SolveJobData } from '@slm/contracts';
import * as grpc from '@grpc/grpc-js';
import { Queue, QueueEvents } from 'bullmq';
import {
  collectStream,
  generate,
  getInfo,
  healthOf,
  workerClient,
  type WorkerClient,
} from '../../../libs/worker-runtime/test/worker-client';
import { freePort, killWorker, spawnWorker, type WorkerProcess } from '../../../libs/worker-runtime/test/worker-process';

// The math worker as a real process, started from its sources the way `slm worker math` starts it,
// with no model pulled: it generates the tiny synthetic model into MODELS_DIR on first start and
// serves it through libs/inference. Real Redis (the test run's), real gRPC on loopback.

const redisUrl = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const queueName = QUEUE_OF_DOMAIN.math;
// Greedy, seeded: the same request gives the same tokens, so unary and streamed results compare.
const problem = (text: string, maxNewTokens: number) => ({
  text,
  requestId: `req-${randomUUID()}`,
  options: { maxNewTokens, temperature: 0, seed: 1 },
});

describe('math worker process', () => {
  let modelsDir: string;
  let prefix: string;
  let queue: Queue<SolveJobData, Result>;
  let events: QueueEvents;
  /** Ids of the jobs that reported progress, recorded from the start: a job may report before the test awaits it. */
  let progressed: Set<string>;
  const processes: WorkerProcess[] = [];

  /** Starts the worker; with `chunkDelayMs`, its engine pauses after each streamed chunk (test/chunk-delay-main.ts). */
  async function start(extra: Record<string, string> = {}, chunkDelayMs?: number): Promise<WorkerProcess> {
    const delayed = chunkDelayMs === undefined ? {} : { main: 'apps/math-worker/test/chunk-delay-main.ts', args: [String(chunkDelayMs)] };
    const worker = await spawnWorker(
      'math-worker',
      {
        MODELS_DIR: modelsDir,
        REDIS_URL: redisUrl(),
        QUEUE_PREFIX: prefix,
        MATH_WORKER_GRPC_HOST: '127.0.0.1',
        MATH_WORKER_GRPC_PORT: String(await freePort()),
        MATH_WORKER_MAX_CONCURRENCY: '1',
        MATH_WORKER_LOCK_DURATION_MS: '1000',
        MATH_WORKER_STALLED_INTERVAL_MS: '500',
        ...extra,
      },
      delayed,
    );
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
      expect(info).toMatchObject({
        domain: 'DOMAIN_MATH',
        loadState: 'LOAD_STATE_READY',
        syntheticWeights: true,
        dtype: 'fp32',
        maxConcurrency: 1,
      });
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
      expect(
        deltas
          .filter((d) => d?.channel === 'CHANNEL_REASONING')
          .map((d) => d?.text)
          .join(''),
      ).toBe(result?.reasoning);
      expect(
        deltas
          .filter((d) => d?.channel === 'CHANNEL_ANSWER')
          .map((d) => d?.text)
          .join(''),
      ).toBe(result?.answer);
      expect({ ...result, timing: null }).toEqual({ ...unary, timing: null });
    } finally {
      client.close();
    }
  });

  it('admission and deadlines on the real engine: RESOURCE_EXHAUSTED when full; cancel and deadline stop generation and free the slot', async () => {
    const worker = await start({ MATH_WORKER_MAX_QUEUE: '0', MATH_WORKER_QUEUE: 'false' });
    const client = workerClient(worker.grpcPort);
    const long = problem('Write a very long proof.', 400);
    const solved = (requestId: string) => worker.logs.find((line) => line['requestId'] === requestId && line['msg'] === 'solved');
    try {
      // The prompt is long on this model (greedy, seeded): without a deadline it runs to max_new_tokens.
      const full = (await generate(client, { problem: long })).result;
      expect(full?.finishReason).toBe('FINISH_REASON_LENGTH');

      // The tiny model decodes those 400 tokens in 60–300 ms: no window for a client to act in on a busy
      // machine. So each step's calls go out while the worker process is stopped and reach it together
      // when it continues: what it does then follows from their order alone, not from either speed.

      // One slot, no queue: the stream takes the slot and the call behind it is refused at once.
      const stream = client.generateStream({ problem: { ...long, requestId: 'cancel-me' } });
      const streamError = new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
      stream.on('data', () => undefined);
      const short = await whileStopped(worker, async () => {
        const call = unaryCall(client, { problem: problem('Short', 4) });
        await waitUntil(() => onTheWire(stream) && onTheWire(call.call));
        return call;
      });
      await expect(short.response).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
      // Cancelling a stream stops its generation early ('cancelled' with fewer tokens) and frees the slot.
      await whileStopped(worker, async () => {
        stream.cancel();
        expect((await streamError).code).toBe(grpc.status.CANCELLED);
      });
      await waitUntil(() => solved('cancel-me') !== undefined);
      expect(solved('cancel-me')).toMatchObject({ finishReason: 'cancelled' });
      expect(Number(solved('cancel-me')?.['completionTokens'])).toBeLessThan(400);
      expect((await generate(client, { problem: problem('Short', 4) })).result?.usage?.completionTokens).toBeGreaterThan(0);

      // A deadline that passes before the generation ends: DEADLINE_EXCEEDED, generation stopped, slot free.
      // (The worker's own deadline timer, with an engine that never finishes, is libs/worker-runtime's
      // worker-grpc.int-spec; here the client's cancel at its deadline reaches the real engine.)
      await whileStopped(worker, async () => {
        const tooSlow = unaryCall(client, { problem: { ...long, requestId: 'too-slow' } }, { deadline: Date.now() + 1000 });
        await expect(tooSlow.response).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
        expect(onTheWire(tooSlow.call)).toBe(true);
      });
      await waitUntil(() => solved('too-slow') !== undefined);
      expect(solved('too-slow')).toMatchObject({ finishReason: 'cancelled' });
      expect((await generate(client, { problem: problem('Short', 4) })).result?.usage?.completionTokens).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });

  it('completes a job added by a plain BullMQ Queue', async () => {
    await start();
    const job = await queue.add(JobName.SOLVE, { problem: problem('Compute 3*7.', 16) });
    const result = (await job.waitUntilFinished(events, 30_000)) as Result;
    expect(result).toMatchObject({
      requestId: job.data.problem.requestId,
      syntheticWeights: true,
      extracted: expect.any(Object),
      usage: expect.any(Object),
    });
  });

  it('a job whose worker is SIGKILLed mid-generation completes on a second worker process', async () => {
    const first = await start({}, 50);
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
    const worker = await start({ MATH_WORKER_QUEUE_CONCURRENCY: '1' }, 20);
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

/**
 * Runs `act` with the worker process stopped (SIGSTOP), then continues it: the calls `act` sends wait
 * in the worker's socket and it reads them back to back. Before continuing, a turn of the event loop
 * lets HTTP/2 flush what `act` wrote last (a cancel's RST_STREAM).
 */
async function whileStopped<T>(worker: WorkerProcess, act: () => Promise<T>): Promise<T> {
  worker.child.kill('SIGSTOP');
  try {
    return await act();
  } finally {
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    worker.child.kill('SIGCONT');
  }
}

/** A unary Generate call and its response (the call, unlike the `generate` helper's promise, says where it is). */
function unaryCall(
  client: WorkerClient,
  request: GenerateRequest,
  options: grpc.CallOptions = {},
): { call: grpc.ClientUnaryCall; response: Promise<unknown> } {
  let call!: grpc.ClientUnaryCall;
  const response = new Promise((resolve, reject) => {
    call = client.generate(request, new grpc.Metadata(), options, (error, reply) => (error ? reject(error) : resolve(reply)));
  });
  // Handled here so a rejection is never "unhandled" before the test awaits it.
  response.catch(() => undefined);
  return { call, response };
}

/**
 * Whether grpc-js has opened the call's HTTP/2 stream (written its headers): until then it starts the
 * call asynchronously and getPeer() names the channel's target (`dns:127.0.0.1:…`).
 */
function onTheWire(call: { getPeer(): string }): boolean {
  return !call.getPeer().startsWith('dns:');
}
