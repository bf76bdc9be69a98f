import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { InferenceError } from '../inference.errors';
import { SeededRandom } from '../seeded-random';
import { buildDecoderGraph, type DrawnWeight } from './decoder-graph';
import { GgmlType, GgufWriter, Q4_0_BLOCK, toFloat16Bits } from './gguf-writer';
import { PRESET_GEOMETRY, SYNTH_DTYPES, SYNTH_PRESETS, type DecoderGeometry, type SynthDtype, type SynthPreset } from './model-presets';
import { LLAMA3_CHAT_TEMPLATE, buildSyntheticTokenizer, type SyntheticTokenizer } from './synthetic-tokenizer';

export interface SynthesizeGgufOptions {
  preset: SynthPreset;
  dtype: SynthDtype;
  /** The .gguf file to write (its folder is created). */
  outFile: string;
  /** PRNG seed of the weights; the same seed as `synthesizeModel` gives the same weights. Default 42. */
  seed?: number;
  /** Overrides of the preset's dimensions, as in `synthesizeModel`. Default none. */
  geometry?: Partial<Omit<DecoderGeometry, 'vocabSize'>>;
}

export interface SynthesizedGguf {
  file: string;
  bytes: number;
  geometry: DecoderGeometry;
  /** ggml type of the 2-D weights: 'Q4_0' for q4, 'F32' for fp32. */
  weightType: 'Q4_0' | 'F32';
}

/** File name `synthesizeGguf` uses inside a model folder (`slm models synth --format both`). */
export function ggufFileName(dtype: SynthDtype): string {
  return dtype === 'q4' ? 'model-q4_0.gguf' : 'model-f32.gguf';
}

/** ONNX initializer name → GGUF tensor name (llama.cpp's `llama` architecture). */
const LAYER_TENSORS: Record<string, string> = {
  'input_layernorm.weight': 'attn_norm.weight',
  'self_attn.q_proj.weight': 'attn_q.weight',
  'self_attn.k_proj.weight': 'attn_k.weight',
  'self_attn.v_proj.weight': 'attn_v.weight',
  'self_attn.o_proj.weight': 'attn_output.weight',
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  'mlp.gate_proj.weight': 'ffn_gate.weight',
  'mlp.up_proj.weight': 'ffn_up.weight',
  'mlp.down_proj.weight': 'ffn_down.weight',
};

/**
 * Writes the synthetic model of `preset`/`dtype` as a GGUF for llama.cpp: the same dimensions and the
 * same random weights as `synthesizeModel` with the same seed (the weights are drawn by the same graph
 * builder), 2-D weights as Q4_0 for q4 (the same 4-bit codes; scales rounded to fp16) or F32, norms F32,
 * the LM head tied to the embeddings, and the synthetic tokenizer.
 *
 * The architecture is llama.cpp's `llama` (RMSNorm, GQA, RoPE, SwiGLU). It has no QK-norm, which the
 * ONNX graph applies (weightless RMSNorm of q and k per head, after RoPE): a few hundred flops per head
 * per token, so the work matches to well under 1%, but the outputs differ. (`llama4`, llama.cpp's
 * MobileLLM-R1 architecture, has the QK-norm but treats the last layer as NoPE and requires experts.)
 */
