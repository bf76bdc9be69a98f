import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { placeGraphCopy } from './graph-cache';
import { tuneMatMulNBitsBytes, untunedMatMulNBits } from './matmul-nbits-tuning';
import { type AttentionGeometry, type FusedAttentionPlan, fusedAttentionEdit, planFusedAttention } from './fused-attention';
import { type GraphEdit, type GraphNode, type GraphView, nameOf, readGraph, renameInput, spliceGraph } from './graph-view';
import { type Int8ProductsPlan, type Int8Weights, int8ProductsEdit, planInt8Products } from './int8-products';
import { GRAPH_INITIALIZER, GRAPH_NODE, GRAPH_OUTPUT, GRAPH_VALUE_INFO, VALUE_INFO_NAME } from './onnx-fields';
import { OnnxDataType, onnxMessageType } from './onnx-proto';
import { type WireField, lenField } from './protobuf-wire';

/**
 * Bumped whenever a pass changes what it writes, so graphs compiled by an older version are not reused.
 * Part of the cache key with the onnxruntime version (a new runtime may want other rewrites).
 */
export const GRAPH_COMPILER_VERSION = 6;
/** Bytes hashed at each end of the source for the cache key (with its size and mtime). */
const KEY_SAMPLE_BYTES = 1 << 20;
/** Nodes downstream of the final hidden state at most: an LM head is a handful of ops. */
const MAX_HEAD_NODES = 64;
/** Initializers this large go to the compiled graph's external data file (mapped, shared between sessions). */
const EXTERNAL_DATA_MIN_BYTES = 1 << 20;
/** Prefix of the names the compiler adds to a graph. */
const ADDED = 'slm_compiler/';

export interface GraphCompileOptions {
  /** Rewrite MatMulNBits `accuracy_level` unset/0 → 4 (see matmul-nbits-tuning.ts). Default true. */
  tuneMatMulNBits?: boolean;
  /** Compute logits for the last position only (prefill returns [batch, 1, vocab]). Default true. */
  lastPositionLogits?: boolean;
  /** Where compiled graphs go when the model folder is read-only. Default `<os tmpdir>/slm-tuned-graphs`. */
  cacheDir?: string;
  /** The file's bytes when the caller has read them already (a graph can be gigabytes). */
  source?: Uint8Array;
  /**
   * Rewrite each layer's attention to read the engine's KV buffers and return only the step's keys and
   * values (fused-attention.ts), given the model's heads. Default: not applied.
   */
  fusedAttention?: AttentionGeometry;
  /**
   * Build the int8 graph: the 4-bit matrix products (the LM head excepted) become int8 ones, several times
   * faster on many rows (prompts, batches) and slower on one (int8-products.ts). Default false.
   */
  int8?: boolean;
  /** The int8 graph's weight range (int8-products.ts `Int8Weights`). Default `full`. */
  int8Weights?: Int8Weights;
  /**
   * Initializers of at least this many bytes go to an external data file beside the compiled graph
   * (`<graph>.data`), which onnxruntime maps instead of copying (graph-cache.ts). Default 1 MiB.
   */
  externalDataMinBytes?: number;
}

export interface CompiledGraph {
  /** The graph to load: the compiled copy, or the source when no pass changed anything. */
  onnxPath: string;
  /** MatMulNBits nodes whose accuracy_level was rewritten to 4. */
  tunedNodes: number;
  /**
   * Prefill computes the last position's logits only: the LM head was moved behind a last-position slice,
   * or the export declares `num_logits_to_keep` (the engine feeds 1).
   */
  lastPositionLogits: boolean;
  /** Why the last-position pass left the LM head as the export has it, when it was asked for and did not apply. */
  fallbackReason?: string;
  /** Attention reads the engine's KV buffers and returns the step's keys and values (the shared-buffer KV cache). */
  fusedAttention: boolean;
  /** Why the fused-attention pass left attention as the export has it, when it was asked for and did not apply. */
  fusedAttentionFallbackReason?: string;
  /** 4-bit matrix products that became int8 ones (the int8 graph). */
  int8Products: number;
  /** Why the int8 pass left the 4-bit products as they are, when it was asked for and did not apply. */
  int8FallbackReason?: string;
  /** The compiled copy already existed (same cache key). */
  cached: boolean;
}

