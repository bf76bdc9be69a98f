import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { placeGraphCopy } from './graph-cache';
import {
  ATTRIBUTE_INT,
  ATTRIBUTE_NAME,
  ATTRIBUTE_TYPE,
  ATTRIBUTE_TYPE_INT,
  GRAPH_NODE,
  MODEL_GRAPH,
  NODE_ATTRIBUTE,
  NODE_DOMAIN,
  NODE_OP_TYPE,
} from './onnx-fields';
import { LEN, VARINT, type WireField, fields, lenField, text, varint } from './protobuf-wire';

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
  const name = `.${path.basename(onnxPath, '.onnx')}.${hash}.tuned.onnx`;
  const placed = placeGraphCopy(onnxPath, name, () => rewriteModel(source).bytes, { source, cacheDir: options.cacheDir });
  return { ...placed, tunedNodes };
}

/** The model with every unset/0 MatMulNBits accuracy_level set to 4, and how many nodes that was. */
export function tuneMatMulNBitsBytes(model: Uint8Array): { bytes: Uint8Array; tunedNodes: number } {
  return rewriteModel(model);
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
  let level: WireField | undefined;
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
