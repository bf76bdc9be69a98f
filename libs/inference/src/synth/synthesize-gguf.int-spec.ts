import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { SeededRandom } from '../seeded-random';
import { buildDecoderGraph, type DrawnWeight } from './decoder-graph';
import { InferenceEngine } from '../engine/inference.engine';
import { PRESET_GEOMETRY, type SynthDtype } from './model-presets';
import { synthesizeGguf, type SynthesizedGguf } from './synthesize-gguf';
import { synthesizeModel } from './synthesize-model';

const repoRoot = path.resolve(__dirname, '../../../..');

/**
 * node-llama-cpp is ESM-only with top-level await: Jest (CommonJS) cannot load it, so llama.cpp runs in a
 * child `node` process from a script file (not `node -e`: node-llama-cpp forks a binary test process that
 * inherits execArgv). Prints the model facts and two greedy runs of 8 tokens.
 */
const LLAMA_SCRIPT = `
import { getLlama, LlamaLogLevel } from '${pathToFileURL(path.join(repoRoot, 'node_modules/node-llama-cpp/dist/index.js')).href}';
const [file, count, ...prompt] = process.argv.slice(2);
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
// F32 KV cache (llama.cpp's default is F16) so the greedy-match test compares like with like.
const context = await model.createContext({ contextSize: 64, threads: 1, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
const runs = [];
for (let run = 0; run < 2; run++) {
  const sequence = context.getSequence();
  const tokens = [];
  for await (const token of sequence.evaluate(prompt.map(Number), { temperature: 0 })) if (tokens.push(token) >= Number(count)) break;
  sequence.dispose();
  runs.push(tokens);
}
const { llama: arch, general } = model.fileInfo.metadata;
console.log(JSON.stringify({ arch, architecture: general.architecture, vocab: model.fileInfo.metadata.tokenizer.ggml.tokens.length,
  bos: model.tokens.bos, eot: model.tokens.eot, bosText: model.tokens.bosString, runs, text: model.detokenize(runs[0]) }));
await context.dispose();
await model.dispose();
await llama.dispose();
`;