/**
 * The load-time graph compiler: from the export's graph (same initializers, byte for byte; MatMulNBits
 * weights untouched) it builds the graph the engine runs, and caches it beside the source (or under
 * `cacheDir` when the model folder is read-only) as `onnx/.<name>.<key>.compiled.onnx`. The key hashes
 * the source's size, mtime and first and last MiB (hashing a multi-GB file costs seconds at every load),
 * the passes, this compiler's version and the onnxruntime version.
 *
 * Passes:
 * - MatMulNBits tuning: accuracy_level unset/0 → 4.
 * - Fused attention (when asked, with the model's heads): attention over the engine's KV buffers, the graph
 *   returning only each step's keys and values (fused-attention.ts).
 * - Last-position logits: exports compute the LM head for every prompt position, although generation
 *   reads only the last (128 × 128,256 × 1,024 multiply-adds a 128-token prompt on the 360M model, a third
 *   of its prefill). The final hidden state is sliced to its last position before the head, so prefill
 *   returns [batch, 1, vocab]. The engine left-pads batched prompts, so the last column is every row's last
 *   real token. Only a head the compiler recognises is rewritten (a position-wise chain of MatMul /
 *   MatMulNBits / Gemm with constant weights, reshapes, casts, element-wise ops and shape arithmetic, whose
 *   only graph output is `logits`); any other graph keeps its head, with `fallbackReason` saying why.
 */
export function compileDecoderGraph(onnxPath: string, options: GraphCompileOptions = {}): CompiledGraph {
  const source = options.source ?? readFileSync(onnxPath);
  const tune = options.tuneMatMulNBits ?? true;
  const tunedNodes = tune ? untunedMatMulNBits(source) : 0;
  let lastPositionLogits = false;
  let fallbackReason: string | undefined;
  let plan: LastPositionPlan | undefined;
  if (options.lastPositionLogits ?? true) {
    const analysis = planLastPositionLogits(source);
    if (analysis.kind === 'plan') {
      plan = analysis.plan;
      lastPositionLogits = true;
    } else if (analysis.kind === 'keepsLogits') {
      lastPositionLogits = true;
    } else {
      fallbackReason = analysis.reason;
    }
  }
  let fused: FusedAttentionPlan | undefined;
  let fusedAttentionFallbackReason: string | undefined;
  if (options.fusedAttention) {
    const analysis = planFusedAttention(source, options.fusedAttention);
    if (analysis.kind === 'plan') fused = analysis.plan;
    else fusedAttentionFallbackReason = analysis.reason;
  }
  let int8: Int8ProductsPlan | undefined;
  let int8FallbackReason: string | undefined;
  if (options.int8) {
    const analysis = planInt8Products(readGraph(source), onnxPath, source.length, options.int8Weights);
    if (analysis.kind === 'plan') int8 = analysis.plan;
    else int8FallbackReason = analysis.reason;
  }
  const base = {
    tunedNodes,
    lastPositionLogits,
    fallbackReason,
    fusedAttention: !!fused,
    fusedAttentionFallbackReason,
    int8Products: int8?.products.length ?? 0,
    int8FallbackReason,
    cached: false,
  };
  if (tunedNodes === 0 && !plan && !fused && !int8) return { ...base, onnxPath };
  const passes = [
    tunedNodes > 0 ? 'tune' : '',
    fused ? 'fused' : '',
    plan ? 'last' : '',
    int8 ? (int8.weightLimit === 127 ? 'int8' : 'int8r') : '',
  ]
    .filter(Boolean)
    .join('+');
  const key = cacheKey(onnxPath, source, passes);
  const fileName = `.${path.basename(onnxPath, '.onnx')}.${key}.compiled.onnx`;
  const build = (): Uint8Array => {
    const tuned = tunedNodes > 0 ? tuneMatMulNBitsBytes(source).bytes : source;
    // The plans' node indices hold for the tuned bytes too (tuning rewrites attributes in place), and both
    // passes index the source's nodes, so they go in one splice: one more copy of the graph in memory, not two.
    const edits = [fused && fusedAttentionEdit(fused), plan && lastPositionEdit(plan), int8 && int8ProductsEdit(int8)].filter(
      (edit) => !!edit,
    );
    return edits.length > 0 ? spliceGraph(tuned, edits) : tuned;
  };
  const placed = placeGraphCopy(onnxPath, fileName, build, {
    source,
    cacheDir: options.cacheDir,
    externalDataMinBytes: options.externalDataMinBytes ?? EXTERNAL_DATA_MIN_BYTES,
  });
  return { ...base, ...placed };
}

