import { OnnxDataType } from '../onnx/onnx-proto';
import { OnnxGraphBuilder, attrInt, attrInts } from '../onnx/onnx-graph.builder';
import { SeededRandom } from '../seeded-random';
import type { DecoderGeometry, SynthDtype } from './model-presets';

/** MatMulNBits block size and the int8-compute accuracy level (about twice as fast on AVX2 as unset). */
const Q4_BLOCK = 32;
const Q4_ACCURACY_LEVEL = 4;

/**
 * Builds a causal decoder with the MobileLLM-R1 export contract (MODELS.md): RMSNorm, grouped-query
 * attention with RoPE and QK-norm, SwiGLU MLP, LM head tied to the embeddings. Standard ONNX ops
 * (opset 17) only, plus com.microsoft MatMulNBits for the q4 weights, so every runtime can run it.
 * Weights are drawn from `random` in a fixed order, so one seed always gives the same model.
 */
/** Contract variants that real exports use (to test that the runtime feeds what a graph declares). */
export interface GraphVariant {
  /** past/present tensors in float16 (fp16 and q4f16 exports). Default false. */
  kvFloat16?: boolean;
  /** Declare the `num_logits_to_keep` int64 scalar input (0 = all positions, k = last k). Default false. */
  numLogitsToKeep?: boolean;
  /** MatMulNBits `accuracy_level`; 0 leaves the attribute unset, as many published q4 exports do. Default 4. */
  matMulNBitsAccuracyLevel?: number;
  /** Also output the final hidden state as `last_hidden_state` (an LM head the graph compiler must leave alone). Default false. */
  hiddenStateOutput?: boolean;
  /**
   * QK-norm (a weightless RMSNorm of q and k per head, after RoPE), as in MobileLLM-R1. false leaves it out,
   * so llama.cpp's `llama` architecture computes the same function (the GGUF greedy-match test). Default true.
   */
  qkNorm?: boolean;
  /**
   * How attention is written. 'grouped' (default): queries reshaped to [batch, kv_heads, groups, seq, dim]
   * against the cache as it is, scaled after the product. 'repeated': the layout of transformers' SDPA
   * exports — keys and values repeated to every query head (Unsqueeze, Expand, Reshape), with the scale
   * split between queries, transposed keys (as SDPA exports split it) and the scores (tests of the graph
   * compiler's fused-attention pass).
   */
  attentionLayout?: 'grouped' | 'repeated';
  /** Receives every weight as it is drawn, under its ONNX name (the GGUF writer reuses them). Default none. */
  onWeight?: (name: string, weight: DrawnWeight) => void;
}

/**
 * A weight as drawn: fp32 `data` in the ONNX layout (`dims`: [in, out] for linear layers, [vocab, hidden]
 * for the embedding, [n] for norms), or 4-bit codes in the MatMulNBits layout ([out][in / 32][16] bytes,
 * low nibble first, zero point 8) with one fp32 scale per 32 inputs.
 */
export type DrawnWeight =
  | { kind: 'f32'; dims: number[]; data: Float32Array }
  | { kind: 'q4'; rows: number; columns: number; packed: Uint8Array; scales: Float32Array };

