import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** int8 compute in MatMulNBits: activations quantised per block, about twice as fast on AVX2 as level 0/unset. */
export const TUNED_ACCURACY_LEVEL = 4;

export interface TuneResult {
  /** The graph to load: the tuned copy, or the source when nothing needed tuning. */
  onnxPath: string;
  /** MatMulNBits nodes whose accuracy_level was unset or 0. */
  tunedNodes: number;
  /** The tuned copy already existed (same source hash). */
  cached: boolean;
}

/**
 * Many published q4 exports leave MatMulNBits's `accuracy_level` unset (0), which runs the slow path that
 * dequantises the weights to fp32. This rewrites it to 4 (int8 compute) and caches the tuned graph beside
 * the source, `onnx/.<name>.<sha256 of the source, 16 hex>.tuned.onnx` (same folder, so external data
 * files still resolve), or under `cacheDir` when the model folder is read-only (external data files are
 * hard-linked, else copied, there). The protobuf is edited at the wire level: every other byte of the model (initializers,
 * metadata, fields this library has no schema for) is kept as is.
 */
export function tuneMatMulNBits(onnxPath: string, options: { cacheDir?: string; source?: Uint8Array } = {}): TuneResult {
  // `source`: the file's bytes when the caller has read them already (a graph can be gigabytes).
  const source = options.source ?? readFileSync(onnxPath);
  // Count first: the rewritten copy (as large as the graph) is built only when it must be written.
  const tunedNodes = untunedMatMulNBits(source);
  if (tunedNodes === 0) return { onnxPath, tunedNodes: 0, cached: false };
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const base = path.basename(onnxPath, '.onnx');
  const name = `.${base}.${hash}.tuned.onnx`;
  const beside = path.join(path.dirname(onnxPath), name);
  if (existsSync(beside)) return { onnxPath: beside, tunedNodes, cached: true };
  const { bytes } = rewriteModel(source);
  try {
    writeAtomically(beside, bytes);
    return { onnxPath: beside, tunedNodes, cached: false };
  } catch {
    // Read-only model folder: use the cache folder, with links to the external data files.
    const dir = path.join(options.cacheDir ?? path.join(os.tmpdir(), 'slm-tuned-graphs'), `${base}.${hash}`);
    const cachedPath = path.join(dir, `${base}.onnx`);
    if (existsSync(cachedPath)) return { onnxPath: cachedPath, tunedNodes, cached: true };
    mkdirSync(dir, { recursive: true });
    // onnxruntime refuses external data outside the graph's folder, symbolic links resolved: hard links
    // (or copies across file systems) keep the data beside the tuned graph.
    for (const location of externalDataLocations(source)) {
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
    return { onnxPath: cachedPath, tunedNodes, cached: false };
  }
}

/** The op types of the main graph's nodes (subgraphs not included). */
export function graphOpTypes(model: Uint8Array): Set<string> {
  const types = new Set<string>();
  for (const field of fields(model)) {
    if (field.number !== MODEL_GRAPH || field.wireType !== LEN) continue;
    for (const node of fields(field.payload!)) {
      if (node.number !== GRAPH_NODE || node.wireType !== LEN) continue;
      for (const nodeField of fields(node.payload!)) if (nodeField.number === NODE_OP_TYPE) types.add(text(nodeField.payload));
    }
  }
  return types;
}

/** Counts MatMulNBits nodes whose accuracy_level is unset or 0 (a graph that would be tuned). */
export function untunedMatMulNBits(model: Uint8Array): number {
  return rewriteModel(model, false).tunedNodes;
}

function writeAtomically(file: string, bytes: Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, file);
}

// ---- protobuf wire format: just enough to walk ModelProto → GraphProto → NodeProto → AttributeProto ----

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const NODE_ATTRIBUTE = 5;
const NODE_OP_TYPE = 4;
const NODE_DOMAIN = 7;
const ATTRIBUTE_NAME = 1;
const ATTRIBUTE_INT = 3;
const ATTRIBUTE_TYPE = 20;
const ATTRIBUTE_TYPE_INT = 2;
const TENSOR_EXTERNAL_DATA = 13;
const STRING_ENTRY_KEY = 1;
const STRING_ENTRY_VALUE = 2;

interface Field {
  number: number;
  wireType: number;
  /** Where the whole field (key included) starts and ends. */
  start: number;
  end: number;
  /** LEN: the payload; VARINT: the value. */
  payload?: Uint8Array;
  value?: number;
}

