import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { InferenceEngine } from '../engine/inference.engine';
import { DecoderSession } from '../generation/decoder-session';
import type { ChatMessage } from '../inference.types';
import { loadModelFolder } from '../model/model-folder';
import { TextTokenizer } from '../model/text-tokenizer';
import { synthesizeModel } from '../synth/synthesize-model';
import { SeededRandom } from '../seeded-random';
import { externalDataLocations } from './graph-cache';
import { compileDecoderGraph, planLastPositionLogits } from './graph-compiler';
import { OnnxGraphBuilder, attrInt, attrInts } from './onnx-graph.builder';
import { readGraph } from './graph-view';
import { OnnxDataType, onnxMessageType } from './onnx-proto';

const PROMPTS: ChatMessage[][] = [
  [{ role: 'user', content: 'What is 12 + 12?' }],
  [{ role: 'user', content: 'hello there' }],
  [
    { role: 'system', content: 'Please reason step by step, and put your final answer within \\boxed{}.' },
    { role: 'user', content: 'the cat is on the mat, and the dog is under the table' },
  ],
  [{ role: 'user', content: 'Ünïcödé — 数学 ✓' }],
];
/** Largest |compiled − export| last-position logit allowed (measured: 0 for fp32, under 2e-5 for q4; see README). */
const LOGIT_TOLERANCE = 1e-4;

const session = (folder: ReturnType<typeof loadModelFolder>, onnxPath: string): Promise<DecoderSession> =>
  DecoderSession.create({ ...folder.geometry, onnxPath, intraOpThreads: 1 });