async function runLlamaCpp(file: string, prompt: number[], count = 8) {
  const script = path.join(path.dirname(file), 'run-llama-cpp.mjs');
  writeFileSync(script, LLAMA_SCRIPT);
  const { stdout } = await promisify(execFile)(process.execPath, [script, file, String(count), ...prompt.map(String)], {
    cwd: repoRoot,
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as {
    arch: {
      block_count: number;
      embedding_length: number;
      feed_forward_length: number;
      attention: { head_count: number; head_count_kv: number };
    };
    architecture: string;
    vocab: number;
    bos: number;
    eot: number;
    bosText: string;
    runs: number[][];
    text: string;
  };
}

/** Just enough of a GGUF reader to find tensors: skips the metadata values, reads the tensor infos. */
function readGgufTensors(bytes: Buffer): Map<string, { ne: number[]; type: number; data: Buffer }> {
  let at = 0;
  const u32 = (): number => ((at += 4), bytes.readUInt32LE(at - 4));
  const u64 = (): number => ((at += 8), Number(bytes.readBigUInt64LE(at - 8)));
  const str = (): string => {
    const length = u64();
    at += length;
    return bytes.toString('utf8', at - length, at);
  };
  const skipValue = (type: number): void => {
    const sizes: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
    if (type === 8) str();
    else if (type === 9) {
      const itemType = u32();
      const count = u64();
      for (let i = 0; i < count; i++) skipValue(itemType);
    } else at += sizes[type];
  };
  expect(bytes.toString('latin1', 0, 4)).toBe('GGUF');
  at = 4;
  expect(u32()).toBe(3);
  const tensorCount = u64();
  const kvCount = u64();
  for (let i = 0; i < kvCount; i++) {
    str();
    skipValue(u32());
  }
  const infos = Array.from({ length: tensorCount }, () => {
    const name = str();
    const ne = Array.from({ length: u32() }, () => u64());
    return { name, ne, type: u32(), offset: u64() };
  });
  const dataStart = Math.ceil(at / 32) * 32;
  const tensors = new Map<string, { ne: number[]; type: number; data: Buffer }>();
  for (const info of infos) {
    const elements = info.ne.reduce((a, b) => a * b, 1);
    const size = info.type === 2 ? (elements / 32) * 18 : elements * 4;
    tensors.set(info.name, { ne: info.ne, type: info.type, data: bytes.subarray(dataStart + info.offset, dataStart + info.offset + size) });
  }
  return tensors;
}

/** Row `row` of a Q4_0 tensor as floats: (nibble − 8) × fp16 scale, elements i and i + 16 in byte i. */
function dequantizeQ4_0Row(data: Buffer, columns: number, row: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < columns / 32; b++) {
    const at = (row * (columns / 32) + b) * 18;
    const scale = halfToFloat(data.readUInt16LE(at));
    const block = new Array<number>(32);
    for (let i = 0; i < 16; i++) {
      block[i] = ((data[at + 2 + i] & 0x0f) - 8) * scale;
      block[i + 16] = ((data[at + 2 + i] >> 4) - 8) * scale;
    }
    out.push(...block);
  }
  return out;
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Row `row` (one output) of a MatMulNBits weight as floats. */
function dequantizeNBitsRow(weight: Extract<DrawnWeight, { kind: 'q4' }>, row: number): number[] {
  return Array.from({ length: weight.columns }, (_, c) => {
    const index = row * weight.columns + c;
    const byte = weight.packed[index >> 1];
    return ((index & 1 ? byte >> 4 : byte & 0x0f) - 8) * weight.scales[Math.floor(index / 32)];
  });
}

describe('synthesizeGguf', () => {
  let root: string;
  let q4: SynthesizedGguf;
  let drawn: Map<string, DrawnWeight>;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'slm-gguf-'));
    q4 = await synthesizeGguf({ preset: 'tiny', dtype: 'q4', outFile: path.join(root, 'tiny-q4_0.gguf') });
    drawn = new Map();
    buildDecoderGraph(q4.geometry, 'q4', new SeededRandom(42), { onWeight: (name, weight) => drawn.set(name, weight) });
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('stores the ONNX synth weights of the same seed as Q4_0 rows, q/k rows in llama.cpp RoPE order', () => {
    const tensors = readGgufTensors(readFileSync(q4.file));
    const g = q4.geometry;
    expect(tensors.size).toBe(2 + 9 * g.numLayers);
    expect(tensors.get('token_embd.weight')).toMatchObject({ ne: [g.hiddenSize, g.vocabSize], type: 2 });
    expect(tensors.get('blk.0.ffn_down.weight')).toMatchObject({ ne: [g.intermediateSize, g.hiddenSize], type: 2 });
    expect(tensors.get('blk.1.attn_norm.weight')).toMatchObject({ ne: [g.hiddenSize], type: 0 });
    expect(tensors.has('output.weight')).toBe(false); // tied: llama.cpp reuses token_embd

    const close = (actual: number[], expected: number[]): void => {
      expect(actual).toHaveLength(expected.length);
      // fp16 scales: relative error under 2^-11.
      actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThanOrEqual(Math.abs(expected[i]) * 1e-3 + 1e-7));
    };
    const embedding = drawn.get('model.embed_tokens.weight') as Extract<DrawnWeight, { kind: 'q4' }>;
    close(dequantizeQ4_0Row(tensors.get('token_embd.weight')!.data, g.hiddenSize, 100), dequantizeNBitsRow(embedding, 100));
    const down = drawn.get('model.layers.1.mlp.down_proj.weight') as Extract<DrawnWeight, { kind: 'q4' }>;
    close(dequantizeQ4_0Row(tensors.get('blk.1.ffn_down.weight')!.data, g.intermediateSize, 5), dequantizeNBitsRow(down, 5));
    // Head 1, GGUF rows 2j and 2j+1 are HF rows j and j + headDim/2 (convert_hf_to_gguf.py's permute).
    const q = drawn.get('model.layers.0.self_attn.q_proj.weight') as Extract<DrawnWeight, { kind: 'q4' }>;
    const D = g.headDim;
    close(dequantizeQ4_0Row(tensors.get('blk.0.attn_q.weight')!.data, g.hiddenSize, D + 2 * 3), dequantizeNBitsRow(q, D + 3));
    close(dequantizeQ4_0Row(tensors.get('blk.0.attn_q.weight')!.data, g.hiddenSize, D + 2 * 3 + 1), dequantizeNBitsRow(q, D + D / 2 + 3));
    const norm = drawn.get('model.layers.1.input_layernorm.weight') as Extract<DrawnWeight, { kind: 'f32' }>;
    expect(new Float32Array(Uint8Array.from(tensors.get('blk.1.attn_norm.weight')!.data).buffer)).toEqual(norm.data);
  });

  it('loads in llama.cpp (node-llama-cpp, prebuilt CPU binary) with the preset geometry and generates greedily', async () => {
    const g = q4.geometry;
    const facts = await runLlamaCpp(q4.file, [294, 20, 21, 22, 23]);
    expect(facts.architecture).toBe('llama');
    expect(facts.arch).toMatchObject({
      block_count: PRESET_GEOMETRY.tiny.numLayers,
      embedding_length: PRESET_GEOMETRY.tiny.hiddenSize,
      feed_forward_length: PRESET_GEOMETRY.tiny.intermediateSize,
      attention: { head_count: PRESET_GEOMETRY.tiny.numHeads, head_count_kv: PRESET_GEOMETRY.tiny.numKvHeads },
    });
    expect(facts.vocab).toBe(g.vocabSize);
    expect(facts.bosText).toBe('<|begin_of_text|>');
    expect(facts.bos).toBe(294);
    expect(facts.runs[0]).toHaveLength(8);
    for (const token of facts.runs[0]) expect(token >= 0 && token < g.vocabSize).toBe(true);
    expect(facts.runs[1]).toEqual(facts.runs[0]);
  });

  it.each<SynthDtype>(['fp32', 'q4'])(
    'without the QK-norm (which llama arch lacks), llama.cpp generates the greedy tokens of the ONNX graph (%s)',
    async (dtype) => {
      const dir = path.join(root, `no-qk-norm-${dtype}`);
      await synthesizeModel({ preset: 'tiny', dtype, outDir: dir, qkNorm: false });
      const gguf = await synthesizeGguf({ preset: 'tiny', dtype, outFile: path.join(dir, 'model.gguf') });
      const prompt = [294, 20, 21, 22, 23, 40, 50, 60, 70, 80];
      const engine = await InferenceEngine.load({ modelDir: dir, intraOpThreads: 1 });
      let onnx: number[];
      try {
        const result = await engine.generate({
          messages: [],
          promptTokenIds: prompt,
          options: { maxNewTokens: 16, minNewTokens: 16, temperature: 0 },
        }).result;
        onnx = result.tokenIds;
      } finally {
        await engine.close();
      }
      const facts = await runLlamaCpp(gguf.file, prompt, 16);
      expect(onnx).toHaveLength(16);
      expect(facts.runs[0]).toEqual(onnx);
    },
  );

  it('writes an F32 GGUF for fp32 and the same file for the same seed', async () => {
    const a = await synthesizeGguf({ preset: 'tiny', dtype: 'fp32', outFile: path.join(root, 'a.gguf') });
    const b = await synthesizeGguf({ preset: 'tiny', dtype: 'fp32', outFile: path.join(root, 'b.gguf') });
    expect(a.weightType).toBe('F32');
    expect(readFileSync(a.file)).toEqual(readFileSync(b.file));
    const tensors = readGgufTensors(readFileSync(a.file));
    expect(tensors.get('blk.0.attn_v.weight')).toMatchObject({
      ne: [a.geometry.hiddenSize, a.geometry.numKvHeads * a.geometry.headDim],
      type: 0,
    });
  });

  it('rejects an unknown preset', async () => {
    await expect(synthesizeGguf({ preset: 'huge' as 'tiny', dtype: 'q4', outFile: path.join(root, 'x.gguf') })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
