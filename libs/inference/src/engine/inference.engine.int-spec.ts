import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InferenceError } from '../inference.errors';
import type { GenerationHandle, TokenChunk } from '../inference.types';
import { synthesizeModel } from '../synth/synthesize-model';
import { LLAMA3_CHAT_TEMPLATE } from '../synth/synthetic-tokenizer';
import { InferenceEngine } from './inference.engine';

/** The text a stream sent on one channel, joined. */
const channelText = (chunks: readonly { channel: string; text: string }[], channel: string): string =>
  chunks
    .filter((chunk) => chunk.channel === channel)
    .map((chunk) => chunk.text)
    .join('');

describe('InferenceEngine on a tiny synthetic model', () => {
  let dir: string;
  let engine: InferenceEngine;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'slm-engine-'));
    await synthesizeModel({ preset: 'tiny', dtype: 'fp32', outDir: dir });
    engine = await InferenceEngine.load({ modelDir: dir, maxConcurrency: 1, maxQueue: 1 });
  });

  afterAll(async () => {
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const collect = async (handle: GenerationHandle): Promise<TokenChunk[]> => {
    const chunks: TokenChunk[] = [];
    for await (const chunk of handle) chunks.push(chunk);
    return chunks;
  };

  it('describes the model', () => {
    expect(engine.info).toMatchObject({ dtype: 'fp32', contextLength: 512, syntheticWeights: true, modelId: 'slm-router/synthetic-tiny' });
    expect(engine.info.parameterCount).toBeGreaterThan(0);
  });

  it('streams greedy tokens whose chunks add up to the result, reproducibly', async () => {
    const request = { messages: [{ role: 'user' as const, content: 'What is 12 + 12?' }], options: { maxNewTokens: 12, temperature: 0 } };
    const handle = engine.generate(request);
    const chunks = await collect(handle);
    const result = await handle.result;
    expect(result.finishReason === 'length' || result.finishReason === 'stop').toBe(true);
    expect(result.completionTokens).toBe(result.tokenIds.length);
    expect(result.promptTokens).toBeGreaterThan(5);
    expect(channelText(chunks, 'reasoning')).toBe(result.reasoning);
    expect(channelText(chunks, 'answer')).toBe(result.answer);
    expect(chunks.flatMap((c) => c.tokenIds)).toEqual(result.tokenIds.slice(0, chunks.flatMap((c) => c.tokenIds).length));
    const again = await engine.generate(request).result;
    expect(again.tokenIds).toEqual(result.tokenIds);
  });

  it('streams a model whose chat template opens the think block as reasoning, as the result splits it', async () => {
    // DeepSeek-R1-style templates end the generation prompt with <think>: the model only writes </think>.
    const thinkingDir = mkdtempSync(path.join(os.tmpdir(), 'slm-engine-think-'));
    cpSync(dir, thinkingDir, { recursive: true });
    const template = LLAMA3_CHAT_TEMPLATE.replace("assistant<|end_header_id|>\\n\\n' }}", "assistant<|end_header_id|>\\n\\n<think>\\n' }}");
    expect(template).not.toBe(LLAMA3_CHAT_TEMPLATE);
    writeFileSync(path.join(thinkingDir, 'chat_template.jinja'), template);
    const thinking = await InferenceEngine.load({ modelDir: thinkingDir, maxConcurrency: 1, maxQueue: 0, intraOpThreads: 1 });
    try {
      const handle = thinking.generate({
        messages: [{ role: 'user', content: 'What is 12 + 12?' }],
        options: { maxNewTokens: 12, temperature: 0 },
      });
      const chunks = await collect(handle);
      const result = await handle.result;
      expect(result.text).not.toContain('</think>');
      expect(result.text.trim()).not.toBe('');
      expect(result).toMatchObject({ reasoning: result.text.trim(), answer: '' });
      expect(chunks.map((c) => c.channel)).toEqual(chunks.map(() => 'reasoning'));
      expect(chunks.map((c) => c.text).join('')).toBe(result.reasoning);
    } finally {
      await thinking.close();
      rmSync(thinkingDir, { recursive: true, force: true });
    }
  });

  it('samples reproducibly with a seed and differently with another seed', async () => {
    const run = (seed: number) =>
      engine.generate({
        messages: [{ role: 'user', content: 'hello' }],
        options: { maxNewTokens: 16, temperature: 1.5, topP: 0.95, topK: 50, seed },
      }).result;
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(b.tokenIds).toEqual(a.tokenIds);
    expect(c.tokenIds).not.toEqual(a.tokenIds);
  });

  it('rejects bad options and prompts synchronously with a code', () => {
    const bad = (options: object) => () => engine.generate({ messages: [{ role: 'user', content: 'x' }], options });
    expect(bad({ temperature: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(bad({ topP: 0 })).toThrow(/topP/);
    expect(bad({ topP: 1.5 })).toThrow(/topP/);
    expect(bad({ maxNewTokens: 0 })).toThrow(/maxNewTokens/);
    expect(bad({ repetitionPenalty: 0 })).toThrow(/repetitionPenalty/);
    expect(bad({ seed: -3 })).toThrow(/seed/);
    expect(() => engine.generate({ messages: [] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => engine.generate({ messages: [{ role: 'user', content: '   ' }] })).toThrow(/empty/);
    expect(() => engine.generate({ messages: [{ role: 'user', content: 'x'.repeat(2000) }] })).toThrow(
      expect.objectContaining({ code: 'INPUT_TOO_LONG' }),
    );
  });

  it('stops at the context length', async () => {
    const result = await engine.generate({
      promptTokenIds: new Array(505).fill(65),
      messages: [],
      options: { maxNewTokens: 50, temperature: 0 },
    }).result;
    expect(result.finishReason === 'context_length' || result.finishReason === 'stop').toBe(true);
    if (result.finishReason === 'context_length') expect(result.promptTokens + result.completionTokens).toBe(512);
  });

  it('refuses at once when the queue is full, and cancels a queued and a running request', async () => {
    const running = new AbortController();
    const queued = new AbortController();
    const first = engine.generate({
      messages: [{ role: 'user', content: 'a' }],
      options: { maxNewTokens: 400, temperature: 0 },
      signal: running.signal,
    });
    const second = engine.generate({
      messages: [{ role: 'user', content: 'b' }],
      options: { maxNewTokens: 400, temperature: 0 },
      signal: queued.signal,
    });
    let refused: unknown;
    try {
      engine.generate({ messages: [{ role: 'user', content: 'c' }] });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(InferenceError);
    expect((refused as InferenceError).code).toBe('QUEUE_FULL');
    queued.abort();
    expect((await second.result).finishReason).toBe('cancelled');
    // Wait for a few streamed tokens, then cancel the running one.
    const iterator = first[Symbol.asyncIterator]();
    await iterator.next();
    running.abort();
    const result = await first.result;
    expect(result.finishReason).toBe('cancelled');
    expect(result.completionTokens).toBeLessThan(400);
    // The slot is free again.
    const after = await engine.generate({ messages: [{ role: 'user', content: 'd' }], options: { maxNewTokens: 2, temperature: 0 } })
      .result;
    expect(after.completionTokens).toBeGreaterThan(0);
  });

  it('stops on a stop string without returning it', async () => {
    const free = await engine.generate({ messages: [{ role: 'user', content: 'the cat' }], options: { maxNewTokens: 24, temperature: 0 } })
      .result;
    const text = free.text;
    // Use a piece of the free-running output as the stop string.
    const stop = text.slice(Math.floor(text.length / 2), Math.floor(text.length / 2) + 2);
    expect(stop.length).toBe(2);
    const handle = engine.generate({
      messages: [{ role: 'user', content: 'the cat' }],
      options: { maxNewTokens: 24, temperature: 0, stop: [stop] },
    });
    const chunks = await collect(handle);
    const result = await handle.result;
    expect(result.finishReason).toBe('stop_sequence');
    expect(result.text).toBe(text.slice(0, text.indexOf(stop)));
    expect(channelText(chunks, 'reasoning')).toBe(result.reasoning);
    expect(channelText(chunks, 'answer')).toBe(result.answer);
  });

  it('keeps the hosting event loop responsive during a long prefill', async () => {
    // A wider, longer-context variant of tiny, so one prefill takes long enough to see a blocked loop.
    const slowDir = path.join(dir, 'slow');
    await synthesizeModel({
      preset: 'tiny',
      dtype: 'fp32',
      outDir: slowDir,
      geometry: {
        hiddenSize: 256,
        intermediateSize: 1024,
        numLayers: 4,
        numHeads: 8,
        numKvHeads: 2,
        headDim: 32,
        maxPositionEmbeddings: 4096,
      },
    });
    const slow = await InferenceEngine.load({ modelDir: slowDir, intraOpThreads: 1 });
    try {
      const prompt = Array.from({ length: 1200 }, (_, i) => 100 + (i % 150));
      let maxLag = 0;
      let ticks = 0;
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        maxLag = Math.max(maxLag, now - last - 5);
        last = now;
        ticks++;
      }, 5);
      const result = await slow.generate({ promptTokenIds: prompt, messages: [], options: { maxNewTokens: 1, temperature: 0 } }).result;
      clearInterval(timer);
      expect(result.completionTokens).toBe(1);
      expect(ticks).toBeGreaterThan(1);
      // The timer never waits anywhere near as long as the prefill takes: the work is on another thread.
      expect(maxLag).toBeLessThan(result.timeToFirstTokenMs / 4);
    } finally {
      await slow.close();
    }
  });
});
