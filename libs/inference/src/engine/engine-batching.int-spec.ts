import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { GenerationRequest, GenerationResult } from '../inference.types';
import { synthesizeModel } from '../synth/synthesize-model';
import { InferenceEngine } from './inference.engine';
import { defaultIntraOpThreads, defaultPrefillThreads } from './resource-defaults';

/** The engine's continuous batching seen from callers: concurrent streams, cancellation, deadlines, limits. */
describe('the prefill thread by default', () => {
  const GiB = 1024 ** 3;

  it('runs where a second copy of the weights fits the memory limit, not where it does not', () => {
    // A 950M q4 graph (1.38 GB) with the default 1 GiB KV budget, 4 cores: not in a 4 GiB container, yes in 6 GiB and on 24 GiB.
    expect(defaultPrefillThreads(1.38e9, GiB, 4 * GiB, 4)).toBe(0);
    expect(defaultPrefillThreads(1.38e9, GiB, 6 * GiB, 4)).toBe(1);
    expect(defaultPrefillThreads(1.38e9, GiB, 24 * GiB, 4)).toBe(1);
    // The tiny synthetic model fits anywhere.
    expect(defaultPrefillThreads(400_000, GiB, 2 * GiB, 3)).toBe(1);
  });

  it('leaves 2 cores or fewer to the decode session, whatever the memory', () => {
    expect(defaultPrefillThreads(400_000, GiB, 24 * GiB, 2)).toBe(0);
    expect(defaultPrefillThreads(400_000, GiB, 24 * GiB, 1)).toBe(0);
    // The decode session then takes every core; beside a prefill thread, the others.
    expect(defaultIntraOpThreads(0, 2)).toBe(2);
    expect(defaultIntraOpThreads(1, 4)).toBe(3);
    expect(defaultIntraOpThreads(1, 1)).toBe(1);
  });
});

describe.each([
  { prefill: 'a prefill thread', prefillThreads: 1 },
  { prefill: 'prefill between decode steps', prefillThreads: 0 },
])('InferenceEngine with continuous batching and $prefill', ({ prefillThreads }) => {
  let dir: string;
  let engine: InferenceEngine;

  const request = (i: number, maxNewTokens: number, signal?: AbortSignal): GenerationRequest => ({
    messages: [],
    promptTokenIds: Array.from({ length: 4 + ((i * 37) % 90) }, (_, k) => 10 + ((k * 7 + i * 13) % 230)),
    options: i % 2 === 0 ? { maxNewTokens, temperature: 0 } : { maxNewTokens, temperature: 0.8, topP: 0.9, seed: i },
    signal,
  });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'slm-batching-'));
    await synthesizeModel({ preset: 'tiny', dtype: 'fp32', outDir: dir });
    engine = await InferenceEngine.load({
      modelDir: dir,
      maxConcurrency: 4,
      maxQueue: 8,
      prefillChunkTokens: 16,
      intraOpThreads: 1,
      prefillThreads,
    });
  });

  afterAll(async () => {
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the batch size as its concurrency and the KV budget from the geometry', () => {
    expect(engine.capacity).toEqual({ maxConcurrency: 4, maxQueue: 8 });
    // tiny: 2 layers × (key, value) × 2 KV heads × head_dim 16 × 4 bytes.
    expect(engine.batching.kvBytesPerToken).toBe(2 * 2 * 2 * 16 * 4);
    expect(engine.batching.maxKvTokens).toBe(Math.floor((1024 * 1024 * 1024) / 512));
    // A tick's prefill budget defaults to two prefill chunks.
    expect(engine.batching.prefillTokenBudget).toBe(32);
    expect(engine.batching.prefillThreads).toBe(prefillThreads);
  });

  it('serves concurrent requests in one batch with the tokens of their solo runs', async () => {
    const solo: GenerationResult[] = [];
    for (let i = 0; i < 10; i++) solo.push(await engine.generate(request(i, 10 + ((i * 11) % 30))).result);
    const together = await Promise.all(Array.from({ length: 10 }, (_, i) => engine.generate(request(i, 10 + ((i * 11) % 30))).result));
    together.forEach((result, i) => {
      expect(result.tokenIds).toEqual(solo[i].tokenIds);
      expect(result.finishReason).toBe(solo[i].finishReason);
    });
  });

  it('cancels one request mid-batch and meets a deadline while the others finish as if alone', async () => {
    const solo = await Promise.all([0, 2, 3].map(async (i) => (await engine.generate(request(i, 40)).result).tokenIds));
    const cancel = new AbortController();
    // Requests 7 and 5 alone run to the 400-token limit (no early EOS), so only the abort can stop them.
    const cancelled = engine.generate(request(7, 400, cancel.signal));
    const deadline = engine.generate(request(5, 400, AbortSignal.timeout(1)));
    const others = [0, 2, 3].map((i) => engine.generate(request(i, 40)));
    const iterator = cancelled[Symbol.asyncIterator]();
    await iterator.next();
    cancel.abort();
    const result = await cancelled.result;
    expect(result.finishReason).toBe('cancelled');
    expect(result.completionTokens).toBeLessThan(400);
    expect((await deadline.result).finishReason).toBe('cancelled');
    const finished = await Promise.all(others.map((handle) => handle.result));
    finished.forEach((other, k) => expect(other.tokenIds).toEqual(solo[k]));
  });

  it('refuses at once a request that can never fit the KV budget', async () => {
    // 0.05 MB holds 102 tokens of the tiny model.
    const small = await InferenceEngine.load({ modelDir: dir, kvCacheBudgetMb: 0.05, intraOpThreads: 1, prefillThreads });
    try {
      expect(small.batching.maxKvTokens).toBe(102);
      const prompt = Array.from({ length: 50 }, (_, k) => 20 + k);
      expect(() => small.generate({ messages: [], promptTokenIds: prompt, options: { maxNewTokens: 60 } })).toThrow(
        expect.objectContaining({ code: 'INPUT_TOO_LONG', message: expect.stringMatching(/KV budget/) }),
      );
      const fits = await small.generate({ messages: [], promptTokenIds: prompt, options: { maxNewTokens: 50, temperature: 0 } }).result;
      expect(fits.completionTokens).toBeGreaterThan(0);
    } finally {
      await small.close();
    }
    await expect(InferenceEngine.load({ modelDir: dir, kvCacheBudgetMb: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(InferenceEngine.load({ modelDir: dir, prefillTokenBudget: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(InferenceEngine.load({ modelDir: dir, prefillThreads: -1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/prefillThreads/),
    });
    for (const int8MinRows of [-1, 2.5])
      await expect(InferenceEngine.load({ modelDir: dir, int8MinRows })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/int8MinRows must be an integer >= 0/),
      });
  });
});
