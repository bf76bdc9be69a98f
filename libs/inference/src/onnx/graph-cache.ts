import { closeSync, copyFileSync, existsSync, linkSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DATA_LOCATION_EXTERNAL,
  GRAPH_INITIALIZER,
  MODEL_GRAPH,
  STRING_ENTRY_KEY,
  STRING_ENTRY_VALUE,
  TENSOR_DATA_LOCATION,
  TENSOR_EXTERNAL_DATA,
  TENSOR_RAW_DATA,
} from './onnx-fields';
import { type GraphEdit, spliceGraph } from './graph-view';
import { LEN, fields, lenField, text, varintField } from './protobuf-wire';

/** Where rewritten graphs go when the model folder is read-only. */
export const DEFAULT_GRAPH_CACHE_DIR = path.join(os.tmpdir(), 'slm-tuned-graphs');

/**
 * Puts a rewritten copy of the graph at `onnxPath` where onnxruntime can load it, once: beside the source
 * as `fileName` (same folder, so external data files still resolve), else, when the model folder is
 * read-only, under `cacheDir` in a folder of its own with the external data files hard-linked (or copied)
 * beside it. `build` runs only when no copy exists yet. `fileName` must carry the cache key.
 */
export function placeGraphCopy(
  onnxPath: string,
  fileName: string,
  build: () => Uint8Array,
  options: { source: Uint8Array; cacheDir?: string; externalDataMinBytes?: number },
): { onnxPath: string; cached: boolean } {
  const beside = path.join(path.dirname(onnxPath), fileName);
  if (existsSync(beside)) return { onnxPath: beside, cached: true };
  const dataName = `${fileName}.data`;
  const { model: bytes, data } =
    options.externalDataMinBytes !== undefined
      ? externalizeInitializers(build(), dataName, options.externalDataMinBytes)
      : { model: build(), data: [] };
  // The data file first: a graph that exists always has its data beside it.
  const write = (graphFile: string): void => {
    if (data.length > 0) writeAtomically(path.join(path.dirname(graphFile), dataName), data);
    writeAtomically(graphFile, bytes);
  };
  try {
    write(beside);
    return { onnxPath: beside, cached: false };
  } catch {
    // Read-only model folder: use the cache folder, with links to the external data files.
    const dir = path.join(options.cacheDir ?? DEFAULT_GRAPH_CACHE_DIR, fileName.replace(/^\./, '').replace(/\.onnx$/, ''));
    const cachedPath = path.join(dir, path.basename(onnxPath));
    if (existsSync(cachedPath)) return { onnxPath: cachedPath, cached: true };
    mkdirSync(dir, { recursive: true });
    // onnxruntime refuses external data outside the graph's folder, symbolic links resolved: hard links
    // (or copies across file systems) keep the data beside the rewritten graph.
    for (const location of externalDataLocations(options.source)) {
      const target = path.join(dir, location);
      if (existsSync(target)) continue;
      const from = path.resolve(path.dirname(onnxPath), location);
      try {
        linkSync(from, target);
      } catch {
        copyFileSync(from, target);
      }
    }
    write(cachedPath);
    return { onnxPath: cachedPath, cached: false };
  }
}

function writeAtomically(file: string, bytes: Uint8Array | readonly Uint8Array[]): void {
  const temporary = `${file}.${process.pid}.tmp`;
  if (bytes instanceof Uint8Array) writeFileSync(temporary, bytes);
  else {
    const fd = openSync(temporary, 'w');
    try {
      for (const chunk of bytes) writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
  }
  renameSync(temporary, file);
}

/** External data offsets are multiples of this, so onnxruntime can map each initializer (64 KiB: Windows' granularity too). */
const EXTERNAL_DATA_ALIGNMENT = 64 * 1024;

/**
 * The model with every initializer of at least `minBytes` raw bytes moved to the external data file
 * `fileName` (beside the graph), and that file's contents. onnxruntime maps external data into memory
 * instead of copying it into its heap, so tensors it reads in place (an fp32 embedding table: 525 MB on
 * the 360M preset) cost only the pages touched, and sessions over the same file share them.
 */
export function externalizeInitializers(model: Uint8Array, fileName: string, minBytes: number): { model: Uint8Array; data: Uint8Array[] } {
  const data: Uint8Array[] = [];
  let offset = 0;
  const moveLargeInitializers: GraphEdit = {
    appended: [],
    visit: ({ number, payload }) => {
      const raw = number === GRAPH_INITIALIZER ? rawDataOf(payload) : undefined;
      if (!raw || raw.length < minBytes) return undefined;
      const padding = (EXTERNAL_DATA_ALIGNMENT - (offset % EXTERNAL_DATA_ALIGNMENT)) % EXTERNAL_DATA_ALIGNMENT;
      if (padding > 0) data.push(new Uint8Array(padding));
      data.push(raw);
      offset += padding + raw.length;
      return lenField(GRAPH_INITIALIZER, withExternalData(payload, fileName, offset - raw.length, raw.length));
    },
  };
  return { model: spliceGraph(model, [moveLargeInitializers]), data };
}

function rawDataOf(tensor: Uint8Array): Uint8Array | undefined {
  for (const field of fields(tensor)) if (field.number === TENSOR_RAW_DATA && field.wireType === LEN) return field.payload;
  return undefined;
}

/** A TensorProto with its raw data replaced by a reference to `length` bytes at `offset` of `location`. */
function withExternalData(tensor: Uint8Array, location: string, offset: number, length: number): Uint8Array {
  const entry = (key: string, value: string): Uint8Array[] =>
    lenField(
      TENSOR_EXTERNAL_DATA,
      Buffer.concat([...lenField(STRING_ENTRY_KEY, Buffer.from(key)), ...lenField(STRING_ENTRY_VALUE, Buffer.from(value))]),
    );
  const kept = [...fields(tensor)].filter((field) => field.number !== TENSOR_RAW_DATA && field.number !== TENSOR_DATA_LOCATION);
  return Buffer.concat([
    ...kept.map((field) => tensor.subarray(field.start, field.end)),
    ...entry('location', location),
    ...entry('offset', String(offset)),
    ...entry('length', String(length)),
    ...varintField(TENSOR_DATA_LOCATION, DATA_LOCATION_EXTERNAL),
  ]);
}

/** The distinct `location` values of initializers stored as external data. */
export function externalDataLocations(model: Uint8Array): string[] {
  const locations = new Set<string>();
  for (const field of fields(model)) {
    if (field.number !== MODEL_GRAPH || field.wireType !== LEN) continue;
    for (const graphField of fields(field.payload!)) {
      if (graphField.number !== GRAPH_INITIALIZER || graphField.wireType !== LEN) continue;
      const location = externalDataOf(graphField.payload!).get('location');
      if (location !== undefined) locations.add(location);
    }
  }
  return [...locations];
}

/** A TensorProto's `external_data` entries (location, offset, length, …); empty when its data is inline. */
export function externalDataOf(tensor: Uint8Array): Map<string, string> {
  const entries = new Map<string, string>();
  for (const tensorField of fields(tensor)) {
    if (tensorField.number !== TENSOR_EXTERNAL_DATA || tensorField.wireType !== LEN) continue;
    let key = '';
    let value = '';
    for (const entry of fields(tensorField.payload!)) {
      if (entry.number === STRING_ENTRY_KEY) key = text(entry.payload);
      else if (entry.number === STRING_ENTRY_VALUE) value = text(entry.payload);
    }
    entries.set(key, value);
  }
  return entries;
}