describe.each(['fp32', 'q4'] as const)('graph compiler on the tiny %s model', (dtype) => {
  let root: string;
  let dir: string;
  let folder: ReturnType<typeof loadModelFolder>;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'slm-compile-'));
    dir = path.join(root, `tiny-${dtype}`);
    await synthesizeModel({ preset: 'tiny', dtype, outDir: dir });
    folder = loadModelFolder(dir);
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('compiles once to a cached graph whose prefill returns one logits row per sequence', async () => {
    const first = compileDecoderGraph(folder.onnxPath);
    expect(first).toMatchObject({ lastPositionLogits: true, tunedNodes: 0, cached: false, fallbackReason: undefined });
    expect(path.dirname(first.onnxPath)).toBe(path.join(dir, 'onnx'));
    expect(path.basename(first.onnxPath)).toMatch(/^\.model(_q4)?\.[0-9a-f]{16}\.compiled\.onnx$/);
    expect(compileDecoderGraph(folder.onnxPath)).toEqual({ ...first, cached: true });

    const raw = await ort.InferenceSession.create(first.onnxPath, { intraOpNumThreads: 1 });
    try {
      const [batch, seq] = [2, 5];
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt(10 + i)),
          [batch, seq],
        ),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(batch * seq).fill(1n), [batch, seq]),
        position_ids: new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt(i % seq)),
          [batch, seq],
        ),
      };
      for (let i = 0; i < folder.geometry.numLayers; i++) {
        for (const part of ['key', 'value']) {
          feeds[`past_key_values.${i}.${part}`] = new ort.Tensor('float32', new Float32Array(0), [
            batch,
            folder.geometry.numKvHeads,
            0,
            folder.geometry.headDim,
          ]);
        }
      }
      const outputs = await raw.run(feeds);
      expect(outputs.logits.dims).toEqual([batch, 1, folder.geometry.vocabSize]);
      expect(outputs['present.0.key'].dims).toEqual([batch, folder.geometry.numKvHeads, seq, folder.geometry.headDim]);
    } finally {
      await raw.release();
    }
  });

  it('gives the last-position logits of the export, alone and in left-padded batches', async () => {
    const compiled = compileDecoderGraph(folder.onnxPath);
    const reference = await session(folder, folder.onnxPath);
    const ours = await session(folder, compiled.onnxPath);
    const tokenizer = new TextTokenizer(folder);
    const prompts = PROMPTS.map((messages) => tokenizer.encodeChat(messages));
    let maxDiff = 0;
    let maxLogit = 0;
    const compare = (a: Float32Array, b: Float32Array): void => {
      expect(b.length).toBe(a.length);
      for (let i = 0; i < a.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
        maxLogit = Math.max(maxLogit, Math.abs(a[i]));
      }
    };
    try {
      for (const prompt of prompts) {
        const referenceCache = reference.newCache();
        const ourCache = ours.newCache();
        compare(await reference.step(prompt, referenceCache), await ours.step(prompt, ourCache));
        // Chunked prefill then decode steps: every step reads the last position only.
        for (const token of [40, 41, 42]) compare(await reference.step([token], referenceCache), await ours.step([token], ourCache));
        referenceCache.dispose();
        ourCache.dispose();
      }
      const referenceBatch = reference.newCache(0);
      const ourBatch = ours.newCache(0);
      const expected = await reference.prefillBatch(prompts, referenceBatch);
      const actual = await ours.prefillBatch(prompts, ourBatch);
      expected.forEach((row, i) => compare(row, actual[i]));
      const step = prompts.map(() => 50);
      const positions = prompts.map((prompt) => prompt.length);
      const a = await reference.stepBatch(step, positions, referenceBatch);
      const b = await ours.stepBatch(step, positions, ourBatch);
      compare(a.logits, b.logits);
      referenceBatch.dispose();
      ourBatch.dispose();
    } finally {
      await reference.release();
      await ours.release();
    }
    console.log(
      `tiny ${dtype}: compiled vs export last-position logits, max |diff| ${maxDiff.toExponential(2)} (largest |logit| ${maxLogit.toFixed(2)})`,
    );
    expect(maxDiff).toBeLessThan(LOGIT_TOLERANCE);
  });

  it('generates exactly the greedy token ids of the export, one request at a time and batched', async () => {
    // int8 prefill changes the arithmetic on purpose (its tolerance: onnx/int8-products.int-spec.ts); this test holds the exact rewrites.
    const compiledEngine = await InferenceEngine.load({ modelDir: dir, intraOpThreads: 1, prefillThreads: 0, int8MinRows: 0 });
    const exportEngine = await InferenceEngine.load({ modelDir: dir, intraOpThreads: 1, prefillThreads: 0, compileGraph: false });
    try {
      expect(compiledEngine.batching.lastPositionLogits).toBe(true);
      expect(compiledEngine.batching.onnxPath).toMatch(/\.compiled\.onnx$/);
      expect(compiledEngine.warnings).toEqual([]);
      expect(exportEngine.batching).toMatchObject({ lastPositionLogits: false, onnxPath: folder.onnxPath });
      const options = { maxNewTokens: 24, temperature: 0 };
      const expected: number[][] = [];
      for (const messages of PROMPTS) expected.push((await exportEngine.generate({ messages, options }).result).tokenIds);
      for (const [i, messages] of PROMPTS.entries())
        expect((await compiledEngine.generate({ messages, options }).result).tokenIds).toEqual(expected[i]);
      // Together: one left-padded batched prefill, then batched decode steps.
      const together = await Promise.all(PROMPTS.map((messages) => compiledEngine.generate({ messages, options }).result));
      expect(together.map((result) => result.tokenIds)).toEqual(expected);
    } finally {
      await compiledEngine.close();
      await exportEngine.close();
    }
  });
});