export function buildDecoderGraph(
  g: DecoderGeometry,
  dtype: SynthDtype,
  random: SeededRandom,
  variant: GraphVariant = {},
): OnnxGraphBuilder {
  const b = new OnnxGraphBuilder('synthetic_decoder');
  const F = OnnxDataType.FLOAT;
  const KV = variant.kvFloat16 ? OnnxDataType.FLOAT16 : F;
  const I64 = OnnxDataType.INT64;
  const kvLen = 'past_sequence_length + sequence_length';
  const inputIds = b.input('input_ids', I64, ['batch_size', 'sequence_length']);
  const attentionMask = b.input('attention_mask', I64, ['batch_size', kvLen]);
  const positionIds = b.input('position_ids', I64, ['batch_size', 'sequence_length']);
  for (let i = 0; i < g.numLayers; i++) {
    b.input(`past_key_values.${i}.key`, KV, ['batch_size', g.numKvHeads, 'past_sequence_length', g.headDim]);
    b.input(`past_key_values.${i}.value`, KV, ['batch_size', g.numKvHeads, 'past_sequence_length', g.headDim]);
  }
  const accuracyLevel = variant.matMulNBitsAccuracyLevel ?? Q4_ACCURACY_LEVEL;
  const keep = variant.numLogitsToKeep ? b.input('num_logits_to_keep', I64, []) : undefined;
  b.output('logits', F, ['batch_size', keep ? 'num_logits' : 'sequence_length', g.vocabSize]);
  for (let i = 0; i < g.numLayers; i++) {
    b.output(`present.${i}.key`, KV, ['batch_size', g.numKvHeads, kvLen, g.headDim]);
    b.output(`present.${i}.value`, KV, ['batch_size', g.numKvHeads, kvLen, g.headDim]);
  }

  const H = g.hiddenSize;
  const D = g.headDim;

  // Residual branches get a gain of 16 so that a random model does not keep repeating its input token.
  // Embeddings; with q4 the table is the dequantised 4-bit LM head, so input and output stay tied.
  const embedding = randomEmbedding(g, dtype, random);
  const onWeight = variant.onWeight ?? ((): void => undefined);
  onWeight(
    'model.embed_tokens.weight',
    embedding.q4
      ? { kind: 'q4', rows: g.vocabSize, columns: H, ...embedding.q4 }
      : { kind: 'f32', dims: [g.vocabSize, H], data: embedding.table },
  );
  b.initializer('model.embed_tokens.weight', F, [g.vocabSize, H], embedding.table);
  let x = b.op('Gather', ['model.embed_tokens.weight', inputIds], { axis: attrInt(0) });

  // Causal + padding mask as an additive bias [batch, 1, 1, seq, past + seq].
  const seqLen = b.op('Slice', [b.op('Shape', [inputIds]), b.int64([1]), b.int64([2])]);
  const totalLen = b.op('Slice', [b.op('Shape', [attentionMask]), b.int64([1]), b.int64([2])]);
  const pastLen = b.op('Sub', [totalLen, seqLen]);
  const totalScalar = b.op('Squeeze', [totalLen, b.int64([0])]);
  const pastScalar = b.op('Squeeze', [pastLen, b.int64([0])]);
  const keyPos = b.op('Range', [b.int64([0], []), totalScalar, b.int64([1], [])]);
  const queryPos = b.op('Range', [pastScalar, totalScalar, b.int64([1], [])]);
  const causal = b.op('LessOrEqual', [b.op('Unsqueeze', [keyPos, b.int64([0])]), b.op('Unsqueeze', [queryPos, b.int64([1])])]);
  const padding = b.op('Unsqueeze', [b.op('Cast', [attentionMask], { to: attrInt(OnnxDataType.BOOL) }), b.int64([1, 2, 3])]);
  const maskBias = b.op('Where', [b.op('And', [causal, padding]), b.float([0], []), b.float([-1e9], [])]);

  // RoPE tables [batch, 1, seq, head_dim] from position_ids (rotate-half convention).
  const invFreq = Array.from({ length: D / 2 }, (_, k) => 1 / Math.pow(g.ropeTheta, (2 * k) / D));
  const positions = b.op('Unsqueeze', [b.op('Cast', [positionIds], { to: attrInt(F) }), b.int64([2])]);
  const freqs = b.op('Mul', [positions, b.float(invFreq)]);
  const angles = b.op('Concat', [freqs, freqs], { axis: attrInt(-1) });
  const cos = b.op('Unsqueeze', [b.op('Cos', [angles]), b.int64([1])]);
  const sin = b.op('Unsqueeze', [b.op('Sin', [angles]), b.int64([1])]);
  const rope = (t: string): string => {
    const first = b.op('Slice', [t, b.int64([0]), b.int64([D / 2]), b.int64([3])]);
    const second = b.op('Slice', [t, b.int64([D / 2]), b.int64([D]), b.int64([3])]);
    const rotated = b.op('Concat', [b.op('Neg', [second]), first], { axis: attrInt(3) });
    return b.op('Add', [b.op('Mul', [t, cos]), b.op('Mul', [rotated, sin])]);
  };
  // As transformers' RMSNorm exports: x · (1 / √(mean(x²) + ε)), then weight · x. onnxruntime fuses this form
  // (when weighted) into SimplifiedLayerNormalization, as it would a real export's; the weightless QK-norm
  // stays as its five ops, as in a real export.
  const rmsNorm = (t: string, weight: string | undefined): string => {
    const meanSquare = b.op('ReduceMean', [b.op('Pow', [t, b.float([2], [])])], { axes: attrInts([-1]), keepdims: attrInt(1) });
    const inverseRms = b.op('Div', [b.float([1], []), b.op('Sqrt', [b.op('Add', [meanSquare, b.float([g.rmsNormEps], [])])])]);
    const normed = b.op('Mul', [t, inverseRms]);
    return weight ? b.op('Mul', [weight, normed]) : normed;
  };
  const normWeight = (name: string): string => {
    const data = random.fillUniform(new Float32Array(H), 0.1, 1);
    onWeight(name, { kind: 'f32', dims: [H], data });
    return b.initializer(name, F, [H], data);
  };
  const linear = (t: string, name: string, k: number, n: number, std: number): string =>
    dtype === 'q4' ? q4Linear(b, random, t, name, k, n, std, accuracyLevel, onWeight) : fp32Linear(b, random, t, name, k, n, std, onWeight);
  const qkNorm = (t: string): string => (variant.qkNorm === false ? t : rmsNorm(t, undefined));
  const heads = (t: string, count: number): string =>
    b.op('Transpose', [b.op('Reshape', [t, b.int64([0, 0, count, D])])], { perm: attrInts([0, 2, 1, 3]) });

  // Appends this step's keys/values to the cache; with float16 KV, attention reads the rounded values
  // so a cached decode and a full recompute see the same numbers.
  const cache = (pastName: string, current: string, presentName: string): string => {
    if (!variant.kvFloat16) return b.node('Concat', [pastName, current], { axis: attrInt(2) }, { outputs: [presentName] })[0];
    const past = b.op('Cast', [pastName], { to: attrInt(F) });
    const present = b.node(
      'Cast',
      [b.op('Concat', [past, current], { axis: attrInt(2) })],
      { to: attrInt(OnnxDataType.FLOAT16) },
      { outputs: [presentName] },
    )[0];
    return b.op('Cast', [present], { to: attrInt(F) });
  };

  for (let i = 0; i < g.numLayers; i++) {
    const p = `model.layers.${i}`;
    const h = rmsNorm(x, normWeight(`${p}.input_layernorm.weight`));
    const q = qkNorm(rope(heads(linear(h, `${p}.self_attn.q_proj`, H, g.numHeads * D, 1 / Math.sqrt(H)), g.numHeads)));
    const k = qkNorm(rope(heads(linear(h, `${p}.self_attn.k_proj`, H, g.numKvHeads * D, 1 / Math.sqrt(H)), g.numKvHeads)));
    const v = heads(linear(h, `${p}.self_attn.v_proj`, H, g.numKvHeads * D, 1 / Math.sqrt(H)), g.numKvHeads);
    const presentKey = cache(`past_key_values.${i}.key`, k, `present.${i}.key`);
    const presentValue = cache(`past_key_values.${i}.value`, v, `present.${i}.value`);
    const attention = variant.attentionLayout === 'repeated' ? repeatedAttention : groupedAttention;
    const merged = attention({ b, g, maskBias }, q, presentKey, presentValue);
    x = b.op('Add', [x, linear(merged, `${p}.self_attn.o_proj`, g.numHeads * D, H, 16 / Math.sqrt(g.numHeads * D))]);
    const h2 = rmsNorm(x, normWeight(`${p}.post_attention_layernorm.weight`));
    const gate = linear(h2, `${p}.mlp.gate_proj`, H, g.intermediateSize, 1 / Math.sqrt(H));
    const up = linear(h2, `${p}.mlp.up_proj`, H, g.intermediateSize, 1 / Math.sqrt(H));
    const act = b.op('Mul', [b.op('Mul', [gate, b.op('Sigmoid', [gate])]), up]);
    x = b.op('Add', [x, linear(act, `${p}.mlp.down_proj`, g.intermediateSize, H, 16 / Math.sqrt(g.intermediateSize))]);
  }
  let final = rmsNorm(x, normWeight('model.norm.weight'));
  if (variant.hiddenStateOutput) {
    b.output('last_hidden_state', F, ['batch_size', 'sequence_length', H]);
    b.node('Identity', [final], {}, { outputs: ['last_hidden_state'] });
  }
  if (keep) {
    // Only the last `num_logits_to_keep` positions reach the LM head (0 keeps all).
    const start = b.op('Where', [b.op('Equal', [keep, b.int64([0], [])]), b.int64([0], []), b.op('Neg', [keep])]);
    final = b.op('Slice', [final, b.op('Unsqueeze', [start, b.int64([0])]), b.int64([Number.MAX_SAFE_INTEGER]), b.int64([1])]);
  }
  if (embedding.q4) {
    b.initializer('lm_head.qweight', OnnxDataType.UINT8, [g.vocabSize, H / Q4_BLOCK, Q4_BLOCK / 2], embedding.q4.packed);
    b.initializer('lm_head.scales', F, [g.vocabSize * (H / Q4_BLOCK)], embedding.q4.scales);
    b.node('MatMulNBits', [final, 'lm_head.qweight', 'lm_head.scales'], q4Attributes(H, g.vocabSize, accuracyLevel), {
      outputs: ['logits'],
      domain: 'com.microsoft',
    });
  } else {
    // Gemm with transB reads the [vocab, hidden] embedding table as the LM head without a copy.
    const flat = b.op('Reshape', [final, b.int64([-1, H])]);
    const logits2d = b.op('Gemm', [flat, 'model.embed_tokens.weight'], { transB: attrInt(1) });
    const shape = b.op('Concat', [b.op('Slice', [b.op('Shape', [final]), b.int64([0]), b.int64([2])]), b.int64([g.vocabSize])], {
      axis: attrInt(0),
    });
    b.node('Reshape', [logits2d, shape], {}, { outputs: ['logits'] });
  }
  return b;
}

