import { HubError, HubErrorCode } from './hub.errors';

/** One entry of `GET /api/models/{repo}/tree/{revision}?recursive=true`. */
export interface HubTreeEntry {
  type: 'file' | 'directory';
  path: string;
  /** Bytes of the file (for LFS files, of the real file, as in lfs.size). */
  size: number;
  /** Git object id: the blob sha1 of the file, or of the LFS pointer for LFS files. */
  oid: string;
  /** Present for files stored in LFS: `oid` is the sha256 of the content. */
  lfs?: { oid: string; size: number; pointerSize?: number };
}

/** Files a worker cannot do without besides the weights. */
const REQUIRED_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];
/** Taken when the repo has them (sampling defaults, special tokens, a separate chat template). */
const OPTIONAL_FILES = ['generation_config.json', 'special_tokens_map.json', 'chat_template.jinja'];

/** onnx-community file suffix → dtype name (`onnx/model<suffix>.onnx`). */
const DTYPE_OF_SUFFIX: Readonly<Record<string, string>> = {
  '': 'fp32',
  _fp16: 'fp16',
  _q4: 'q4',
  _q4f16: 'q4f16',
  _int8: 'int8',
  _uint8: 'uint8',
  _quantized: 'q8',
  _bnb4: 'bnb4',
};

/** The dtype of an ONNX file path like `onnx/model_q4.onnx`, or undefined for other files. */
export function dtypeOfOnnxPath(path: string): string | undefined {
  const match = /^onnx\/model(_[a-z0-9]+)?\.onnx$/.exec(path);
  if (!match) return undefined;
  return DTYPE_OF_SUFFIX[match[1] ?? ''];
}

/** `onnx/model_<dtype>.onnx` (`onnx/model.onnx` for fp32, `model_quantized` for q8). */
export function onnxPathOfDtype(dtype: string): string | undefined {
  const suffix = Object.entries(DTYPE_OF_SUFFIX).find(([, name]) => name === dtype)?.[0];
  return suffix === undefined ? undefined : `onnx/model${suffix}.onnx`;
}

/** The dtypes a repo listing offers. */
export function dtypesInListing(entries: readonly HubTreeEntry[]): string[] {
  return entries.flatMap((entry) => dtypeOfOnnxPath(entry.path) ?? []);
}

/**
 * Picks what a worker needs from a repo listing: config, generation config, tokenizer files, the chat
 * template when present, the external data of `onnx/model_<dtype>.onnx` (`.onnx_data`, `.onnx_data_1`, …)
 * and then the graph itself.
 * @throws HubError INVALID_ARGUMENT when the dtype is unknown or absent (the message lists those present),
 *   NOT_FOUND when a required file is missing.
 */
export function selectWorkerFiles(entries: readonly HubTreeEntry[], dtype: string): HubTreeEntry[] {
  const files = entries.filter((entry) => entry.type === 'file');
  const byPath = new Map(files.map((entry) => [entry.path, entry]));
  const onnxPath = onnxPathOfDtype(dtype);
  const offered = dtypesInListing(files);
  if (!onnxPath || !byPath.has(onnxPath)) {
    throw new HubError(
      HubErrorCode.INVALID_ARGUMENT,
      `dtype "${dtype}" is not in this repo (${onnxPath ?? 'unknown dtype'}); available: ${offered.join(', ') || 'no onnx/model*.onnx files'}`,
    );
  }
  const missing = REQUIRED_FILES.filter((path) => !byPath.has(path));
  if (missing.length > 0) {
    throw new HubError(HubErrorCode.NOT_FOUND, `the repo lacks files a worker needs: ${missing.join(', ')}`);
  }
  const externalData = new RegExp(`^${escapeRegExp(onnxPath)}_data(_\\d+)?$`);
  const wanted = [
    ...REQUIRED_FILES,
    ...OPTIONAL_FILES.filter((path) => byPath.has(path)),
    // The graph last: once it is on disk, its external data is complete (a worker or an init
    // container waiting for the model can watch for it).
    ...files
      .filter((entry) => externalData.test(entry.path))
      .map((entry) => entry.path)
      .sort(naturalOrder),
    onnxPath,
  ];
  return wanted.map((path) => byPath.get(path) as HubTreeEntry);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