describe('graph compiler fallbacks and cache', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'slm-compile-fallback-'));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("keeps an LM head it does not recognise, says why, and the engine still serves the export's head", async () => {
    const dir = path.join(root, 'hidden-output');
    await synthesizeModel({ preset: 'tiny', dtype: 'q4', outDir: dir, hiddenStateOutput: true });
    const folder = loadModelFolder(dir);
    const result = compileDecoderGraph(folder.onnxPath);
    expect(result).toMatchObject({ onnxPath: folder.onnxPath, lastPositionLogits: false, cached: false });
    expect(result.fallbackReason).toMatch(/last_hidden_state/);
    expect(readdirSync(path.join(dir, 'onnx')).filter((name) => name.startsWith('.'))).toEqual([]);
    const engine = await InferenceEngine.load({ modelDir: dir, intraOpThreads: 1, prefillThreads: 0 });
    try {
      // Attention is still fused (a compiled copy); only the head stays as the export has it.
      expect(engine.batching).toMatchObject({ lastPositionLogits: false, fusedAttention: true });
      expect(engine.warnings).toEqual([
        expect.stringMatching(/^graph compiler: .*last_hidden_state.*running the export's LM head as it is/),
      ]);
      const result = await engine.generate({ messages: PROMPTS[0], options: { maxNewTokens: 4, temperature: 0 } }).result;
      expect(result.completionTokens).toBe(4);
    } finally {
      await engine.close();
    }
  });

  it('serves the export, with a warning, when the cached compiled copy does not load', async () => {
    const dir = path.join(root, 'corrupt-copy');
    await synthesizeModel({ preset: 'tiny', dtype: 'fp32', outDir: dir });
    const folder = loadModelFolder(dir);
    // The copy the engine compiles (fused attention is on by default).
    writeFileSync(compileDecoderGraph(folder.onnxPath, { fusedAttention: folder.geometry }).onnxPath, 'not a model');
    const engine = await InferenceEngine.load({ modelDir: dir, intraOpThreads: 1, prefillThreads: 0 });
    try {
      expect(engine.batching).toMatchObject({ onnxPath: folder.onnxPath, lastPositionLogits: false, fusedAttention: false });
      expect(engine.warnings).toEqual([
        expect.stringMatching(/^graph compiler: onnxruntime could not load the rewritten graph .*\.compiled\.onnx/),
      ]);
      expect((await engine.generate({ messages: PROMPTS[1], options: { maxNewTokens: 3, temperature: 0 } }).result).completionTokens).toBe(
        3,
      );
    } finally {
      await engine.close();
    }
  });

  it('leaves a graph with num_logits_to_keep as it is (the engine feeds 1)', async () => {
    const dir = path.join(root, 'keep');
    await synthesizeModel({ preset: 'tiny', dtype: 'fp32', outDir: dir, numLogitsToKeep: true });
    const folder = loadModelFolder(dir);
    expect(compileDecoderGraph(folder.onnxPath)).toEqual({
      onnxPath: folder.onnxPath,
      tunedNodes: 0,
      lastPositionLogits: true,
      fallbackReason: undefined,
      fusedAttention: false,
      fusedAttentionFallbackReason: undefined,
      int8Products: 0,
      int8FallbackReason: undefined,
      cached: false,
    });
  });

  it('tunes MatMulNBits in the same compiled copy, and recompiles when the source changes', async () => {
    const dir = path.join(root, 'unset');
    await synthesizeModel({ preset: 'tiny', dtype: 'q4', outDir: dir, matMulNBitsAccuracyLevel: 0 });
    const onnxPath = path.join(dir, 'onnx', 'model_q4.onnx');
    const first = compileDecoderGraph(onnxPath);
    expect(first).toMatchObject({ tunedNodes: 15, lastPositionLogits: true, cached: false });
    const lastOnly = compileDecoderGraph(onnxPath, { tuneMatMulNBits: false });
    expect(lastOnly).toMatchObject({ tunedNodes: 0, lastPositionLogits: true, cached: false });
    expect(lastOnly.onnxPath).not.toBe(first.onnxPath);
    utimesSync(onnxPath, new Date(), new Date(Date.now() + 5_000));
    const touched = compileDecoderGraph(onnxPath);
    expect(touched.cached).toBe(false);
    expect(touched.onnxPath).not.toBe(first.onnxPath);
  });

  it('writes to the cache folder when the model folder cannot be written, linking external data', async () => {
    const dir = path.join(root, 'external');
    await synthesizeModel({ preset: 'tiny', dtype: 'q4', outDir: dir, externalData: true, externalDataChunkBytes: 100_000 });
    const folder = loadModelFolder(dir);
    const beside = compileDecoderGraph(folder.onnxPath).onnxPath;
    rmSync(beside);
    // A folder where the temporary file would go makes the write fail, as a read-only folder does
    // (the tests may run as root, which ignores file modes).
    mkdirSync(`${beside}.${process.pid}.tmp`);
    const cacheDir = path.join(root, 'cache');
    const result = compileDecoderGraph(folder.onnxPath, { cacheDir });
    expect(result.onnxPath.startsWith(cacheDir)).toBe(true);
    expect(compileDecoderGraph(folder.onnxPath, { cacheDir })).toEqual({ ...result, cached: true });
    const compiled = await session(folder, result.onnxPath);
    const reference = await session(folder, folder.onnxPath);
    try {
      const referenceCache = reference.newCache();
      const compiledCache = compiled.newCache();
      const a = await reference.step([10, 20, 30], referenceCache);
      const b = await compiled.step([10, 20, 30], compiledCache);
      expect(Array.from(b)).toEqual(Array.from(a).map((value) => expect.closeTo(value, 4)));
      referenceCache.dispose();
      compiledCache.dispose();
    } finally {
      await compiled.release();
      await reference.release();
    }
  });

  it('moves large initializers to an aligned external data file beside the compiled graph, which computes the same logits', async () => {
    // Two copies of the same model (same seed): one compiled with everything inline, one with external data.
    const [folder, inlineFolder] = await Promise.all(
      ['externalized', 'inline'].map(async (name) => {
        await synthesizeModel({ preset: 'tiny', dtype: 'q4', outDir: path.join(root, name) });
        return loadModelFolder(path.join(root, name));
      }),
    );
    const external = compileDecoderGraph(folder.onnxPath, { externalDataMinBytes: 4096, fusedAttention: folder.geometry });
    const inline = compileDecoderGraph(inlineFolder.onnxPath, {
      externalDataMinBytes: Number.MAX_SAFE_INTEGER,
      fusedAttention: folder.geometry,
    });
    expect(readdirSync(path.dirname(inline.onnxPath)).filter((file) => file.endsWith('.data'))).toEqual([]);
    const dataFile = `${external.onnxPath}.data`;
    const model = readFileSync(external.onnxPath);
    expect(externalDataLocations(model)).toEqual([path.basename(dataFile)]);
    // The embedding table and the 4-bit weights left the graph; every offset is 64 KiB-aligned.
    expect(model.length).toBeLessThan(statSync(dataFile).size / 10);
    const tensorType = onnxMessageType('TensorProto');
    const offsets = [...readGraph(model).initializers.values()].flatMap((bytes) => {
      const tensor = tensorType.toObject(tensorType.decode(bytes)) as { externalData?: { key: string; value: string }[] };
      return (tensor.externalData ?? []).filter((entry) => entry.key === 'offset').map((entry) => Number(entry.value));
    });
    expect(offsets.length).toBeGreaterThan(5);
    for (const offset of offsets) expect(offset % 65536).toBe(0);
    const externalSession = await session(folder, external.onnxPath);
    const inlineSession = await session(folder, inline.onnxPath);
    try {
      const prompt = [10, 20, 30, 40];
      expect(Array.from(await externalSession.step(prompt, externalSession.newCache()))).toEqual(
        Array.from(await inlineSession.step(prompt, inlineSession.newCache())),
      );
    } finally {
      await externalSession.release();
      await inlineSession.release();
    }
  });
});