/** What the attention writers need: the builder, the geometry and the additive mask [batch, 1, 1, seq, past + seq]. */
interface AttentionInputs {
  b: OnnxGraphBuilder;
  g: DecoderGeometry;
  maskBias: string;
}

/** Grouped-query attention without copying K/V: queries as [batch, kv_heads, groups, seq, dim]. */
function groupedAttention({ b, g, maskBias }: AttentionInputs, q: string, presentKey: string, presentValue: string): string {
  const D = g.headDim;
  const grouped = b.op('Reshape', [q, b.int64([0, g.numKvHeads, g.numHeads / g.numKvHeads, -1, D])]);
  const keysT = b.op('Unsqueeze', [b.op('Transpose', [presentKey], { perm: attrInts([0, 1, 3, 2]) }), b.int64([2])]);
  const scores = b.op('Add', [b.op('Mul', [b.op('MatMul', [grouped, keysT]), b.float([1 / Math.sqrt(D)], [])]), maskBias]);
  const probs = b.op('Softmax', [scores], { axis: attrInt(-1) });
  const context = b.op('MatMul', [probs, b.op('Unsqueeze', [presentValue, b.int64([2])])]);
  return b.op('Reshape', [
    b.op('Transpose', [b.op('Reshape', [context, b.int64([0, g.numHeads, -1, D])])], { perm: attrInts([0, 2, 1, 3]) }),
    b.int64([0, 0, g.numHeads * D]),
  ]);
}

