import { mkdir, writeFile, open, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { InferenceError } from '../inference.errors';
import { SeededRandom } from '../seeded-random';
import { buildDecoderGraph } from './decoder-graph';
import {
  PRESET_GEOMETRY,
  SYNTH_DTYPES,
  SYNTH_PRESETS,
  parameterCount,
  type DecoderGeometry,
  type SynthDtype,
  type SynthPreset,
} from './model-presets';
import { LLAMA3_CHAT_TEMPLATE, buildSyntheticTokenizer } from './synthetic-tokenizer';

export interface SynthesizeModelOptions {
  preset: SynthPreset;
  dtype: SynthDtype;
  outDir: string;
  /** PRNG seed for the weights. Default 42. */
  seed?: number;
  /**
   * Put the weights in `onnx/model*.onnx_data` files beside the graph. Default: only when the weights
   * exceed 1.8 GB (protobuf's 2 GB limit), like the Hub exports.
   */
  externalData?: boolean;
  /** Largest external data chunk in bytes. Default 1.8 GB. */
  externalDataChunkBytes?: number;
  /** Overrides of the preset's dimensions (tests that need a slower or longer-context model). Default none. */
  geometry?: Partial<Omit<DecoderGeometry, 'vocabSize'>>;
  /** KV cache tensors in float16, as in fp16/q4f16 exports (tests). Default 'float32'. */
  kvCacheDtype?: 'float32' | 'float16';
  /** Declare the optional `num_logits_to_keep` input some exports have (tests). Default false. */
  numLogitsToKeep?: boolean;
  /** q4 only: MatMulNBits `accuracy_level`; 0 leaves it unset like many published exports (tests of graph tuning). Default 4. */
  matMulNBitsAccuracyLevel?: 0 | 4;
  /** Also output the final hidden state as `last_hidden_state` (tests of the graph compiler's fallback). Default false. */
  hiddenStateOutput?: boolean;
  /** Leave out the QK-norm, so llama.cpp's `llama` architecture computes the same function (GGUF tests). Default true. */
  qkNorm?: boolean;
  /** How the graph writes attention ('repeated': transformers' SDPA layout; tests of fused attention). Default 'grouped'. */
  attentionLayout?: 'grouped' | 'repeated';
  /** Write the chat template to `chat_template.jinja` instead of tokenizer_config.json. Default false. */
  separateChatTemplate?: boolean;
}

/** Marker in config.json: the weights are random, outputs mean nothing. */
export const SYNTHETIC_MARKER_KEY = 'slm_synthetic';
const DEFAULT_CHUNK = 1_800_000_000;

/**
 * Writes a complete model folder in the Hub layout with seeded random weights and the MobileLLM-R1
 * geometry of `preset`. The same options always give byte-identical files.
 */
export async function synthesizeModel(options: SynthesizeModelOptions): Promise<void> {
  if (!SYNTH_PRESETS.includes(options.preset)) {
    throw new InferenceError('INVALID_ARGUMENT', `unknown preset "${options.preset}"; expected one of ${SYNTH_PRESETS.join(', ')}`);
  }
  if (!SYNTH_DTYPES.includes(options.dtype)) {
    throw new InferenceError('INVALID_ARGUMENT', `unknown dtype "${options.dtype}"; expected one of ${SYNTH_DTYPES.join(', ')}`);
  }
  if (!options.outDir) throw new InferenceError('INVALID_ARGUMENT', 'outDir is required');
  const seed = options.seed ?? 42;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InferenceError('INVALID_ARGUMENT', `seed must be an unsigned 32-bit integer, got ${seed}`);
  }
  const tiny = options.preset === 'tiny';
  const baseGeometry = { ...PRESET_GEOMETRY[options.preset], ...options.geometry };
  const tokenizer = tiny
    ? buildSyntheticTokenizer(0, 0, baseGeometry.maxPositionEmbeddings)
    : buildSyntheticTokenizer(128000, baseGeometry.vocabSize, baseGeometry.maxPositionEmbeddings);
  const geometry = { ...baseGeometry, vocabSize: tokenizer.vocabSize };

  const graph = buildDecoderGraph(geometry, options.dtype, new SeededRandom(seed), {
    kvFloat16: options.kvCacheDtype === 'float16',
    numLogitsToKeep: options.numLogitsToKeep,
    matMulNBitsAccuracyLevel: options.matMulNBitsAccuracyLevel,
    hiddenStateOutput: options.hiddenStateOutput,
    qkNorm: options.qkNorm,
    attentionLayout: options.attentionLayout,
  });
  const external = options.externalData ?? graph.weightBytes > DEFAULT_CHUNK;
  const graphFile = options.dtype === 'q4' ? 'model_q4.onnx' : 'model.onnx';
  const serialized = graph.serialize({
    opsets: { '': 17, 'com.microsoft': 1 },
    externalData: external ? { fileName: `${graphFile}_data`, chunkBytes: options.externalDataChunkBytes ?? DEFAULT_CHUNK } : undefined,
  });

  const onnxDir = path.join(options.outDir, 'onnx');
  await mkdir(onnxDir, { recursive: true });
  await rm(path.join(onnxDir, graphFile), { force: true });
  await writeFile(path.join(onnxDir, graphFile), serialized.model);
  for (const data of serialized.externalData) {
    const handle = await open(path.join(onnxDir, data.fileName), 'w');
    try {
      for (const chunk of data.chunks) await handle.write(chunk);
    } finally {
      await handle.close();
    }
  }

  const config = {
    _name_or_path: `slm-router/synthetic-${options.preset}`,
    architectures: ['Llama4ForCausalLM'],
    model_type: 'llama4_text',
    hidden_size: geometry.hiddenSize,
    intermediate_size: geometry.intermediateSize,
    num_hidden_layers: geometry.numLayers,
    num_attention_heads: geometry.numHeads,
    num_key_value_heads: geometry.numKvHeads,
    head_dim: geometry.headDim,
    vocab_size: geometry.vocabSize,
    max_position_embeddings: geometry.maxPositionEmbeddings,
    rms_norm_eps: geometry.rmsNormEps,
    rope_theta: geometry.ropeTheta,
    hidden_act: 'silu',
    use_qk_norm: options.qkNorm ?? true,
    tie_word_embeddings: true,
    bos_token_id: tokenizer.bosTokenId,
    eos_token_id: tokenizer.eosTokenIds,
    pad_token_id: tokenizer.padTokenId,
    torch_dtype: 'float32',
    [SYNTHETIC_MARKER_KEY]: {
      preset: options.preset,
      dtype: options.dtype,
      seed,
      parameterCount: parameterCount(geometry),
      note: 'random weights written by `slm models synth`; outputs are meaningless',
    },
    'transformers.js_config': {
      dtype: options.dtype,
      kv_cache_dtype: { [options.dtype]: options.kvCacheDtype ?? 'float32' },
      ...(external ? { use_external_data_format: { [graphFile]: serialized.externalData.length } } : {}),
    },
  };
  const generationConfig = {
    bos_token_id: tokenizer.bosTokenId,
    eos_token_id: tokenizer.eosTokenIds,
    pad_token_id: tokenizer.padTokenId,
    do_sample: true,
    temperature: 0.6,
    top_p: 0.95,
  };
  const tokenizerConfig: Record<string, unknown> = { ...tokenizer.tokenizerConfig };
  if (options.separateChatTemplate) {
    delete tokenizerConfig.chat_template;
    await writeFile(path.join(options.outDir, 'chat_template.jinja'), LLAMA3_CHAT_TEMPLATE);
  }
  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  await writeFile(path.join(options.outDir, 'config.json'), json(config));
  await writeFile(path.join(options.outDir, 'generation_config.json'), json(generationConfig));
  await writeFile(path.join(options.outDir, 'tokenizer.json'), JSON.stringify(tokenizer.tokenizerJson));
  await writeFile(path.join(options.outDir, 'tokenizer_config.json'), json(tokenizerConfig));
  await writeFile(path.join(options.outDir, 'special_tokens_map.json'), json(tokenizer.specialTokensMap));
}