/** The onnxruntime version this process runs (part of the cache key). */
export function onnxruntimeVersion(): string {
  return ort.env.versions?.common ?? 'unknown';
}

function cacheKey(onnxPath: string, source: Uint8Array, passes: string): string {
  const stat = statSync(onnxPath);
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify({ size: source.length, mtimeMs: stat.mtimeMs, passes, compiler: GRAPH_COMPILER_VERSION, ort: onnxruntimeVersion() }),
  );
  hash.update(source.subarray(0, KEY_SAMPLE_BYTES));
  hash.update(source.subarray(Math.max(0, source.length - KEY_SAMPLE_BYTES)));
  return hash.digest('hex').slice(0, 16);
}

// ---- pass: last-position logits ----

/** LM head matrix products: the hidden state times a constant weight. */
const HEAD_PRODUCTS: Readonly<Record<string, string>> = { MatMul: '', Gemm: '', MatMulNBits: 'com.microsoft' };
/** Ops that act on each position alone, allowed on the data path between the hidden state and logits. */
const POSITIONWISE_OPS = new Set(['MatMul', 'Gemm', 'MatMulNBits', 'Reshape', 'Cast', 'Add', 'Sub', 'Mul', 'Div', 'Tanh', 'Identity']);
/** Shape arithmetic (on the output of Shape) allowed in the head, e.g. to restore [batch, seq, vocab]. */
const SHAPE_OPS = new Set(['Shape', 'Slice', 'Concat', 'Gather', 'Unsqueeze', 'Squeeze', 'Cast']);

export interface LastPositionPlan {
  /** The final hidden state [batch, seq, hidden] that the head reads. */
  hidden: string;
  /** Its last position [batch, 1, hidden] (a new tensor). */
  lastHidden: string;
  /** Nodes that read `hidden` (their input is renamed). */
  readers: Set<number>;
  /** The slice goes right before this node (graph order stays topological). */
  insertBefore: number;
  /** value_info entries of the head's tensors (their sequence dimension is now 1). */
  staleValueInfo: Set<string>;
}

export type LastPositionAnalysis = { kind: 'plan'; plan: LastPositionPlan } | { kind: 'keepsLogits' } | { kind: 'unknown'; reason: string };

