import * as grpc from '@grpc/grpc-js';
import { createLogger, freePort } from '@slm/platform';
import type { DomainPolicy } from './domain-policy';
import { found, missing } from './answer-text';
import { startWorker, type RunningWorker } from './bootstrap-worker';
import { FakeEngine } from '../test/fake.engine';
import { collectStream, generate, getInfo, healthOf, workerClient, type WorkerClient } from '../test/worker-client';

// The Worker gRPC service of a real worker (Nest context, grpc-js on loopback) hosting a fake
// engine with libs/inference's admission and cancellation rules. The real engine on a synthetic
// model is exercised by the worker process tests.

const policy: DomainPolicy = {
  domain: 'math',
  defaultModelId: 'none/none',
  systemPrompt: 'Put the answer in \\boxed{}.',
  temperature: 0.6,
  topP: 0.95,
  maxNewTokens: 64,
  verifySamples: 5,
  systemPromptFor: (configured) => configured,
  extract: ({ answer }) => {
    const box = /\\boxed\{([^}]*)\}/.exec(answer);
    return box ? found(box[1] ?? '', 'boxed') : missing('no box');
  },
};

const env = { MATH_WORKER_GRPC_PORT: '0', MATH_WORKER_GRPC_HOST: '127.0.0.1', MATH_WORKER_QUEUE: 'false', LOG_LEVEL: 'silent' };
const logger = createLogger('test', 'silent');