/**
 * LM heads of other exporters, on a minimal graph (embedding → scale → head): the compiler must rewrite
 * the ones it knows to the same last-position logits, and leave the others alone.
 */
describe('graph compiler on other LM head shapes', () => {
  const V = 40;
  const H = 8;
  type Head = (b: OnnxGraphBuilder, hidden: string) => void;
  const graphWith = (head: Head): Uint8Array => {
    const b = new OnnxGraphBuilder('head');
    const ids = b.input('input_ids', OnnxDataType.INT64, ['batch_size', 'sequence_length']);
    b.output('logits', OnnxDataType.FLOAT, ['batch_size', 'sequence_length', V]);
    b.initializer('embed', OnnxDataType.FLOAT, [V, H], new SeededRandom(7).fillUniform(new Float32Array(V * H), 1));
    head(b, b.op('Mul', [b.op('Gather', ['embed', ids], { axis: attrInt(0) }), b.float([2], [])]));
    return b.serialize({ opsets: { '': 17, 'com.microsoft': 1 } }).model;
  };
  const tiedTranspose = (b: OnnxGraphBuilder, x: string): string =>
    b.op('MatMul', [x, b.op('Transpose', ['embed'], { perm: attrInts([1, 0]) })]);
  const known: Array<[string, Head]> = [
    ['MatMul by the transposed tied embedding', (b, x) => b.node('Identity', [tiedTranspose(b, x)], {}, { outputs: ['logits'] })],
    [
      'MatMul then Cast (float16-style logits)',
      (b, x) => b.node('Cast', [tiedTranspose(b, x)], { to: attrInt(OnnxDataType.FLOAT) }, { outputs: ['logits'] }),
    ],
    [
      'soft-capped logits (Div, Tanh, Mul)',
      (b, x) =>
        b.node(
          'Mul',
          [b.op('Tanh', [b.op('Div', [tiedTranspose(b, x), b.float([30], [])])]), b.float([30], [])],
          {},
          { outputs: ['logits'] },
        ),
    ],
  ];
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'slm-compile-heads-'));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(known)('rewrites %s to the last position logits of the export', async (name, head) => {
    const file = path.join(root, `${name.replace(/\W+/g, '-')}.onnx`);
    writeFileSync(file, graphWith(head));
    const compiled = compileDecoderGraph(file);
    expect(compiled).toMatchObject({ lastPositionLogits: true, fallbackReason: undefined });
    const [batch, seq] = [2, 5];
    const feeds = {
      input_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt((i * 7) % V)),
        [batch, seq],
      ),
    };
    const run = async (onnxPath: string): Promise<ort.Tensor> => {
      const session = await ort.InferenceSession.create(onnxPath, { intraOpNumThreads: 1 });
      try {
        return (await session.run(feeds)).logits as ort.Tensor;
      } finally {
        await session.release();
      }
    };
    const all = await run(file);
    const last = await run(compiled.onnxPath);
    expect(last.dims).toEqual([batch, 1, V]);
    const data = all.data as Float32Array;
    const expected = Array.from({ length: batch }, (_, row) =>
      Array.from(data.subarray((row * seq + seq - 1) * V, (row * seq + seq) * V)),
    ).flat();
    expect(Array.from(last.data as Float32Array)).toEqual(expected.map((value) => expect.closeTo(value, 5)));
  });

  it.each<[string, Head, RegExp]>([
    [
      'a Softmax after the head',
      (b, x) => b.node('Softmax', [tiedTranspose(b, x)], { axis: attrInt(-1) }, { outputs: ['logits'] }),
      /Softmax node/,
    ],
    [
      'a head that adds a mean over positions',
      (b, x) =>
        b.node(
          'Add',
          [tiedTranspose(b, x), b.op('ReduceMean', [tiedTranspose(b, x)], { axes: attrInts([1]), keepdims: attrInt(1) })],
          {},
          { outputs: ['logits'] },
        ),
      /Add node before logits has 2 non-constant inputs/,
    ],
    [
      'a hidden state that also feeds an op mixing positions',
      (b, x) => {
        b.op('ReduceMean', [x], { axes: attrInts([1]), keepdims: attrInt(1) });
        b.node('MatMul', [x, b.op('Transpose', ['embed'], { perm: attrInts([1, 0]) })], {}, { outputs: ['logits'] });
      },
      /feeds a ReduceMean node/,
    ],
    [
      'a product of the hidden state with itself',
      (b, x) => b.node('MatMul', [x, b.op('Transpose', [x], { perm: attrInts([0, 2, 1]) })], {}, { outputs: ['logits'] }),
      /MatMul node before logits has 2 non-constant inputs/,
    ],
  ])('leaves %s alone, saying why', (_, head, reason) => {
    const analysis = planLastPositionLogits(graphWith(head));
    expect(analysis.kind).toBe('unknown');
    expect(analysis.kind === 'unknown' && analysis.reason).toMatch(reason);
  });
});
