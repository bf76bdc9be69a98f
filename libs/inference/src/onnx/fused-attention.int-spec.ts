import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InferenceEngine } from '../engine/inference.engine';
import { DecoderSession } from '../generation/decoder-session';
import type { KvCache } from '../generation/kv-cache';
import type { ChatMessage } from '../inference.types';
import { loadModelFolder } from '../model/model-folder';
import { TextTokenizer } from '../model/text-tokenizer';
import { synthesizeModel } from '../synth/synthesize-model';
import { readGraph } from './graph-view';
import { compileDecoderGraph } from './graph-compiler';

const PROMPTS: ChatMessage[][] = [
  [{ role: 'user', content: 'What is 12 + 12?' }],
  [{ role: 'user', content: 'hello there' }],
  [
    { role: 'system', content: 'Please reason step by step, and put your final answer within \\boxed{}.' },
    { role: 'user', content: 'the cat is on the mat, and the dog is under the table' },
  ],
  [{ role: 'user', content: 'Ünïcödé — 数学 ✓' }],
];
/**
 * Decode steps after each prompt: enough to cross the shared buffers' first growth (64 positions) and,
 * for the longer prompts, the second (128).
 */
const STEPS = 72;
/**
 * Largest |fused − export| logit allowed, relative to the largest |logit| of the run. Measured: 9e-7
 * relative for fp32 (float rounding of another summation order); for q4 0.7 % (MatMulNBits at
 * accuracy level 4 quantises each activation block to int8, and a last-bit difference in the attention
 * output moves some int8 codes by one), which never changed a greedy token in these runs.
 */
const RELATIVE_TOLERANCE = { fp32: 1e-5, q4: 0.03 };

const argmax = (row: Float32Array): number => row.reduce((best, value, i) => (value > row[best] ? i : best), 0);

