import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DecoderSession } from '../generation/decoder-session';
import { argmax } from '../generation/sampler';
import { InferenceEngine } from '../engine/inference.engine';
import { loadModelFolder } from '../model/model-folder';
import { synthesizeModel } from '../synth/synthesize-model';
import { graphOpTypes, tuneMatMulNBits, untunedMatMulNBits } from './matmul-nbits-tuning';

describe('load-time MatMulNBits tuning', () => {
  let root: string;
  let unset: string;
  let level4: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'slm-tune-'));
    unset = path.join(root, 'unset');
    level4 = path.join(root, 'level4');
    await synthesizeModel({ preset: 'tiny', dtype: 'q4', outDir: unset, matMulNBitsAccuracyLevel: 0 });
    await synthesizeModel({ preset: 'tiny', dtype: 'q4', outDir: level4 });
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const graph = (dir: string): string => path.join(dir, 'onnx', 'model_q4.onnx');

  it('rewrites unset accuracy levels to 4, byte for byte the graph written with level 4, and caches it by hash', () => {
    // tiny: 2 layers × 7 projections + the LM head.
    expect(untunedMatMulNBits(readFileSync(graph(unset)))).toBe(15);
    expect(untunedMatMulNBits(readFileSync(graph(level4)))).toBe(0);
    const first = tuneMatMulNBits(graph(unset));
    expect(first).toMatchObject({ tunedNodes: 15, cached: false });
    expect(path.dirname(first.onnxPath)).toBe(path.join(unset, 'onnx'));
    expect(path.basename(first.onnxPath)).toMatch(/^\.model_q4\.[0-9a-f]{16}\.tuned\.onnx$/);
    // Every other byte is kept: the result is exactly the graph synthesised with accuracy_level 4.
    expect(Buffer.compare(readFileSync(first.onnxPath), readFileSync(graph(level4)))).toBe(0);
    expect(tuneMatMulNBits(graph(unset))).toEqual({ ...first, cached: true });
    expect(tuneMatMulNBits(graph(level4))).toEqual({ onnxPath: graph(level4), tunedNodes: 0, cached: false });
  });

  it('lists the op types of a graph (GroupQueryAttention graphs decode unbatched)', () => {
    const types = graphOpTypes(readFileSync(graph(level4)));
    expect(types.has('MatMulNBits')).toBe(true);
    expect(types.has('Softmax')).toBe(true);
    expect(types.has('GroupQueryAttention')).toBe(false);
  });

  it('falls back to a cache folder when the model folder cannot be written, linking external data', async () => {
    const external = path.join(root, 'external');
    await synthesizeModel({
      preset: 'tiny',
      dtype: 'q4',
      outDir: external,
      matMulNBitsAccuracyLevel: 0,
      externalData: true,
      externalDataChunkBytes: 100_000,
    });
    // A folder where the temporary file would go makes the write fail, as a read-only folder does
    // (the tests may run as root, which ignores file modes).
    const hash = createHash('sha256')
      .update(readFileSync(graph(external)))
      .digest('hex')
      .slice(0, 16);
    mkdirSync(path.join(external, 'onnx', `.model_q4.${hash}.tuned.onnx.${process.pid}.tmp`));
    const cacheDir = path.join(root, 'cache');
    const result = tuneMatMulNBits(graph(external), { cacheDir });
    expect(result.tunedNodes).toBe(15);
    expect(result.onnxPath.startsWith(cacheDir)).toBe(true);
    const folder = loadModelFolder(external);
    const session = await DecoderSession.create({ ...folder.geometry, onnxPath: result.onnxPath, intraOpThreads: 1 });
    try {
      const logits = await session.step([10, 20, 30], session.newCache());
      expect(logits.length).toBe(folder.geometry.vocabSize);
    } finally {
      await session.release();
    }
  });

  it('changes the logits of the synthetic q4 model only slightly (reported), and the engine tunes by default', async () => {
    const folder = loadModelFolder(unset);
    const open = (onnxPath: string) => DecoderSession.create({ ...folder.geometry, onnxPath, intraOpThreads: 1 });
    const slow = await open(graph(unset));
    const fast = await open(tuneMatMulNBits(graph(unset)).onnxPath);
    let maxDeviation = 0;
    let maxLogit = 0;
    let agree = 0;
    const steps = 32;
    try {
      const slowCache = slow.newCache();
      const fastCache = fast.newCache();
      let input = [10, 52, 99, 140, 23, 77, 31];
      for (let step = 0; step < steps; step++) {
        const a = await slow.step(input, slowCache);
        const b = await fast.step(input, fastCache);
        for (let i = 0; i < a.length; i++) {
          maxDeviation = Math.max(maxDeviation, Math.abs(a[i] - b[i]));
          maxLogit = Math.max(maxLogit, Math.abs(a[i]));
        }
        if (argmax(a) === argmax(b)) agree++;
        input = [argmax(a)]; // both follow the untuned model's greedy path
      }
      slowCache.dispose();
      fastCache.dispose();
    } finally {
      await slow.release();
      await fast.release();
    }
    console.log(
      `tiny q4, accuracy_level unset → 4: max logit deviation ${maxDeviation.toFixed(4)} (largest |logit| ${maxLogit.toFixed(2)}), greedy agreement ${agree}/${steps}`,
    );
    expect(maxDeviation).toBeGreaterThan(0); // the rewrite took effect
    expect(maxDeviation).toBeLessThan(0.05 * maxLogit);
    expect(agree).toBeGreaterThanOrEqual(steps * 0.9);

    const tuned = await InferenceEngine.load({ modelDir: unset, intraOpThreads: 1 });
    const untouched = await InferenceEngine.load({ modelDir: unset, intraOpThreads: 1, tuneMatMulNBits: false, compileGraph: false });
    try {
      // The engine tunes within the graph compiler's copy (graph-compiler.ts).
      expect(tuned.batching.tunedMatMulNBitsNodes).toBe(15);
      expect(tuned.batching.onnxPath).toMatch(/\.compiled\.onnx$/);
      expect(untouched.batching).toMatchObject({ tunedMatMulNBitsNodes: 0, onnxPath: graph(unset) });
    } finally {
      await tuned.close();
      await untouched.close();
    }
  });
});
