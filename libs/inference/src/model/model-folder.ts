import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { InferenceError } from '../inference.errors';

/** onnx-community file suffix per dtype (transformers.js DEFAULT_DTYPE_SUFFIX_MAPPING). */
export const DTYPE_SUFFIX: Readonly<Record<string, string>> = {
  fp32: '',
  fp16: '_fp16',
  q4: '_q4',
  q4f16: '_q4f16',
  int8: '_int8',
  uint8: '_uint8',
  q8: '_quantized',
  bnb4: '_bnb4',
};
/** Preference when neither the caller nor config.json picks a dtype: fastest on CPU first. */
const DTYPE_PREFERENCE = ['q4', 'q8', 'int8', 'uint8', 'fp32', 'q4f16', 'fp16', 'bnb4'];

/** Decoder-only model types whose exports follow the graph contract in MODELS.md. */
const SUPPORTED_MODEL_TYPES = new Set([
  'llama4_text',
  'llama',
  'mobilellm',
  'qwen2',
  'qwen3',
  'mistral',
  'smollm3',
  'gemma3_text',
  'phi3',
  'olmo2',
  'granite',
]);

/** The geometry the generation loop needs, read from config.json. */
export interface ModelGeometry {
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  contextLength: number;
  hiddenSize: number;
  intermediateSize: number;
  numHeads: number;
}

/** Everything read from a model folder before a session is created. */
export interface ModelFolder {
  dir: string;
  modelId: string;
  modelType: string;
  config: Record<string, unknown>;
  generationConfig: Record<string, unknown>;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  specialTokensMap: Record<string, unknown>;
  /** From chat_template.jinja when present, else tokenizer_config.json. */
  chatTemplate: string | undefined;
  geometry: ModelGeometry;
  dtype: string;
  onnxPath: string;
  externalDataPaths: string[];
  eosTokenIds: number[];
  bosTokenId: number | undefined;
  /** Gemma-3 exports count positions from 1. */
  positionOffset: number;
  syntheticWeights: boolean;
  parameterCount: number;
}

/** Reads and checks a model folder in the Hub layout; every failure names the file and what was expected. */
export function loadModelFolder(dir: string, requestedDtype?: string): ModelFolder {
  const absolute = path.resolve(dir);
  if (!existsSync(absolute) || !statSync(absolute).isDirectory()) {
    throw loadError(`model folder ${absolute} does not exist (expected a folder with config.json, tokenizer.json and onnx/)`);
  }
  const config = readJson(absolute, 'config.json', true);
  const generationConfig = readJson(absolute, 'generation_config.json', false);
  const tokenizerJson = readJson(absolute, 'tokenizer.json', true);
  const tokenizerConfig = readJson(absolute, 'tokenizer_config.json', true);
  const specialTokensMap = readJson(absolute, 'special_tokens_map.json', false);
  if (typeof tokenizerJson.model !== 'object' || tokenizerJson.model === null) {
    throw loadError(`${path.join(absolute, 'tokenizer.json')} has no "model" object (expected a Hugging Face tokenizers file)`);
  }

  const modelType = config.model_type;
  if (typeof modelType !== 'string' || !SUPPORTED_MODEL_TYPES.has(modelType)) {
    throw loadError(
      `${path.join(absolute, 'config.json')}: unsupported model_type ${JSON.stringify(modelType)} ` +
        `(expected a decoder-only type: ${[...SUPPORTED_MODEL_TYPES].join(', ')})`,
    );
  }
  const geometry = readGeometry(config, path.join(absolute, 'config.json'));

  const chatTemplatePath = path.join(absolute, 'chat_template.jinja');
  const chatTemplate = existsSync(chatTemplatePath)
    ? readFileSync(chatTemplatePath, 'utf8')
    : typeof tokenizerConfig.chat_template === 'string'
      ? tokenizerConfig.chat_template
      : undefined;

  const jsConfig = (config['transformers.js_config'] ?? {}) as Record<string, unknown>;
  const dtype = chooseDtype(absolute, requestedDtype, jsConfig);
  const fileName = `model${DTYPE_SUFFIX[dtype]}.onnx`;
  const onnxPath = path.join(absolute, 'onnx', fileName);
  if (!existsSync(onnxPath)) {
    throw loadError(`${onnxPath} is missing (dtype ${dtype} expects onnx/${fileName})`);
  }
  const externalDataPaths = externalData(onnxPath, fileName, jsConfig.use_external_data_format);

  const eosTokenIds = uniqueIds([generationConfig.eos_token_id, config.eos_token_id]);
  if (eosTokenIds.length === 0) {
    throw loadError(`${path.join(absolute, 'generation_config.json')} and config.json declare no eos_token_id`);
  }
  const bos = generationConfig.bos_token_id ?? config.bos_token_id;
  const synthetic = config.slm_synthetic as { parameterCount?: number } | undefined;
  return {
    dir: absolute,
    modelId: typeof config._name_or_path === 'string' && config._name_or_path ? config._name_or_path : path.basename(absolute),
    modelType,
    config,
    generationConfig,
    tokenizerJson,
    tokenizerConfig,
    specialTokensMap,
    chatTemplate,
    geometry,
    dtype,
    onnxPath,
    externalDataPaths,
    eosTokenIds,
    bosTokenId: typeof bos === 'number' ? bos : undefined,
    positionOffset: ['gemma3_text', 'gemma3'].includes(modelType) ? 1 : 0,
    syntheticWeights: synthetic !== undefined,
    parameterCount: synthetic?.parameterCount ?? estimateParameters(geometry),
  };
}