/** Finds the LM head and checks that slicing its input to the last position changes nothing else. */
export function planLastPositionLogits(model: Uint8Array): LastPositionAnalysis {
  let view: GraphView;
  try {
    view = readGraph(model);
  } catch (error) {
    return { kind: 'unknown', reason: `the graph could not be read (${(error as Error).message})` };
  }
  if (view.inputs.includes('num_logits_to_keep')) return { kind: 'keepsLogits' };
  const unknown = (reason: string): LastPositionAnalysis => ({ kind: 'unknown', reason });
  if (!view.outputs.includes('logits')) return unknown('the graph has no "logits" output');
  if (view.defaultOpset < 10) return unknown(`the graph imports ONNX opset ${view.defaultOpset} (Slice with inputs needs 10)`);
  const logitsRank = outputRank(view.outputFields.get('logits')!);
  if (logitsRank !== 3) return unknown(`"logits" is declared with rank ${logitsRank ?? 'unknown'} (expected [batch, sequence, vocab])`);

  // Walk back from logits through position-wise ops to the product with a constant weight: the LM head.
  let tensor = 'logits';
  let reshapesAfterHead = 0;
  let head: GraphNode | undefined;
  for (let guard = 0; guard < MAX_HEAD_NODES && !head; guard++) {
    const node = view.producer.get(tensor);
    if (!node) return unknown(`"${tensor}" is not computed by a node`);
    if (HEAD_PRODUCTS[node.opType] === node.domain && node.inputs.slice(1).every((input) => input === '' || view.constants.has(input))) {
      head = node;
      break;
    }
    if (!POSITIONWISE_OPS.has(node.opType) || node.domain !== '')
      return unknown(`logits come from a ${node.domain ? `${node.domain}.` : ''}${node.opType} node, which the compiler does not know`);
    if (node.opType === 'Reshape') {
      reshapesAfterHead++;
      tensor = node.inputs[0];
      continue;
    }
    const dynamic = node.inputs.filter((input) => input !== '' && !view.constants.has(input));
    if (dynamic.length !== 1) return unknown(`the ${node.opType} node before logits has ${dynamic.length} non-constant inputs`);
    tensor = dynamic[0];
  }
  if (!head) return unknown('no MatMul, Gemm or MatMulNBits with a constant weight was found before logits');
  if (head.opType === 'Gemm' && (head.ints.get('transA') ?? 0) !== 0) return unknown('the LM head Gemm transposes its input');
  let hidden = head.inputs[0];
  let flattened = false;
  const flatten = view.producer.get(hidden);
  if (flatten?.opType === 'Reshape' && flatten.domain === '' && view.constants.has(flatten.inputs[1])) {
    hidden = flatten.inputs[0];
    flattened = true;
  }
  if (view.constants.has(hidden)) return unknown('the LM head reads a constant');
  if (view.outputs.includes(hidden)) return unknown(`the hidden state "${hidden}" is also a graph output`);

  // Everything downstream of the hidden state must be the head: position-wise, no other graph output.
  const cone = new Set<string>([hidden]);
  const shapeDerived = new Set<string>();
  const coneNodes: GraphNode[] = [];
  const seen = new Set<number>();
  const pending = [hidden];
  while (pending.length > 0) {
    for (const node of view.consumers.get(pending.pop()!) ?? []) {
      if (seen.has(node.index)) continue;
      seen.add(node.index);
      coneNodes.push(node);
      if (coneNodes.length > MAX_HEAD_NODES)
        return unknown(`more than ${MAX_HEAD_NODES} nodes read the hidden state "${hidden}" (not an LM head)`);
      for (const output of node.outputs) {
        cone.add(output);
        pending.push(output);
      }
    }
  }
  // Shape-derived tensors: Shape outputs and what is computed from them (and constants) alone. Nodes are
  // visited in graph order, which is topological in every exporter's output.
  for (const node of [...coneNodes].sort((a, b) => a.index - b.index)) {
    const coneInputs = node.inputs.filter((input) => cone.has(input));
    if (node.opType === 'Shape' || (coneInputs.length > 0 && coneInputs.every((input) => shapeDerived.has(input)))) {
      for (const output of node.outputs) shapeDerived.add(output);
    }
  }
  for (const node of coneNodes) {
    const name = `${node.domain ? `${node.domain}.` : ''}${node.opType}`;
    const outside = node.inputs.find((input) => input !== '' && !cone.has(input) && !view.constants.has(input));
    if (outside) return unknown(`the ${name} node after the hidden state also reads "${outside}", computed elsewhere`);
    const onShapePath = node.outputs.every((output) => shapeDerived.has(output)) && node.opType !== 'Shape';
    if (onShapePath) {
      if (!SHAPE_OPS.has(node.opType) || node.domain !== '')
        return unknown(`the LM head computes a shape with ${name}, which the compiler does not know`);
    } else if (!POSITIONWISE_OPS.has(node.opType) && node.opType !== 'Shape') {
      return unknown(`the hidden state feeds a ${name} node, which the compiler does not know`);
    } else if (
      HEAD_PRODUCTS[node.opType] === node.domain &&
      node.inputs.slice(1).some((input) => input !== '' && !view.constants.has(input))
    ) {
      return unknown(`a ${name} node after the hidden state multiplies by a non-constant`);
    }
  }
  const otherOutputs = view.outputs.filter((output) => output !== 'logits' && cone.has(output));
  if (otherOutputs.length > 0) return unknown(`the hidden state "${hidden}" also feeds the graph output(s) ${otherOutputs.join(', ')}`);
  if (!cone.has('logits')) return unknown('logits do not depend on the hidden state found');

  // The hidden state's rank must be 3 for a slice on axis 1 to pick positions: either no reshape between
  // it and logits (rank-preserving chain to a rank-3 output), or a flatten to [rows, hidden] undone by a
  // reshape to a shape computed from the hidden state's own shape.
  if (!flattened && reshapesAfterHead === 0) {
    if (head.opType === 'Gemm') return unknown('a Gemm LM head reads the hidden state without a flatten');
  } else if (flattened && reshapesAfterHead === 1) {
    const unflatten = [...coneNodes].find((node) => node.opType === 'Reshape' && node !== flatten && !shapeDerived.has(node.inputs[0]));
    if (!unflatten || !shapeDerived.has(unflatten.inputs[1]))
      return unknown("the LM head restores its output shape from something other than the hidden state's shape");
  } else {
    return unknown(
      `the LM head reshapes its data ${reshapesAfterHead + (flattened ? 1 : 0)} times (the compiler knows none, or a flatten and its inverse)`,
    );
  }

  const names = new Set([...view.producer.keys(), ...view.inputs, ...view.constants]);
  let lastHidden = `${hidden}/${ADDED}last_position`;
  for (let k = 1; names.has(lastHidden); k++) lastHidden = `${hidden}/${ADDED}last_position_${k}`;
  const readers = new Set((view.consumers.get(hidden) ?? []).map((node) => node.index));
  return {
    kind: 'plan',
    plan: {
      hidden,
      lastHidden,
      readers,
      insertBefore: Math.min(...readers),
      staleValueInfo: new Set([...cone].filter((tensorName) => !shapeDerived.has(tensorName) && tensorName !== hidden)),
    },
  };
}