describe.each([
  ['fp32', 'grouped'],
  ['q4', 'grouped'],
  ['fp32', 'repeated'],
] as const)('fused attention on the tiny %s model, %s attention', (dtype, attentionLayout) => {
  let root: string;
  let folder: ReturnType<typeof loadModelFolder>;
  let reference: DecoderSession;
  let fused: DecoderSession;
  let prompts: number[][];

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'slm-fused-'));
    const dir = path.join(root, `tiny-${dtype}-${attentionLayout}`);
    // 'repeated': transformers' SDPA export layout (repeat_kv, 1/√d split between q and kᵀ).
    await synthesizeModel({ preset: 'tiny', dtype, outDir: dir, attentionLayout });
    folder = loadModelFolder(dir);
    const compiled = compileDecoderGraph(folder.onnxPath, { fusedAttention: folder.geometry });
    expect(compiled).toMatchObject({ fusedAttention: true, fusedAttentionFallbackReason: undefined, lastPositionLogits: true });
    const options = { ...folder.geometry, intraOpThreads: 1 };
    reference = await DecoderSession.create({ ...options, onnxPath: folder.onnxPath });
    fused = await DecoderSession.create({ ...options, onnxPath: compiled.onnxPath });
    prompts = PROMPTS.map((messages) => new TextTokenizer(folder).encodeChat(messages));
  });

  afterAll(async () => {
    await reference?.release();
    await fused?.release();
    rmSync(root, { recursive: true, force: true });
  });

  it("replaces every layer's attention with one that reads the cache buffers, and returns only the step's keys and values", () => {
    const compiled = compileDecoderGraph(folder.onnxPath, { fusedAttention: folder.geometry });
    const view = readGraph(readFileSync(compiled.onnxPath));
    const count = (opType: string): number => view.nodes.filter((node) => node.opType === opType).length;
    // Scores against the buffer and against the step's own keys, per layer; no Concat of a cache is left.
    expect(count('FusedMatMul')).toBe(2 * folder.geometry.numLayers);
    expect(
      view.nodes.filter((node) => node.opType === 'Concat' && node.inputs.some((input) => input.startsWith('past_key_values'))),
    ).toEqual([]);
    expect(fused.kvLayout).toBe('shared');
    expect(fused.batchedPrefill).toBe(false);
    expect(fused.inputNames).toEqual(expect.arrayContaining(['attention_bias', 'position_ids']));
    // The mask only fed the export's attention bias: with the engine's bias instead, nothing reads it.
    expect(fused.inputNames).not.toContain('attention_mask');
    expect(reference.kvLayout).toBe('concat');
  });

  it("gives the export's greedy tokens and logits, prefilled whole or in chunks, past buffer growth", async () => {
    let maxDiff = 0;
    let maxLogit = 0;
    for (const [index, prompt] of prompts.entries()) {
      const referenceCache = reference.newCache();
      const fusedCache = fused.newCache();
      // Alternate whole and chunked prefill (a chunk after the first attends to the cache written in place).
      const chunk = index % 2 === 0 ? prompt.length : 5;
      let expected = await reference.step(prompt, referenceCache);
      let actual: Float32Array | undefined;
      for (let at = 0; at < prompt.length; at += chunk) actual = await fused.step(prompt.slice(at, at + chunk), fusedCache);
      const expectedTokens: number[] = [];
      const actualTokens: number[] = [];
      for (let step = 0; step < STEPS; step++) {
        for (let i = 0; i < expected.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual![i]));
          maxLogit = Math.max(maxLogit, Math.abs(expected[i]));
        }
        expectedTokens.push(argmax(expected));
        actualTokens.push(argmax(actual!));
        // Both continue with the export's token, so one near-tie cannot make the sequences diverge.
        const next = expectedTokens[expectedTokens.length - 1];
        expected = await reference.step([next], referenceCache);
        const buffer = fusedCache.tensor(0, 'key');
        const fits = fusedCache.length < fusedCache.width;
        actual = await fused.step([next], fusedCache);
        // A step that fits is written into the same buffer; only growth replaces it.
        if (fits) expect(fusedCache.tensor(0, 'key')).toBe(buffer);
      }
      expect(actualTokens).toEqual(expectedTokens);
      expect(fusedCache.length).toBe(prompt.length + STEPS);
      expect(fusedCache.width).toBeGreaterThanOrEqual(fusedCache.length);
      referenceCache.dispose();
      fusedCache.dispose();
    }
    console.log(
      `tiny ${dtype} ${attentionLayout}: fused vs export logits, max |diff| ${maxDiff.toExponential(2)} (largest |logit| ${maxLogit.toFixed(2)})`,
    );
    expect(maxDiff).toBeLessThanOrEqual(RELATIVE_TOLERANCE[dtype] * maxLogit);
  });

  it('decodes a batch of rows of different lengths as each row alone, while rows leave and join', async () => {
    const prefill = async (prompt: number[]): Promise<{ cache: KvCache; logits: Float32Array }> => {
      const cache = fused.newCache();
      return { cache, logits: await fused.step(prompt, cache) };
    };
    // Solo runs: each prompt then 12 greedy steps, alone.
    const solo: number[][] = [];
    for (const prompt of prompts) {
      const { cache, logits } = await prefill(prompt);
      const tokens = [argmax(logits)];
      for (let step = 1; step < 12; step++) tokens.push(argmax(await fused.step([tokens[step - 1]], cache)));
      solo.push(tokens);
      cache.dispose();
    }
    // Batched: rows 0–2 start together, row 1 leaves after 4 steps, row 3 joins then.
    const batch = fused.newCache(0);
    const tokens: number[][] = prompts.map(() => []);
    const joined = await Promise.all(prompts.slice(0, 3).map(prefill));
    joined.forEach(({ logits }, row) => tokens[row].push(argmax(logits)));
    batch.repack(
      [],
      joined.map(({ cache }) => cache),
    );
    let rows = [0, 1, 2];
    const lengths = new Map(rows.map((row) => [row, prompts[row].length]));
    for (let step = 1; step < 16; step++) {
      if (step === 5) {
        const newcomer = await prefill(prompts[3]);
        tokens[3].push(argmax(newcomer.logits));
        lengths.set(3, prompts[3].length);
        batch.repack([0, 2], [newcomer.cache]);
        rows = [0, 2, 3];
      }
      const live = rows.filter((row) => tokens[row].length < 12);
      if (live.length < rows.length) {
        batch.repack(
          live.map((row) => rows.indexOf(row)),
          [],
        );
        rows = live;
      }
      if (rows.length === 0) break;
      const { logits, vocab } = await fused.stepBatch(
        rows.map((row) => tokens[row][tokens[row].length - 1]),
        rows.map((row) => lengths.get(row)!),
        batch,
      );
      rows.forEach((row, i) => {
        tokens[row].push(argmax(logits.subarray(i * vocab, (i + 1) * vocab)));
        lengths.set(row, lengths.get(row)! + 1);
      });
      rows.forEach((row, i) => expect(batch.lengthOf(i)).toBe(lengths.get(row)));
    }
    batch.dispose();
    expect(tokens[0]).toEqual(solo[0]);
    expect(tokens[2]).toEqual(solo[2]);
    expect(tokens[3]).toEqual(solo[3]);
    // Row 1 left after its first 5 tokens: those match its solo run.
    expect(tokens[1].slice(0, 5)).toEqual(solo[1].slice(0, 5));
  });
});

describe('fused attention fallback', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'slm-fused-fallback-'));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("leaves attention it does not recognise as it is, says why, and the engine serves with the export's attention", async () => {
    // A float16 cache: the export casts around the Concat, a pattern the pass does not rewrite.
    const dir = path.join(root, 'tiny-kv16');
    await synthesizeModel({ preset: 'tiny', dtype: 'fp32', outDir: dir, kvCacheDtype: 'float16' });
    const folder = loadModelFolder(dir);
    const compiled = compileDecoderGraph(folder.onnxPath, { fusedAttention: folder.geometry });
    expect(compiled.fusedAttention).toBe(false);
    expect(compiled.fusedAttentionFallbackReason).toMatch(/layer 0: .*float16 cache/);
    expect(compiled.lastPositionLogits).toBe(true);

    const engine = await InferenceEngine.load({ modelDir: dir, maxQueue: 0 });
    try {
      expect(engine.batching.fusedAttention).toBe(false);
      expect(engine.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/graph compiler: layer 0: .*export's attention/)]));
      const result = await engine.generate({ messages: [{ role: 'user', content: 'hello' }], options: { maxNewTokens: 4, temperature: 0 } })
        .result;
      expect(result.completionTokens).toBe(4);
    } finally {
      await engine.close();
    }
  });
});
