import { copyFileSync, existsSync, linkSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GRAPH_INITIALIZER, MODEL_GRAPH, STRING_ENTRY_KEY, STRING_ENTRY_VALUE, TENSOR_EXTERNAL_DATA } from './onnx-fields';
import { LEN, fields, text } from './protobuf-wire';

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
  options: { source: Uint8Array; cacheDir?: string },
): { onnxPath: string; cached: boolean } {
  const beside = path.join(path.dirname(onnxPath), fileName);
  if (existsSync(beside)) return { onnxPath: beside, cached: true };
  const bytes = build();
  try {
    writeAtomically(beside, bytes);
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
    writeAtomically(cachedPath, bytes);
    return { onnxPath: cachedPath, cached: false };
  }
}

function writeAtomically(file: string, bytes: Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, file);
}

/** The distinct `location` values of initializers stored as external data. */
export function externalDataLocations(model: Uint8Array): string[] {
  const locations = new Set<string>();
  for (const field of fields(model)) {
    if (field.number !== MODEL_GRAPH || field.wireType !== LEN) continue;
    for (const graphField of fields(field.payload!)) {
      if (graphField.number !== GRAPH_INITIALIZER || graphField.wireType !== LEN) continue;
      for (const tensorField of fields(graphField.payload!)) {
        if (tensorField.number !== TENSOR_EXTERNAL_DATA || tensorField.wireType !== LEN) continue;
        let key = '';
        let value = '';
        for (const entry of fields(tensorField.payload!)) {
          if (entry.number === STRING_ENTRY_KEY) key = text(entry.payload);
          else if (entry.number === STRING_ENTRY_VALUE) value = text(entry.payload);
        }
        if (key === 'location') locations.add(value);
      }
    }
  }
  return [...locations];
}