function outputRank(field: WireField): number | undefined {
  const decoded = onnxMessageType('ValueInfoProto').decode(field.payload!) as unknown as {
    type?: { tensorType?: { shape?: { dim?: unknown[] } } };
  };
  return decoded.type?.tensorType?.shape?.dim?.length;
}

/** The plan as an edit (spliceGraph): the slice node and its constants, the renamed reads, logits' new shape. */
function lastPositionEdit(plan: LastPositionPlan): GraphEdit {
  const int64 = (name: string, value: bigint): Uint8Array => {
    const type = onnxMessageType('TensorProto');
    const data = new BigInt64Array([value]);
    return type.encode(type.fromObject({ name, dims: [1], dataType: OnnxDataType.INT64, rawData: new Uint8Array(data.buffer) })).finish();
  };
  const starts = `${ADDED}last_position_starts`;
  const ends = `${ADDED}last_position_ends`;
  const axes = `${ADDED}last_position_axes`;
  const nodeType = onnxMessageType('NodeProto');
  const slice = nodeType
    .encode(
      nodeType.fromObject({
        name: `${ADDED}last_position`,
        opType: 'Slice',
        input: [plan.hidden, starts, ends, axes],
        output: [plan.lastHidden],
      }),
    )
    .finish();
  const constants = (
    [
      [starts, -1n],
      [ends, 9223372036854775807n],
      [axes, 1n],
    ] as const
  ).flatMap(([name, value]) => lenField(GRAPH_INITIALIZER, int64(name, value)));
  return {
    appended: constants,
    visit: ({ number, payload, bytes, nodeIndex }) => {
      if (nodeIndex !== undefined) {
        const node = plan.readers.has(nodeIndex) ? lenField(GRAPH_NODE, renameInput(payload, plan.hidden, plan.lastHidden)) : [bytes];
        return nodeIndex === plan.insertBefore ? [...lenField(GRAPH_NODE, slice), ...node] : plan.readers.has(nodeIndex) ? node : undefined;
      }
      if (number === GRAPH_OUTPUT && nameOf(payload, VALUE_INFO_NAME) === 'logits') return lenField(GRAPH_OUTPUT, oneLogitsRow(payload));
      if (number === GRAPH_VALUE_INFO && plan.staleValueInfo.has(nameOf(payload, VALUE_INFO_NAME))) return [];
      return undefined;
    },
  };
}

/** The logits output's ValueInfo with its sequence dimension fixed to 1. */
function oneLogitsRow(valueInfo: Uint8Array): Uint8Array {
  const type = onnxMessageType('ValueInfoProto');
  const decoded = type.toObject(type.decode(valueInfo)) as { type: { tensorType: { shape: { dim: object[] } } } };
  decoded.type.tensorType.shape.dim[1] = { dimValue: 1 };
  return type.encode(type.fromObject(decoded)).finish();
}
