import OpenAI from 'openai';
import type { RunningWorker } from '@slm/worker-runtime';
import { startInstantWorker } from './real-worker';
import { startHarness, untilReady, type Harness } from './router-harness';

// Issue 12: the streamed /v1/chat/completions answer must split reasoning exactly as the unary one,
// through a real worker (whose engine streams deltas labelled by channel) behind the real router.

type ReasoningDelta = { content?: string | null; reasoning_content?: string };

describe('OpenAI chat completions through a real worker: streamed and unary answers split reasoning alike', () => {
  let worker: RunningWorker;
  let h: Harness;
  let client: OpenAI;

  beforeAll(async () => {
    worker = await startInstantWorker();
    h = await startHarness({ MATH_WORKER_ADDRESSES: `127.0.0.1:${worker.grpcPort}` });
    // The real worker is healthy once the router's first check reaches it (slower than a fake on a busy machine).
    await untilReady(h);
    client = new OpenAI({ baseURL: `${h.base}/v1`, apiKey: 'unused', maxRetries: 0 });
  });

  afterAll(async () => {
    await h?.close();
    await worker?.close();
  });

  it('streams reasoning in delta.reasoning_content and the answer in delta.content, as message.reasoning_content and message.content', async () => {
    const request = { model: 'math', messages: [{ role: 'user' as const, content: 'What is 2+2?' }], seed: 7, temperature: 0 };
    const unary = await client.chat.completions.create(request);
    const message = unary.choices[0]?.message as { content: string | null; reasoning_content?: string };
    expect(message.reasoning_content).toBe('instant benchmark engine: no model ran');
    expect(message.content).toBe('synthetic benchmark answer');

    const stream = await client.chat.completions.create({ ...request, stream: true });
    const deltas: ReasoningDelta[] = [];
    for await (const chunk of stream) if (chunk.choices[0]) deltas.push(chunk.choices[0].delta as ReasoningDelta);
    const reasoning = deltas.map((d) => d.reasoning_content ?? '').join('');
    const content = deltas.map((d) => d.content ?? '').join('');
    expect({ reasoning, content }).toEqual({ reasoning: message.reasoning_content, content: message.content });
    expect(deltas.some((d) => `${d.content ?? ''}${d.reasoning_content ?? ''}`.includes('think>'))).toBe(false);
  });
});
