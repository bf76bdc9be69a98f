import * as grpc from '@grpc/grpc-js';
import OpenAI from 'openai';
import { loadProto, type Result__Output } from '@slm/contracts';
import type { RunningWorker } from '@slm/worker-runtime';
import { startInstantWorker } from './real-worker';
import { batchStatusWhenDone, postJson, startHarness, untilReady, type Harness } from './router-harness';

// Issue #20, item 3: samples and verify on every surface (REST, OpenAI, gRPC, batches) reach a real
// worker (queue and gRPC) and its verification block comes back. The worker's engine answers at
// once with a text that has no extractable answer: the voting itself is tested in the worker.

type RouterClient = InstanceType<ReturnType<typeof loadProto>['slmrouter']['v1']['Router']>;

describe('verification on every surface', () => {
  let worker: RunningWorker;
  let h: Harness;
  let client: RouterClient;

  beforeAll(async () => {
    const prefix = `verify${Date.now()}`;
    worker = await startInstantWorker(undefined, {
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: prefix,
      MATH_WORKER_QUEUE: 'true',
    });
    h = await startHarness({ QUEUE_PREFIX: prefix, MATH_WORKER_ADDRESSES: `127.0.0.1:${worker.grpcPort}` });
    client = new (loadProto().slmrouter.v1.Router)(`127.0.0.1:${h.router.grpcPort}`, grpc.credentials.createInsecure());
    await untilReady(h);
  });

  afterAll(async () => {
    client?.close();
    await h?.close();
    await worker?.close();
  });

  const voted = { method: 'self-consistency', samples: 3, samplesRequested: 3, noAnswer: 3, answers: [], voteShare: 0 };

  it('REST /v1/solve: options.samples, and 400 outside 1 to 16', async () => {
    const res = await postJson(`${h.base}/v1/solve`, { text: 'integral of x', domain: 'math', options: { samples: 3, temperature: 0.7 } });
    expect(res.status).toBe(200);
    expect(res.json.result.verification).toMatchObject(voted);
    expect(res.json.result.usage.completionTokens).toBe(6);
    const plain = await postJson(`${h.base}/v1/solve`, { text: 'integral of x', domain: 'math' });
    expect(plain.json.result.verification).toBeNull();
    for (const samples of [0, 17, 2.5]) {
      const bad = await postJson(`${h.base}/v1/solve`, { text: 'integral of x', domain: 'math', options: { samples } });
      expect(bad.status).toBe(400);
      expect(bad.json.error.message).toMatch(/options\.samples/);
    }
    const greedy = await postJson(`${h.base}/v1/solve`, { text: 'integral of x', domain: 'math', options: { samples: 2, temperature: 0 } });
    expect(greedy.status).toBe(400);
    expect(greedy.json.error.message).toContain('temperature above 0');
  });

  it('OpenAI: n samples vote on one choice, with the samples in the verification field; streamed too', async () => {
    const openai = new OpenAI({ baseURL: `${h.base}/v1`, apiKey: 'unused', maxRetries: 0 });
    const request = { model: 'math', messages: [{ role: 'user' as const, content: 'What is 2+2?' }], n: 3, temperature: 0.7 };
    const unary = await openai.chat.completions.create(request);
    expect(unary.choices).toHaveLength(1);
    expect((unary as unknown as { verification: unknown }).verification).toMatchObject(voted);
    const stream = await openai.chat.completions.create({ ...request, stream: true });
    let last: unknown;
    for await (const chunk of stream)
      if ((chunk as unknown as { verification?: unknown }).verification)
        last = (chunk as unknown as { verification: unknown }).verification;
    expect(last).toMatchObject(voted);
    await expect(openai.chat.completions.create({ ...request, n: 20 })).rejects.toMatchObject({ status: 400 });
  });

  it('gRPC Solve: options.samples and verify, INVALID_ARGUMENT outside the bounds', async () => {
    const solve = (options: object) =>
      new Promise<{ error: grpc.ServiceError | null; result?: Result__Output }>((resolve) =>
        client.solve(
          { problem: { text: 'integral of x', domainOverride: 'DOMAIN_MATH', options } },
          { deadline: Date.now() + 10_000 },
          (error, response) => resolve({ error, result: response?.result ?? undefined }),
        ),
      );
    const ok = await solve({ samples: 3, temperature: 0.7 });
    expect(ok.error).toBeNull();
    expect(ok.result?.verification).toMatchObject(voted);
    // verify with no samples of its own takes the worker's verify default (VERIFY_SAMPLES, 5 in the test policy).
    const verified = await solve({ verify: true, temperature: 0.7 });
    expect(verified.result?.verification).toMatchObject({ samplesRequested: 5 });
    const bad = await solve({ samples: 99 });
    expect(bad.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.error?.details).toMatch(/samples: must be at most 16/);
  });

  it("batches: samples per batch, a problem's own samples first; the results carry the block", async () => {
    const submitted = await postJson(`${h.base}/v1/batches`, {
      samples: 2,
      problems: [
        { text: 'integral of x', domain: 'math', options: { temperature: 0.7 } },
        { text: 'integral of x^2', domain: 'math', options: { temperature: 0.7, samples: 4 } },
      ],
    });
    expect(submitted.status).toBe(202);
    const status = await batchStatusWhenDone(h, submitted.json.batchId);
    expect(status).toMatchObject({ state: 'BATCH_STATE_COMPLETED', counts: { completed: 2 } });
    const lines = (await (await fetch(`${h.base}/v1/batches/${submitted.json.batchId}/results`)).text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.result.verification.samplesRequested)).toEqual([2, 4]);
    const bad = await postJson(`${h.base}/v1/batches`, { samples: 0, problems: [{ text: 'integral of x' }] });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/samples/);
  });

  it('counts verified answers in /metrics', async () => {
    const metrics = await (await fetch(`${h.base}/metrics`)).text();
    expect(metrics).toMatch(/slm_router_verified_answers_total\{domain="math",method="self-consistency",outcome="unverified"\} [1-9]/);
  });
});