describe('Worker gRPC service', () => {
  let engine: FakeEngine;
  let worker: RunningWorker;
  let client: WorkerClient;

  beforeAll(async () => {
    engine = new FakeEngine({ maxConcurrency: 1, maxQueue: 1 });
    worker = await startWorker(policy, { env, logger, engineFactory: async () => engine });
    client = workerClient(worker.grpcPort);
  });

  afterAll(async () => {
    client.close();
    await worker.close();
  });

  it('Generate answers with every field of the contract', async () => {
    const { result } = await generate(client, {
      problem: {
        text: 'What is 2+2?',
        requestId: 'r-1',
        metadata: { tenant: 'acme' },
        options: { maxNewTokens: 100, temperature: 0, seed: 7 },
      },
      route: { domain: 'DOMAIN_MATH', confidence: 0.9 },
    });
    expect(result).toMatchObject({
      requestId: 'r-1',
      text: '<think>2 plus 2 is 4</think>The answer is \\boxed{4}.',
      reasoning: '2 plus 2 is 4',
      answer: 'The answer is \\boxed{4}.',
      extracted: { value: '4', kind: 'boxed', language: '', missingReason: '' },
      route: { domain: 'DOMAIN_MATH' },
      model: 'fake/tiny',
      usage: { promptTokens: expect.any(Number), completionTokens: 10 },
      finishReason: 'FINISH_REASON_STOP',
      syntheticWeights: true,
      metadata: { tenant: 'acme' },
    });
    expect(result?.route?.confidence).toBeCloseTo(0.9);
    expect(result?.timing?.totalMs).toBeGreaterThan(0);
    // The domain prompt and defaults reach the engine; the caller's options win.
    const request = engine.requests[engine.requests.length - 1];
    expect(request?.messages).toEqual([
      { role: 'system', content: 'Put the answer in \\boxed{}.' },
      { role: 'user', content: 'What is 2+2?' },
    ]);
    expect(request?.options).toEqual({ maxNewTokens: 100, temperature: 0, topP: 0.95, seed: 7 });
  });

  it('generates a request id when none is given and keeps a conversation with its own system prompt', async () => {
    const { result } = await generate(client, {
      problem: {
        conversation: {
          messages: [
            { role: 'system', content: 'Be terse.' },
            { role: 'user', content: '2+2?' },
          ],
        },
      },
    });
    expect(result?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result?.route).toBeNull();
    expect(engine.requests[engine.requests.length - 1]?.messages[0]).toEqual({ role: 'system', content: 'Be terse.' });
    const options = engine.requests[engine.requests.length - 1]?.options;
    expect(options?.temperature).toBeCloseTo(0.6);
    expect(options?.maxNewTokens).toBe(64);
  });

  it('GenerateStream sends reasoning and answer deltas, then one result matching Generate', async () => {
    const request = { problem: { text: 'What is 2+2?', requestId: 's-1', options: { temperature: 0 } } };
    const events = await collectStream(client, request);
    const kinds = events.map((e) => (e.delta ? 'delta' : 'result'));
    expect(kinds[kinds.length - 1]).toBe('result');
    expect(kinds.filter((k) => k === 'result')).toHaveLength(1);
    const deltas = events.filter((e) => e.delta).map((e) => e.delta!);
    const last = events[events.length - 1]?.result;
    expect(
      deltas
        .filter((d) => d.channel === 'CHANNEL_REASONING')
        .map((d) => d.text)
        .join(''),
    ).toBe(last?.reasoning);
    expect(deltas.every((d) => !d.text.includes('think>'))).toBe(true);
    expect(
      deltas
        .filter((d) => d.channel === 'CHANNEL_ANSWER')
        .map((d) => d.text)
        .join(''),
    ).toBe(last?.answer);
    const unary = await generate(client, request);
    expect({ ...unary.result, timing: null }).toEqual({ ...last, timing: null });
  });

  it('GetInfo describes the loaded model', async () => {
    expect(await getInfo(client)).toMatchObject({
      modelId: 'fake/tiny',
      parameterCount: '1234',
      dtype: 'fp32',
      contextLength: 512,
      domain: 'DOMAIN_MATH',
      loadState: 'LOAD_STATE_READY',
      loadError: '',
      syntheticWeights: true,
      maxConcurrency: 1,
      maxQueue: 1,
    });
  });

  it('rejects bad input with INVALID_ARGUMENT and a clear message', async () => {
    await expect(generate(client, { problem: {} })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'problem: text or conversation is required',
    });
    await expect(generate(client, { problem: { text: 'x', options: { topP: 1.5, maxNewTokens: 0 } } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'problem.options.maxNewTokens: must be at least 1; problem.options.topP: must be in (0, 1]',
    });
    // The router's bounds hold at the worker too (one schema): a caller that reaches a worker
    // directly cannot ask for more.
    const calls = engine.requests.length;
    await expect(generate(client, { problem: { text: 'x', options: { maxNewTokens: 1e9, temperature: 1e9 } } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'problem.options.maxNewTokens: must be at most 32768; problem.options.temperature: must be at most 2',
    });
    await expect(generate(client, { problem: { text: 'x', options: { repetitionPenalty: NaN } } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'problem.options.repetitionPenalty: must be a finite number',
    });
    expect(engine.requests.length).toBe(calls);
    await expect(generate(client, { problem: { conversation: { messages: [{ role: 'robot', content: 'hi' }] } } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
  });

  it('refuses a request id outside 1 to 128 of [A-Za-z0-9._:-] (in the problem or the x-request-id metadata) with INVALID_ARGUMENT', async () => {
    const calls = engine.requests.length;
    for (const [requestId, detail] of [
      ['réq-1', /character 2 is U\+00E9/],
      ['a\r\nb', /character 2 is U\+000D/],
      ['a'.repeat(129), /it has 129 characters/],
    ] as const) {
      await expect(generate(client, { problem: { text: 'What is 2+2?', requestId } })).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringMatching(
          new RegExp(`^problem\\.requestId: must be 1 to 128 characters from A-Z a-z 0-9 \\. _ : -; ${detail.source}`),
        ),
      });
      await expect(collectStream(client, { problem: { text: 'What is 2+2?', requestId } })).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
      });
    }
    const metadata = new grpc.Metadata();
    metadata.set('x-request-id', 'a'.repeat(129));
    const viaMetadata = new Promise((resolve, reject) =>
      client.generate({ problem: { text: 'What is 2+2?' } }, metadata, (error, response) => (error ? reject(error) : resolve(response))),
    );
    await expect(viaMetadata).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/^x-request-id metadata: must be 1 to 128 characters/),
    });
    expect(engine.requests.length).toBe(calls);
    // The longest id of the alphabet is fine.
    const longest = `AZaz09._:-${'x'.repeat(118)}`;
    expect((await generate(client, { problem: { text: 'What is 2+2?', requestId: longest } })).result?.requestId).toBe(longest);
  });

  it('answers RESOURCE_EXHAUSTED at once when the engine queue is full, and a cancelled stream frees its slot', async () => {
    // Slot 1 of 1 decoding (hangs until cancelled), queue slot 1 of 1 waiting; the third is refused.
    const hanging = client.generateStream({ problem: { text: 'HANG please' } });
    const hangingError = new Promise<grpc.ServiceError>((resolve) => hanging.on('error', resolve));
    await new Promise((resolve) => hanging.once('data', resolve));
    const queued = generate(client, { problem: { text: 'queued' } });
    await waitFor(() => engine.requests.some((r) => r.messages.some((m) => m.content === 'queued')));
    const refused: grpc.ServiceError = await generate(client, { problem: { text: 'third' } }).then(
      () => Promise.reject(new Error('not refused')),
      (error: grpc.ServiceError) => error,
    );
    expect(refused.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    // The typed code tells a full queue from a rate limit (both RESOURCE_EXHAUSTED); the details are the message alone.
    expect(refused.metadata.get('slm-error-code')).toEqual(['QUEUE_FULL']);
    expect(refused.details).not.toMatch(/^QUEUE_FULL/);
    hanging.cancel();
    expect((await hangingError).code).toBe(grpc.status.CANCELLED);
    // The queued request gets the freed slot and completes.
    expect((await queued).result?.finishReason).toBe('FINISH_REASON_STOP');
    expect(engine.active).toBe(0);
  });

  it('a stream sends its response headers once the engine takes it, before any token; a refused one sends none', async () => {
    // Slot 1 of 1 decoding (hangs until cancelled); the second stream waits in the queue, the third is refused.
    const hanging = client.generateStream({ problem: { text: 'HANG please' } });
    const hangingEnd = new Promise((resolve) => hanging.on('error', resolve));
    await new Promise((resolve) => hanging.once('data', resolve));
    const waiting = client.generateStream({ problem: { text: 'waiting' } });
    let waitingData = 0;
    waiting.on('data', () => waitingData++);
    const waitingEnd = new Promise((resolve) => waiting.on('status', resolve));
    await new Promise((resolve) => waiting.once('metadata', resolve));
    expect(waitingData).toBe(0);
    const refused = client.generateStream({ problem: { text: 'refused' } });
    let refusedHeaders = false;
    refused.on('metadata', () => (refusedHeaders = true));
    const refusal = await new Promise<grpc.ServiceError>((resolve) => refused.on('error', resolve));
    expect(refusal.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(refusedHeaders).toBe(false);
    hanging.cancel();
    await hangingEnd;
    await waitingEnd;
    expect(waitingData).toBeGreaterThan(0);
    await waitFor(() => engine.active === 0);
  });

  it('stops generation when the deadline passes (DEADLINE_EXCEEDED) and frees the slot', async () => {
    const deadline = Date.now() + 300;
    await expect(generate(client, { problem: { text: 'HANG on' } }, { deadline })).rejects.toMatchObject({
      code: grpc.status.DEADLINE_EXCEEDED,
    });
    await waitFor(() => engine.active === 0);
    const { result } = await generate(client, { problem: { text: 'next' } });
    expect(result?.finishReason).toBe('FINISH_REASON_STOP');
  });
});

