import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { KvCache } from '../generation/kv-cache';
import { PrefixCache } from '../generation/prefix-cache';
import type { GenerationRequest } from '../inference.types';
import { synthesizeModel } from '../synth/synthesize-model';
import { InferenceEngine } from './inference.engine';

/** A cache of `length` positions whose every key/value element is `position + 1000 × layer` (value: negated). */
function filledCache(length: number, layers = 2, heads = 2, headDim = 4): KvCache {
  const cache = new KvCache(layers, heads, headDim, 'float32');
  const outputs: Record<string, ort.Tensor> = {};
  for (let layer = 0; layer < layers; layer++) {
    for (const [sign, part] of [
      [1, 'key'],
      [-1, 'value'],
    ] as const) {
      const data = new Float32Array(heads * length * headDim);
      for (let head = 0; head < heads; head++)
        for (let p = 0; p < length; p++)
          data.fill(sign * (p + 1000 * layer), (head * length + p) * headDim, (head * length + p + 1) * headDim);
      outputs[`present.${layer}.${part}`] = new ort.Tensor('float32', data, [1, heads, length, headDim]);
    }
  }
  cache.update(outputs, length);
  return cache;
}

describe('PrefixCache', () => {
  const ids = (n: number, from = 1) => Array.from({ length: n }, (_, k) => from + k);

  it('restores the longest cached whole-block prefix, leaving at least one token to prefill', () => {
    const prefixes = new PrefixCache({ blockTokens: 4, budgetBytes: 1 << 20 });
    prefixes.store(ids(10), filledCache(10), 2);
    // 10 tokens stored at their last block boundary: 8. A prompt of the same 8 first tokens and more reuses 8.
    const target = new KvCache(2, 2, 4, 'float32');
    expect(prefixes.restore([...ids(8), 99, 98], target, 2)).toBe(8);
    expect(target.length).toBe(8);
    const key = target.tensor(1, 'key')!;
    expect(key.dims).toEqual([1, 2, 8, 4]);
    // Head 1, position 7 of layer 1: 7 + 1000.
    expect((key.data as Float32Array)[(1 * 8 + 7) * 4]).toBe(1007);
    expect((target.tensor(0, 'value')!.data as Float32Array)[(0 * 8 + 5) * 4]).toBe(-5);
    // Exactly the 8 cached tokens: only 4 are reused, the last block is prefilled for its logits.
    expect(prefixes.restore(ids(8), new KvCache(2, 2, 4, 'float32'), 2)).toBe(4);
    // A different first block: no hit.
    expect(prefixes.restore([7, ...ids(9, 2)], new KvCache(2, 2, 4, 'float32'), 2)).toBe(0);
    // Shorter than a block: nothing to store or reuse.
    expect(prefixes.restore(ids(4), new KvCache(2, 2, 4, 'float32'), 2)).toBe(0);
  });

  it('keeps within its byte budget by dropping the least recently used prompt', () => {
    // 8 positions × 2 heads × 4 × 4 bytes × 2 layers × 2 parts = 1 KiB per stored prompt.
    const prefixes = new PrefixCache({ blockTokens: 4, budgetBytes: 2048 });
    const a = ids(8, 100);
    const b = ids(8, 200);
    const c = ids(8, 300);
    prefixes.store(a, filledCache(8), 2);
    prefixes.store(b, filledCache(8), 2);
    expect(prefixes.size).toBe(2048);
    // Using a makes b the oldest; storing c evicts b.
    expect(prefixes.restore([...a, 1], new KvCache(2, 2, 4, 'float32'), 2)).toBe(8);
    prefixes.store(c, filledCache(8), 2);
    expect(prefixes.size).toBe(2048);
    expect(prefixes.restore([...b, 1], new KvCache(2, 2, 4, 'float32'), 2)).toBe(0);
    expect(prefixes.restore([...a, 1], new KvCache(2, 2, 4, 'float32'), 2)).toBe(8);
    expect(prefixes.restore([...c, 1], new KvCache(2, 2, 4, 'float32'), 2)).toBe(8);
  });
});

describe.each([
  { where: 'on the prefill thread', prefillThreads: 1 },
  { where: 'beside the decode session (no prefill thread)', prefillThreads: 0 },
])('the engine with a prefix cache $where', ({ prefillThreads }) => {
  let dir: string;
  let cached: InferenceEngine;
  let uncached: InferenceEngine;
  // A 40-token header every request shares (a system prompt, a few-shot preamble), then its own question.
  const header = Array.from({ length: 40 }, (_, k) => 20 + ((k * 11) % 200));
  const request = (i: number): GenerationRequest => ({
    messages: [],
    promptTokenIds: [...header, ...Array.from({ length: 3 + (i % 5) }, (_, k) => 30 + ((k * 17 + i * 29) % 190))],
    options: { maxNewTokens: 12, temperature: 0 },
  });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'slm-prefix-cache-'));
    await synthesizeModel({ preset: 'tiny', dtype: 'fp32', outDir: dir });
    [cached, uncached] = await Promise.all([
      InferenceEngine.load({ modelDir: dir, intraOpThreads: 1, prefillThreads }),
      InferenceEngine.load({ modelDir: dir, intraOpThreads: 1, prefillThreads, prefixCacheMb: 0 }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([cached?.close(), uncached?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is on by default, and off at prefixCacheMb 0', () => {
    expect(cached.batching.prefillThreads).toBe(prefillThreads);
    expect(cached.batching.prefixCacheMb).toBe(64);
    expect(uncached.batching.prefixCacheMb).toBe(0);
  });

  it('computes a shared header once: later prompts reuse its whole blocks and generate the same greedy tokens', async () => {
    const first = await cached.generate(request(0)).result;
    expect(first.cachedPromptTokens).toBe(0);
    for (let i = 1; i < 6; i++) {
      const [warm, cold] = await Promise.all([cached.generate(request(i)).result, uncached.generate(request(i)).result]);
      // 40 shared tokens: two whole 16-token blocks.
      expect(warm.cachedPromptTokens).toBe(32);
      expect(cold.cachedPromptTokens).toBe(0);
      expect(warm.tokenIds).toEqual(cold.tokenIds);
    }
  });

  it('rejects a negative budget', async () => {
    await expect(InferenceEngine.load({ modelDir: dir, prefixCacheMb: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