function loadError(message: string): InferenceError {
  return new InferenceError('MODEL_LOAD_FAILED', message);
}

function readJson(dir: string, name: string, required: boolean): Record<string, unknown> {
  const file = path.join(dir, name);
  if (!existsSync(file)) {
    if (required) throw loadError(`${file} is missing (a model folder needs config.json, tokenizer.json, tokenizer_config.json)`);
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw loadError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw loadError(`${file} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

function readGeometry(config: Record<string, unknown>, file: string): ModelGeometry {
  const int = (key: string, fallback?: number): number => {
    const value = config[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw loadError(`${file}: "${key}" must be a positive integer, got ${JSON.stringify(config[key])}`);
    }
    return value;
  };
  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  return {
    numLayers: int('num_hidden_layers'),
    numHeads,
    numKvHeads: int('num_key_value_heads', numHeads),
    headDim: int('head_dim', Math.floor(hiddenSize / numHeads)),
    vocabSize: int('vocab_size'),
    contextLength: int('max_position_embeddings'),
    hiddenSize,
    intermediateSize: int('intermediate_size', 4 * hiddenSize),
  };
}

function chooseDtype(dir: string, requested: string | undefined, jsConfig: Record<string, unknown>): string {
  const known = Object.keys(DTYPE_SUFFIX);
  const normalise = (dtype: string): string => (dtype === 'quantized' ? 'q8' : dtype);
  if (requested !== undefined) {
    const dtype = normalise(requested);
    if (!known.includes(dtype)) {
      throw new InferenceError('INVALID_ARGUMENT', `unknown dtype "${requested}"; expected one of ${known.join(', ')}`);
    }
    return dtype;
  }
  const configured = typeof jsConfig.dtype === 'string' ? jsConfig.dtype : (jsConfig.dtype as Record<string, string> | undefined)?.model;
  if (typeof configured === 'string' && known.includes(normalise(configured))) {
    const dtype = normalise(configured);
    if (existsSync(path.join(dir, 'onnx', `model${DTYPE_SUFFIX[dtype]}.onnx`))) return dtype;
  }
  const present = DTYPE_PREFERENCE.find((dtype) => existsSync(path.join(dir, 'onnx', `model${DTYPE_SUFFIX[dtype]}.onnx`)));
  if (!present) {
    throw loadError(
      `${path.join(dir, 'onnx')} holds no decoder graph (expected one of ${known.map((d) => `model${DTYPE_SUFFIX[d]}.onnx`).join(', ')})`,
    );
  }
  return present;
}

/** External data chunks: declared in transformers.js_config, else the `<file>_data*` files present. */
function externalData(onnxPath: string, fileName: string, declared: unknown): string[] {
  const dir = path.dirname(onnxPath);
  const chunkName = (index: number): string => `${fileName}_data${index === 0 ? '' : `_${index}`}`;
  let count = 0;
  if (typeof declared === 'number') count = declared;
  else if (declared === true) count = 1;
  else if (typeof declared === 'object' && declared !== null) {
    const entry = (declared as Record<string, unknown>)[fileName];
    count = typeof entry === 'number' ? entry : entry === true ? 1 : 0;
  }
  if (count > 0) {
    const paths = Array.from({ length: count }, (_, i) => path.join(dir, chunkName(i)));
    const missing = paths.find((file) => !existsSync(file));
    if (missing) {
      throw loadError(`external data ${missing} is missing (config.json declares ${count} chunk(s) for onnx/${fileName})`);
    }
    return paths;
  }
  return readdirSync(dir)
    .filter((name) => name === chunkName(0) || name.startsWith(`${chunkName(0)}_`))
    .sort()
    .map((name) => path.join(dir, name));
}

function uniqueIds(values: unknown[]): number[] {
  const ids = new Set<number>();
  for (const value of values) {
    for (const id of Array.isArray(value) ? value : [value]) if (typeof id === 'number' && Number.isInteger(id)) ids.add(id);
  }
  return [...ids];
}

function estimateParameters(g: ModelGeometry): number {
  const attention = g.hiddenSize * g.headDim * (2 * g.numHeads + 2 * g.numKvHeads);
  return g.vocabSize * g.hiddenSize + g.numLayers * (attention + 3 * g.hiddenSize * g.intermediateSize + 2 * g.hiddenSize);
}