describe('worker health', () => {
  it('is NOT_SERVING while the model loads, SERVING once the model is loaded and warm', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const boundPort = await freePort();
    const engine = new FakeEngine();
    const starting = startWorker(policy, {
      env: { ...env, MATH_WORKER_GRPC_PORT: String(boundPort) },
      logger,
      engineFactory: async () => {
        await gate;
        return engine;
      },
    });
    // gRPC binds before the model loads: health and GetInfo answer meanwhile.
    await waitFor(async () => (await healthOf(boundPort).catch(() => 'DOWN')) !== 'DOWN');
    expect(await healthOf(boundPort)).toBe('NOT_SERVING');
    const client = workerClient(boundPort);
    expect((await getInfo(client)).loadState).toBe('LOAD_STATE_LOADING');
    const notReady: grpc.ServiceError = await generate(client, { problem: { text: 'x' } }).then(
      () => Promise.reject(new Error('not refused')),
      (error: grpc.ServiceError) => error,
    );
    expect(notReady.code).toBe(grpc.status.UNAVAILABLE);
    expect(notReady.metadata.get('slm-error-code')).toEqual(['MODEL_NOT_READY']);
    release();
    const worker = await starting;
    expect(engine.warmedUp).toBe(true);
    expect(await healthOf(boundPort)).toBe('SERVING');
    expect(await healthOf(boundPort, '')).toBe('SERVING');
    client.close();
    await worker.close();
    expect(engine.closed).toBe(true);
  });
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