export async function synthesizeGguf(options: SynthesizeGgufOptions): Promise<SynthesizedGguf> {
  if (!SYNTH_PRESETS.includes(options.preset)) {
    throw new InferenceError('INVALID_ARGUMENT', `unknown preset "${options.preset}"; expected one of ${SYNTH_PRESETS.join(', ')}`);
  }
  if (!SYNTH_DTYPES.includes(options.dtype)) {
    throw new InferenceError('INVALID_ARGUMENT', `unknown dtype "${options.dtype}"; expected one of ${SYNTH_DTYPES.join(', ')}`);
  }
  if (!options.outFile) throw new InferenceError('INVALID_ARGUMENT', 'outFile is required');
  const seed = options.seed ?? 42;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InferenceError('INVALID_ARGUMENT', `seed must be an unsigned 32-bit integer, got ${seed}`);
  }
  const baseGeometry = { ...PRESET_GEOMETRY[options.preset], ...options.geometry };
  const tokenizer =
    options.preset === 'tiny'
      ? buildSyntheticTokenizer(0, 0, baseGeometry.maxPositionEmbeddings)
      : buildSyntheticTokenizer(128000, baseGeometry.vocabSize, baseGeometry.maxPositionEmbeddings);
  const g: DecoderGeometry = { ...baseGeometry, vocabSize: tokenizer.vocabSize };

  const writer = new GgufWriter();
  const q4 = options.dtype === 'q4';
  writer
    .set('general.architecture', { type: 'string', value: 'llama' })
    .set('general.name', {
      type: 'string',
      value: `slm-router synthetic ${options.preset} (${options.dtype}, seed ${seed}, random weights)`,
    })
    .set('general.file_type', { type: 'u32', value: q4 ? 2 : 0 }) // LLAMA_FTYPE_MOSTLY_Q4_0 / ALL_F32
    .set('general.quantization_version', { type: 'u32', value: 2 })
    .set('llama.vocab_size', { type: 'u32', value: g.vocabSize })
    .set('llama.context_length', { type: 'u32', value: g.maxPositionEmbeddings })
    .set('llama.embedding_length', { type: 'u32', value: g.hiddenSize })
    .set('llama.block_count', { type: 'u32', value: g.numLayers })
    .set('llama.feed_forward_length', { type: 'u32', value: g.intermediateSize })
    .set('llama.attention.head_count', { type: 'u32', value: g.numHeads })
    .set('llama.attention.head_count_kv', { type: 'u32', value: g.numKvHeads })
    .set('llama.attention.key_length', { type: 'u32', value: g.headDim })
    .set('llama.attention.value_length', { type: 'u32', value: g.headDim })
    .set('llama.rope.dimension_count', { type: 'u32', value: g.headDim })
    .set('llama.rope.freq_base', { type: 'f32', value: g.ropeTheta })
    .set('llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: g.rmsNormEps });
  addTokenizer(writer, tokenizer);

  const tensors = new Map<string, DrawnWeight>();
  buildDecoderGraph(g, options.dtype, new SeededRandom(seed), { onWeight: (name, weight) => tensors.set(name, weight) });
  const take = (name: string): DrawnWeight => {
    const weight = tensors.get(name);
    if (!weight) throw new Error(`the decoder graph drew no ${name}`);
    return weight;
  };
  // llama.cpp reads tensors by name; the order only mirrors convert_hf_to_gguf.py's.
  addWeight(writer, 'token_embd.weight', take('model.embed_tokens.weight'));
  for (let i = 0; i < g.numLayers; i++) {
    for (const [onnxName, ggufName] of Object.entries(LAYER_TENSORS)) {
      const weight = take(`model.layers.${i}.${onnxName}`);
      const heads = ggufName === 'attn_q.weight' ? g.numHeads : ggufName === 'attn_k.weight' ? g.numKvHeads : 0;
      addWeight(writer, `blk.${i}.${ggufName}`, weight, heads ? ropeRowOrder(heads, g.headDim) : undefined);
    }
  }
  addWeight(writer, 'output_norm.weight', take('model.norm.weight'));

  await mkdir(path.dirname(path.resolve(options.outFile)), { recursive: true });
  const bytes = await writer.write(options.outFile);
  return { file: options.outFile, bytes, geometry: g, weightType: q4 ? 'Q4_0' : 'F32' };
}

/**
 * The row order convert_hf_to_gguf.py gives q_proj/k_proj (`permute`): the ONNX graph rotates halves
 * (dimension j pairs with j + D/2, HF's convention) while llama.cpp's `llama` RoPE rotates adjacent
 * pairs (2j, 2j + 1), so GGUF row 2j + h of each head is HF row h·D/2 + j. Q and K get the same order,
 * so their dot products, and the attention, are unchanged.
 */
function ropeRowOrder(heads: number, headDim: number): Int32Array {
  const order = new Int32Array(heads * headDim);
  const half = headDim / 2;
  for (let head = 0; head < heads; head++) {
    for (let j = 0; j < half; j++) {
      for (let h = 0; h < 2; h++) order[head * headDim + 2 * j + h] = head * headDim + h * half + j;
    }
  }
  return order;
}