/** transformers' SDPA layout: K/V repeated to every query head (repeat_kv), the scale applied before the product. */
function repeatedAttention({ b, g, maskBias }: AttentionInputs, q: string, presentKey: string, presentValue: string): string {
  const D = g.headDim;
  const repeatKv = (t: string): string => {
    const expanded = b.op('Expand', [b.op('Unsqueeze', [t, b.int64([2])]), b.int64([1, 1, g.numHeads / g.numKvHeads, 1, 1])]);
    return b.op('Reshape', [expanded, b.int64([0, g.numHeads, -1, D])]);
  };
  // 1/√d split three ways (q, kᵀ, the scores), so every place an export may put it is exercised.
  const eighthRoot = b.float([Math.pow(D, -0.125)], []);
  const keysT = b.op('Mul', [b.op('Transpose', [repeatKv(presentKey)], { perm: attrInts([0, 1, 3, 2]) }), eighthRoot]);
  const mask = b.op('Squeeze', [maskBias, b.int64([1])]);
  const product = b.op('MatMul', [b.op('Mul', [eighthRoot, q]), keysT]);
  const scores = b.op('Add', [b.op('Div', [product, b.float([Math.pow(D, 0.25)], [])]), mask]);
  const context = b.op('MatMul', [b.op('Softmax', [scores], { axis: attrInt(-1) }), repeatKv(presentValue)]);
  return b.op('Reshape', [b.op('Transpose', [context], { perm: attrInts([0, 2, 1, 3]) }), b.int64([0, 0, g.numHeads * D])]);
}