function* fields(bytes: Uint8Array): Generator<Field> {
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const [key, afterKey] = readVarint(bytes, pos);
    pos = afterKey;
    const number = Math.floor(key / 8);
    const wireType = key % 8;
    switch (wireType) {
      case VARINT: {
        const [value, next] = readVarint(bytes, pos);
        pos = next;
        yield { number, wireType, start, end: pos, value };
        break;
      }
      case FIXED64:
        pos += 8;
        yield { number, wireType, start, end: pos };
        break;
      case LEN: {
        const [length, next] = readVarint(bytes, pos);
        const payload = bytes.subarray(next, next + length);
        pos = next + length;
        yield { number, wireType, start, end: pos, payload };
        break;
      }
      case FIXED32:
        pos += 4;
        yield { number, wireType, start, end: pos };
        break;
      default:
        throw new Error(`unsupported protobuf wire type ${wireType} at byte ${start}`);
    }
  }
  if (pos !== bytes.length) throw new Error('truncated protobuf message');
}

function readVarint(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (pos >= bytes.length) throw new Error('truncated varint');
    const byte = bytes[pos++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, pos];
    scale *= 128;
  }
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

function lenField(number: number, payload: Uint8Array): Uint8Array[] {
  return [varint(number * 8 + LEN), varint(payload.length), payload];
}

const text = (bytes: Uint8Array | undefined): string => (bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : '');

/** Rewrites the graph field of a ModelProto (or only counts, with `write` false). */
function rewriteModel(model: Uint8Array, write = true): { bytes: Uint8Array; tunedNodes: number } {
  let tunedNodes = 0;
  const parts: Uint8Array[] = [];
  for (const field of fields(model)) {
    if (field.number === MODEL_GRAPH && field.wireType === LEN) {
      const graph = rewriteGraph(field.payload!, write);
      tunedNodes += graph.tunedNodes;
      if (write) parts.push(...lenField(MODEL_GRAPH, graph.bytes));
    } else if (write) parts.push(model.subarray(field.start, field.end));
  }
  return { bytes: write ? Buffer.concat(parts) : model, tunedNodes };
}

function rewriteGraph(graph: Uint8Array, write: boolean): { bytes: Uint8Array; tunedNodes: number } {
  let tunedNodes = 0;
  const parts: Uint8Array[] = [];
  for (const field of fields(graph)) {
    const node = field.number === GRAPH_NODE && field.wireType === LEN ? tuneNode(field.payload!) : undefined;
    if (node) {
      tunedNodes++;
      if (write) parts.push(...lenField(GRAPH_NODE, node));
    } else if (write) parts.push(graph.subarray(field.start, field.end));
  }
  return { bytes: write ? Buffer.concat(parts) : graph, tunedNodes };
}

/** The node with accuracy_level 4 if it is a MatMulNBits whose level is unset or 0, else undefined. */
function tuneNode(node: Uint8Array): Uint8Array | undefined {
  let opType = '';
  let domain = '';
  let level: Field | undefined;
  let levelValue = 0;
  for (const field of fields(node)) {
    if (field.number === NODE_OP_TYPE) opType = text(field.payload);
    else if (field.number === NODE_DOMAIN) domain = text(field.payload);
    else if (field.number === NODE_ATTRIBUTE && field.wireType === LEN) {
      let name = '';
      let value = 0;
      for (const inner of fields(field.payload!)) {
        if (inner.number === ATTRIBUTE_NAME) name = text(inner.payload);
        else if (inner.number === ATTRIBUTE_INT && inner.wireType === VARINT) value = inner.value!;
      }
      if (name === 'accuracy_level') {
        level = field;
        levelValue = value;
      }
    }
  }
  if (opType !== 'MatMulNBits' || domain !== 'com.microsoft' || (level && levelValue !== 0)) return undefined;
  const attribute = Buffer.concat([
    ...lenField(ATTRIBUTE_NAME, Buffer.from('accuracy_level')),
    varint(ATTRIBUTE_INT * 8 + VARINT),
    varint(TUNED_ACCURACY_LEVEL),
    varint(ATTRIBUTE_TYPE * 8 + VARINT),
    varint(ATTRIBUTE_TYPE_INT),
  ]);
  // The new attribute takes the place of the old one, else follows the last attribute (field order kept).
  const parts: Uint8Array[] = [];
  const all = [...fields(node)];
  const lastAttribute = all.reduce((last, field, i) => (field.number === NODE_ATTRIBUTE ? i : last), -1);
  all.forEach((field, i) => {
    if (level && field.start === level.start) parts.push(...lenField(NODE_ATTRIBUTE, attribute));
    else parts.push(node.subarray(field.start, field.end));
    if (!level && i === lastAttribute) parts.push(...lenField(NODE_ATTRIBUTE, attribute));
  });
  if (!level && lastAttribute < 0) parts.push(...lenField(NODE_ATTRIBUTE, attribute));
  return Buffer.concat(parts);
}

/** The distinct `location` values of initializers stored as external data. */
function externalDataLocations(model: Uint8Array): string[] {
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