/** Adds one weight: norms as F32 [n]; matrices as rows of inputs, one per output ([in, out] in ggml order). */
function addWeight(writer: GgufWriter, name: string, weight: DrawnWeight, rowOrder?: Int32Array): void {
  if (weight.kind === 'q4') {
    writer.addTensor(name, GgmlType.Q4_0, [weight.columns, weight.rows], q4ToQ4_0(weight, rowOrder));
    return;
  }
  if (weight.dims.length === 1) {
    writer.addTensor(name, GgmlType.F32, weight.dims, bytesOf(weight.data));
    return;
  }
  const isEmbedding = name === 'token_embd.weight';
  // The embedding is already [vocab][hidden]; linear layers are [in][out] in ONNX (MatMul) and transpose.
  const [rows, columns] = isEmbedding ? weight.dims : [weight.dims[1], weight.dims[0]];
  const out = new Float32Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    const source = rowOrder ? rowOrder[r] : r;
    for (let c = 0; c < columns; c++)
      out[r * columns + c] = isEmbedding ? weight.data[source * columns + c] : weight.data[c * rows + source];
  }
  writer.addTensor(name, GgmlType.F32, [columns, rows], bytesOf(out));
}

/**
 * MatMulNBits 4-bit rows → ggml Q4_0 blocks. Both store code − 8 times a per-32 scale; MatMulNBits packs
 * elements 2i/2i+1 into the low/high nibble of byte i, Q4_0 packs elements i/i+16 into byte i, and Q4_0's
 * scale is fp16.
 */
function q4ToQ4_0(weight: Extract<DrawnWeight, { kind: 'q4' }>, rowOrder?: Int32Array): Uint8Array {
  const blocksPerRow = weight.columns / Q4_0_BLOCK;
  const out = new Uint8Array(weight.rows * blocksPerRow * 18);
  const view = new DataView(out.buffer);
  const codes = new Uint8Array(Q4_0_BLOCK);
  for (let r = 0; r < weight.rows; r++) {
    const source = rowOrder ? rowOrder[r] : r;
    for (let b = 0; b < blocksPerRow; b++) {
      const block = source * blocksPerRow + b;
      for (let i = 0; i < Q4_0_BLOCK / 2; i++) {
        const byte = weight.packed[block * 16 + i];
        codes[2 * i] = byte & 0x0f;
        codes[2 * i + 1] = byte >> 4;
      }
      const at = (r * blocksPerRow + b) * 18;
      view.setUint16(at, toFloat16Bits(weight.scales[block]), true);
      for (let i = 0; i < 16; i++) out[at + 2 + i] = codes[i] | (codes[i + 16] << 4);
    }
  }
  return out;
}

function bytesOf(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

interface TokenizerJsonShape {
  added_tokens: Array<{ id: number; content: string; special: boolean }>;
  model: { vocab: Record<string, number>; merges: string[] };
}

/** llama.cpp token types (llama_token_type). */
const TOKEN_NORMAL = 1;
const TOKEN_CONTROL = 3;
const TOKEN_USER_DEFINED = 4;

/** The synthetic byte-level BPE as a GGUF `gpt2` tokenizer with Llama 3's pre-tokenizer. */
function addTokenizer(writer: GgufWriter, tokenizer: SyntheticTokenizer): void {
  const json = tokenizer.tokenizerJson as TokenizerJsonShape;
  const tokens: string[] = new Array<string>(tokenizer.vocabSize);
  const types = new Int32Array(tokenizer.vocabSize).fill(TOKEN_NORMAL);
  for (const [token, id] of Object.entries(json.model.vocab)) tokens[id] = token;
  for (const added of json.added_tokens) {
    tokens[added.id] = added.content;
    types[added.id] = added.special ? TOKEN_CONTROL : TOKEN_USER_DEFINED;
  }
  const eot = json.added_tokens.find((token) => token.content === '<|eot_id|>');
  writer
    .set('tokenizer.ggml.model', { type: 'string', value: 'gpt2' })
    .set('tokenizer.ggml.pre', { type: 'string', value: 'llama-bpe' })
    .set('tokenizer.ggml.tokens', { type: 'string[]', value: tokens })
    .set('tokenizer.ggml.token_type', { type: 'i32[]', value: types })
    .set('tokenizer.ggml.merges', { type: 'string[]', value: json.model.merges })
    .set('tokenizer.ggml.bos_token_id', { type: 'u32', value: tokenizer.bosTokenId })
    .set('tokenizer.ggml.eos_token_id', { type: 'u32', value: eot?.id ?? tokenizer.eosTokenIds[0] })
    .set('tokenizer.ggml.padding_token_id', { type: 'u32', value: tokenizer.padTokenId })
    .set('tokenizer.ggml.add_bos_token', { type: 'bool', value: true })
    .set('tokenizer.chat_template', { type: 'string', value: LLAMA3_CHAT_TEMPLATE });
}