type WeightSink = NonNullable<GraphVariant['onWeight']>;

function fp32Linear(
  b: OnnxGraphBuilder,
  random: SeededRandom,
  x: string,
  name: string,
  k: number,
  n: number,
  std: number,
  onWeight: WeightSink,
): string {
  const data = random.fillUniform(new Float32Array(k * n), std);
  onWeight(`${name}.weight`, { kind: 'f32', dims: [k, n], data });
  const weight = b.initializer(`${name}.weight`, OnnxDataType.FLOAT, [k, n], data);
  return b.op('MatMul', [x, weight]);
}

interface Q4Weight {
  packed: Uint8Array;
  scales: Float32Array;
}

/** Random 4-bit codes (two per byte, low nibble first) with per-block scales; zero point 8 (the default). */
function randomQ4(random: SeededRandom, n: number, k: number, std: number): Q4Weight {
  if (k % Q4_BLOCK !== 0) throw new Error(`q4 needs dimensions that are multiples of ${Q4_BLOCK}, got ${k}`);
  const packed = random.fillBytes(new Uint8Array((n * k) / 2));
  // Uniform codes in [-8, 7] have a standard deviation of about 4.6 steps.
  const scales = random.fillUniform(new Float32Array((n * k) / Q4_BLOCK), (std / 4.6) * 0.1, std / 4.6);
  return { packed, scales };
}

function q4Attributes(k: number, n: number, accuracyLevel: number) {
  return {
    K: attrInt(k),
    N: attrInt(n),
    bits: attrInt(4),
    block_size: attrInt(Q4_BLOCK),
    ...(accuracyLevel !== 0 ? { accuracy_level: attrInt(accuracyLevel) } : {}),
  };
}

function q4Linear(
  b: OnnxGraphBuilder,
  random: SeededRandom,
  x: string,
  name: string,
  k: number,
  n: number,
  std: number,
  accuracyLevel: number,
  onWeight: WeightSink,
): string {
  const weight = randomQ4(random, n, k, std);
  onWeight(`${name}.weight`, { kind: 'q4', rows: n, columns: k, ...weight });
  b.initializer(`${name}.qweight`, OnnxDataType.UINT8, [n, k / Q4_BLOCK, Q4_BLOCK / 2], weight.packed);
  b.initializer(`${name}.scales`, OnnxDataType.FLOAT, [(n * k) / Q4_BLOCK], weight.scales);
  return b.node('MatMulNBits', [x, `${name}.qweight`, `${name}.scales`], q4Attributes(k, n, accuracyLevel), { domain: 'com.microsoft' })[0];
}

function randomEmbedding(g: DecoderGeometry, dtype: SynthDtype, random: SeededRandom): { table: Float32Array; q4?: Q4Weight } {
  const size = g.vocabSize * g.hiddenSize;
  if (dtype === 'fp32') return { table: random.fillUniform(new Float32Array(size), 1) };
  const q4 = randomQ4(random, g.vocabSize, g.hiddenSize, 1);
  const table = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const byte = q4.packed[i >> 1];
    const code = (i & 1) === 0 ? byte & 0x0f : byte >> 4;
    table[i] = (code - 8) * q4.scales[Math.floor(i / Q4_BLOCK)];
  }
  return { table, q4 };
}
