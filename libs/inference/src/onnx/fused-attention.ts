import { type GraphEdit, type GraphNode, type GraphView, nameOf, readGraph } from './graph-view';
import { GRAPH_INITIALIZER, GRAPH_INPUT, GRAPH_NODE, GRAPH_OUTPUT, GRAPH_VALUE_INFO, TENSOR_NAME, VALUE_INFO_NAME } from './onnx-fields';
import { OnnxAttributeType, OnnxDataType, onnxMessageType } from './onnx-proto';
import { lenField } from './protobuf-wire';

/**
 * The fused-attention pass: each layer's attention — the `Concat` that appends this step's keys and values
 * to the cache, the grouped-query scores, mask, softmax and weighted sum — is rewritten to read the cache
 * where the engine keeps it, a buffer with spare capacity, and the step's own keys and values beside it: two
 * score products (`FusedMatMul` with kᵀ), one softmax over both under an `attention_bias` the engine builds
 * from each row's length, two weighted sums. The graph returns only the step's keys and values as
 * `present.*`, which the engine writes into its buffers: nothing copies the whole cache at a step — not the
 * graph (the export's Concat; onnxruntime's GroupQueryAttention, tried first, copies the past into its
 * present output unless both are one bound buffer) and not onnxruntime-node (it returns every output,
 * bound ones included, as a fresh copy). 360M q4, one sequence: a step at a 1,000-token context went from
 * 42.8 ms (GroupQueryAttention over bound buffers) to 23.1 ms, 1.27x the 16-token step. Projections, norms and the
 * export's own rotary embedding are kept as they are, so the pass does not need to know the RoPE variant.
 *
 * Graph contract after the pass (what DecoderSession feeds in "shared buffer" mode):
 * - `attention_bias` float [batch, 1, sequence_length, max_sequence_length + sequence_length]: 0 where a new
 *   position attends (its row's positions in the buffer, itself and the new positions before it), a large
 *   negative elsewhere;
 * - `past_key_values.{i}.*` [batch, kv_heads, max_sequence_length, head_dim]: row r holds its positions from
 *   column 0 (right padding), the rest is spare capacity;
 * - `present.{i}.*` [batch, kv_heads, sequence_length, head_dim]: the step's new keys (rotated) and values;
 * - `position_ids` as before; `attention_mask` is gone when nothing else reads it.
 *
 * Matching is by structure, not by node names: for layer i, `Concat(past_key_values.i.key, k) → present.i.key`
 * and the same for values; from the present keys through layout ops (Transpose, Unsqueeze, Reshape, Expand,
 * Squeeze: the grouped layout, or transformers' repeat_kv) and constant scalings to a MatMul with the queries
 * (reached back from it through Reshape / Unsqueeze / Squeeze and constant scalings only, so they are the
 * export's [batch, heads, seq, head_dim] tensor), then an optional constant scale (Mul / Div), an optional
 * additive mask, Softmax on the last axis, a MatMul with the present values, and layout ops back to
 * [batch, seq, heads × head_dim] with exactly one Transpose (0, 2, 1, 3). The scalings found on the way
 * (SDPA exports split 1/√d between q and kᵀ) multiply into the score products' `alpha`. Anything else — a
 * float16 cache (Casts around the Concat), a mask applied with Where, control flow — leaves the graph as it
 * is, with the reason.
 */

export const ATTENTION_BIAS_INPUT = 'attention_bias';
/** The symbolic length of a shared past/present buffer. */
const BUFFER_DIM = 'max_sequence_length';
const ADDED = 'slm_compiler/fused_attention/';

export interface AttentionGeometry {
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
}

interface LayerPlan {
  query: string;
  key: string;
  value: string;
  /** The [batch, seq, heads × head_dim] tensor the output projection reads: the fused node's output. */
  context: string;
  scale: number;
  /** The node that produced `context`: the fused node goes at its place (all its inputs are computed before). */
  replaces: number;
  concats: [number, number];
}

export interface FusedAttentionPlan {
  layers: LayerPlan[];
  geometry: AttentionGeometry;
  /** Indices of the source's nodes still needed once attention is fused. */
  live: Set<number>;
  /** Tensors those nodes and the fused ones read (unread initializers and the mask input go). */
  read: Set<string>;
}

export type FusedAttentionAnalysis = { kind: 'plan'; plan: FusedAttentionPlan } | { kind: 'unknown'; reason: string };

/** Ops that only move or view data: allowed between the caches and the products that read them. */
const LAYOUT_OPS = new Set(['Transpose', 'Unsqueeze', 'Reshape', 'Expand', 'Squeeze']);
/** Ops allowed between the queries and the score product: views of the same memory order. */
const VIEW_OPS = new Set(['Reshape', 'Unsqueeze', 'Squeeze']);
/** Bytes of a TensorProto that can hold one named float scalar, at most. */
const MAX_SCALAR_BYTES = 256;

export function planFusedAttention(model: Uint8Array, geometry: AttentionGeometry): FusedAttentionAnalysis {
  let view: GraphView;
  try {
    view = readGraph(model);
  } catch (error) {
    return { kind: 'unknown', reason: `the graph could not be read (${(error as Error).message})` };
  }
  if (geometry.numHeads % geometry.numKvHeads !== 0)
    return { kind: 'unknown', reason: `${geometry.numHeads} query heads do not split into ${geometry.numKvHeads} KV heads` };
  if (view.inputs.includes(ATTENTION_BIAS_INPUT)) return { kind: 'unknown', reason: `the graph already declares ${ATTENTION_BIAS_INPUT}` };
  if (!view.inputs.includes('position_ids'))
    return { kind: 'unknown', reason: 'the graph computes positions from the attention mask (no position_ids input)' };
  const control = view.nodes.find((node) => ['If', 'Loop', 'Scan'].includes(node.opType));
  if (control) return { kind: 'unknown', reason: `the graph has a ${control.opType} node` };
  const layers: LayerPlan[] = [];
  for (let layer = 0; layer < geometry.numLayers; layer++) {
    const planned = planLayer(view, layer);
    if (typeof planned === 'string') return { kind: 'unknown', reason: `layer ${layer}: ${planned}` };
    layers.push(planned);
  }
  return { kind: 'plan', plan: { layers, geometry, ...liveNodes(view, layers) } };
}

function planLayer(view: GraphView, layer: number): LayerPlan | string {
  const concat = (part: 'key' | 'value'): GraphNode | string => {
    const past = `past_key_values.${layer}.${part}`;
    const node = (view.consumers.get(past) ?? []).find((reader) => reader.opType === 'Concat' && reader.inputs[0] === past);
    if (!node || node.outputs[0] !== `present.${layer}.${part}`)
      return `${past} is not appended by a Concat into present.${layer}.${part} (a float16 cache, or attention the compiler does not know)`;
    const axis = node.ints.get('axis');
    if (axis !== 2 && axis !== -2) return `the ${part} cache is appended on axis ${axis}, not the sequence axis`;
    return node;
  };
  const keys = concat('key');
  if (typeof keys === 'string') return keys;
  const values = concat('value');
  if (typeof values === 'string') return values;

  const scores = forwardThrough(view, keys.outputs[0], LAYOUT_OPS);
  if (!scores || scores.node.opType !== 'MatMul' || scores.node.inputs[1] !== scores.input)
    return 'the present keys do not reach a MatMul with the queries through layout ops and constant scales';
  let scale = scores.scale;
  let query = scores.node.inputs[0];
  for (let producer = view.producer.get(query); producer; producer = view.producer.get(query)) {
    const scaling = scaleBy(view, producer);
    if (scaling) scale *= scaling.factor;
    else if (!VIEW_OPS.has(producer.opType)) break;
    query = scaling?.data ?? producer.inputs[0];
  }

  let next = soleReader(view, scores.node.outputs[0]);
  if (next && (next.opType === 'Mul' || next.opType === 'Div')) {
    const scaling = scaleBy(view, next);
    if (scaling?.data !== scores.node.outputs[0])
      return `the scores are scaled by a ${next.opType} with something other than a constant scalar`;
    scale *= scaling.factor;
    next = soleReader(view, next.outputs[0]);
  }
  // The additive mask (causal and padding): the fused node applies causality and each row's length itself.
  if (next?.opType === 'Add') next = soleReader(view, next.outputs[0]);
  if (next?.opType !== 'Softmax') return `the scores go to ${next ? `a ${next.opType}` : 'several nodes'}, not a Softmax`;
  const axis = next.ints.get('axis') ?? -1;
  if (axis !== -1 && axis !== 3 && axis !== 4) return `the softmax runs over axis ${axis}`;
  const weighted = soleReader(view, next.outputs[0]);
  if (weighted?.opType !== 'MatMul' || weighted.inputs[0] !== next.outputs[0]) return 'the probabilities do not go to a MatMul';
  const fromValues = forwardThrough(view, values.outputs[0], LAYOUT_OPS);
  if (fromValues?.node !== weighted || fromValues.scale !== 1) return 'the present values do not reach the weighted sum through layout ops';

  let context = weighted.outputs[0];
  let transposes = 0;
  for (let reader = soleReader(view, context); reader && LAYOUT_OPS.has(reader.opType); reader = soleReader(view, context)) {
    if (reader.opType === 'Transpose') {
      transposes++;
      if (!samePerm(reader, [0, 2, 1, 3])) return 'the attention output is transposed other than (0, 2, 1, 3)';
    } else if (reader.opType !== 'Reshape') return `the attention output goes through a ${reader.opType}`;
    context = reader.outputs[0];
  }
  if (transposes !== 1) return `the attention output is transposed ${transposes} times (expected once, to [batch, seq, heads, dim])`;
  return {
    query,
    key: keys.inputs[1],
    value: values.inputs[1],
    context,
    scale,
    replaces: view.producer.get(context)!.index,
    concats: [keys.index, values.index],
  };
}

/**
 * From `tensor` along single readers through `ops` and constant scalings to the first node that is neither;
 * `scale` is the product of the scalings passed.
 */
function forwardThrough(view: GraphView, tensor: string, ops: Set<string>): { node: GraphNode; input: string; scale: number } | undefined {
  let input = tensor;
  let scale = 1;
  for (let reader = soleReader(view, input); reader; reader = soleReader(view, input)) {
    const scaling = scaleBy(view, reader);
    if (scaling?.data === input) scale *= scaling.factor;
    else if (!ops.has(reader.opType)) return { node: reader, input, scale };
    input = reader.outputs[0];
  }
  return undefined;
}

/** A Mul or Div of a tensor (`data`) by a constant scalar: the factor it multiplies `data` by. */
function scaleBy(view: GraphView, node: GraphNode): { factor: number; data: string } | undefined {
  if ((node.opType !== 'Mul' && node.opType !== 'Div') || node.domain !== '' || node.inputs.length !== 2) return undefined;
  const [a, b] = node.inputs;
  const second = scalarConstant(view, b);
  if (second !== undefined) return { factor: node.opType === 'Mul' ? second : 1 / second, data: a };
  const first = node.opType === 'Mul' ? scalarConstant(view, a) : undefined;
  return first === undefined ? undefined : { factor: first, data: b };
}

function soleReader(view: GraphView, tensor: string): GraphNode | undefined {
  const readers = view.consumers.get(tensor) ?? [];
  return readers.length === 1 ? readers[0] : undefined;
}

/** The value of a float scalar initializer or Constant, if `name` is one. */
function scalarConstant(view: GraphView, name: string): number | undefined {
  if (!view.constants.has(name)) return undefined;
  const tensorType = onnxMessageType('TensorProto');
  const decodeScalar = (bytes: Uint8Array): number | undefined => {
    const tensor = tensorType.toObject(tensorType.decode(bytes), { bytes: Array }) as {
      dataType?: number;
      dims?: number[];
      floatData?: number[];
      rawData?: number[];
    };
    if (tensor.dataType !== OnnxDataType.FLOAT || (tensor.dims ?? []).some((dim) => Number(dim) !== 1)) return undefined;
    if (tensor.floatData?.length === 1) return tensor.floatData[0];
    if (tensor.rawData?.length === 4) return new Float32Array(Uint8Array.from(tensor.rawData).buffer)[0];
    return undefined;
  };
  const producer = view.producer.get(name);
  if (producer?.opType === 'Constant') {
    const node = onnxMessageType('NodeProto').toObject(onnxMessageType('NodeProto').decode(producer.field.payload!), { bytes: Array }) as {
      attribute?: { name: string; t?: object }[];
    };
    const value = node.attribute?.find((attribute) => attribute.name === 'value')?.t;
    return value ? decodeScalar(tensorType.encode(tensorType.fromObject(value)).finish()) : undefined;
  }
  const initializer = view.initializers.get(name);
  // A scalar's TensorProto is a few dozen bytes: a weight is not decoded just to find it is not one.
  return initializer && initializer.length <= MAX_SCALAR_BYTES ? decodeScalar(initializer) : undefined;
}

function samePerm(node: GraphNode, perm: number[]): boolean {
  const decoded = onnxMessageType('NodeProto').toObject(onnxMessageType('NodeProto').decode(node.field.payload!)) as {
    attribute?: { name: string; ints?: (number | string)[] }[];
  };
  const ints = decoded.attribute?.find((attribute) => attribute.name === 'perm')?.ints?.map(Number);
  return ints?.length === perm.length && ints.every((value, i) => value === perm[i]);
}

/**
 * The plan as an edit (spliceGraph): a few shape nodes before the first layer, then per layer the attention
 * over the cache buffer and the step's own keys and values in place of the attention output's producer; the
 * Concats go, and so does every node nothing reads any more (the mask, the transposed caches) with its
 * constants; `attention_bias` is declared, the caches' sequence dimension renamed, `present.*` redeclared as
 * the step's keys and values, value_info dropped (stale shapes).
 */
export function fusedAttentionEdit(plan: FusedAttentionPlan): GraphEdit {
  const { live, read } = plan;
  const added = attentionNodes(plan);
  const int64 = (name: string, values: bigint[]): Uint8Array[] => {
    const tensorType = onnxMessageType('TensorProto');
    const rawData = new Uint8Array(BigInt64Array.from(values).buffer);
    return lenField(
      GRAPH_INITIALIZER,
      tensorType.encode(tensorType.fromObject({ name, dims: [values.length], dataType: OnnxDataType.INT64, rawData })).finish(),
    );
  };
  const { numHeads, numKvHeads, headDim } = plan.geometry;
  const appended = [
    ...lenField(GRAPH_INPUT, valueInfo(ATTENTION_BIAS_INPUT, OnnxDataType.FLOAT, ['batch_size', 1, 'sequence_length', 'attended_length'])),
    ...int64(CONSTANT.zero, [0n]),
    ...int64(CONSTANT.two, [2n]),
    ...int64(CONSTANT.three, [3n]),
    ...int64(CONSTANT.end, [9223372036854775807n]),
    ...int64(CONSTANT.last, [-1n]),
    ...int64(CONSTANT.groupedShape, [0n, BigInt(numKvHeads), -1n, BigInt(headDim)]),
    ...int64(CONSTANT.headsShape, [0n, BigInt(numHeads), -1n, BigInt(headDim)]),
    ...int64(CONSTANT.bshShape, [0n, 0n, -1n]),
    // 0 keeps that axis of the input: the columns, whatever the buffer's capacity.
    ...int64(CONSTANT.headScoresShape, [0n, BigInt(numHeads), -1n, 0n]),
    ...int64(CONSTANT.groupedScoresShape, [0n, BigInt(numKvHeads), -1n, 0n]),
  ];
  return {
    appended,
    visit: ({ number, payload, nodeIndex, bytes }) => {
      if (nodeIndex !== undefined) {
        const nodes = (added.get(nodeIndex) ?? []).flatMap((node) => lenField(GRAPH_NODE, node));
        if (!live.has(nodeIndex)) return nodes;
        return nodes.length > 0 ? [...nodes, bytes] : undefined;
      }
      if (number === GRAPH_VALUE_INFO) return [];
      // The mask's constants and the like: onnxruntime would warn about each unused one at every load.
      if (number === GRAPH_INITIALIZER) return read.has(nameOf(payload, TENSOR_NAME)) ? undefined : [];
      if (number !== GRAPH_INPUT && number !== GRAPH_OUTPUT) return undefined;
      const name = nameOf(payload, VALUE_INFO_NAME);
      if (name === 'attention_mask' && !read.has(name)) return [];
      if (/^past_key_values\.\d+\.(key|value)$/.test(name)) return lenField(number, withSequenceDim(payload, BUFFER_DIM));
      if (/^present\.\d+\.(key|value)$/.test(name)) return lenField(number, withSequenceDim(payload, 'sequence_length'));
      return undefined;
    },
  };
}

/** Names of the shape constants and tensors the pass adds once. */
const CONSTANT = {
  zero: `${ADDED}zero`,
  two: `${ADDED}two`,
  three: `${ADDED}three`,
  end: `${ADDED}end`,
  last: `${ADDED}last_axis`,
  groupedShape: `${ADDED}grouped_shape`,
  headsShape: `${ADDED}heads_shape`,
  bshShape: `${ADDED}bsh_shape`,
  headScoresShape: `${ADDED}head_scores_shape`,
  groupedScoresShape: `${ADDED}grouped_scores_shape`,
  /** The buffer's capacity (columns), as a [1] tensor: where the step's own scores start. */
  capacity: `${ADDED}capacity`,
};

/**
 * Per layer, the nodes that go in place of the node at `replaces` (and, before the first layer, the buffer
 * capacity read from `past_key_values.0.key`). Query heads are grouped by the KV head they share
 * ([batch, kv_heads, groups × seq, head_dim], a view of the export's [batch, heads, seq, head_dim]); their
 * scores against the buffer (`FusedMatMul` with kᵀ, scaled) and against the step's own keys are
 * concatenated, `attention_bias` masked (0 where attended, a large negative elsewhere: each row's length in
 * the buffer, causality among the new positions), softmaxed, split again and multiplied by the buffer's
 * values and the step's values. The step's keys and values are also the `present.*` outputs.
 */
function attentionNodes(plan: FusedAttentionPlan): Map<number, Uint8Array[]> {
  const nodeType = onnxMessageType('NodeProto');
  const node = (opType: string, input: string[], output: string, extra: object = {}): Uint8Array =>
    nodeType.encode(nodeType.fromObject({ name: output, opType, input, output: [output], ...extra })).finish();
  const ints = (name: string, value: number[]): object => ({ name, type: OnnxAttributeType.INTS, ints: value });
  const fusedMatMul = (input: string[], output: string, alpha: number): Uint8Array =>
    node('FusedMatMul', input, output, {
      domain: 'com.microsoft',
      attribute: [
        { name: 'transB', type: OnnxAttributeType.INT, i: 1 },
        { name: 'alpha', type: OnnxAttributeType.FLOAT, f: alpha },
      ],
    });
  const added = new Map<number, Uint8Array[]>();
  plan.layers.forEach((layer, i) => {
    const p = `${ADDED}${i}/`;
    const [pastKey, pastValue] = [`past_key_values.${i}.key`, `past_key_values.${i}.value`];
    const nodes = [
      node('Identity', [layer.key], `present.${i}.key`),
      node('Identity', [layer.value], `present.${i}.value`),
      node('Reshape', [layer.query, CONSTANT.groupedShape], `${p}grouped_query`),
      fusedMatMul([`${p}grouped_query`, pastKey], `${p}buffer_scores`, layer.scale),
      fusedMatMul([`${p}grouped_query`, layer.key], `${p}step_scores`, layer.scale),
      node('Concat', [`${p}buffer_scores`, `${p}step_scores`], `${p}scores`, {
        attribute: [{ name: 'axis', type: OnnxAttributeType.INT, i: -1 }],
      }),
      // Per query head [batch, heads, seq, columns], so the bias [batch, 1, seq, columns] broadcasts over heads.
      node('Reshape', [`${p}scores`, CONSTANT.headScoresShape], `${p}head_scores`),
      node('Add', [`${p}head_scores`, ATTENTION_BIAS_INPUT], `${p}masked_scores`),
      node('Softmax', [`${p}masked_scores`], `${p}probabilities`, { attribute: [{ name: 'axis', type: OnnxAttributeType.INT, i: -1 }] }),
      node('Slice', [`${p}probabilities`, CONSTANT.zero, CONSTANT.capacity, CONSTANT.last], `${p}buffer_probabilities`),
      node('Slice', [`${p}probabilities`, CONSTANT.capacity, CONSTANT.end, CONSTANT.last], `${p}step_probabilities`),
      node('Reshape', [`${p}buffer_probabilities`, CONSTANT.groupedScoresShape], `${p}grouped_buffer_probabilities`),
      node('Reshape', [`${p}step_probabilities`, CONSTANT.groupedScoresShape], `${p}grouped_step_probabilities`),
      node('MatMul', [`${p}grouped_buffer_probabilities`, pastValue], `${p}buffer_context`),
      node('MatMul', [`${p}grouped_step_probabilities`, layer.value], `${p}step_context`),
      node('Add', [`${p}buffer_context`, `${p}step_context`], `${p}grouped_context`),
      node('Reshape', [`${p}grouped_context`, CONSTANT.headsShape], `${p}context_bnsh`),
      node('Transpose', [`${p}context_bnsh`], `${p}context_bsnh`, { attribute: [ints('perm', [0, 2, 1, 3])] }),
      node('Reshape', [`${p}context_bsnh`, CONSTANT.bshShape], layer.context),
    ];
    if (i === 0) {
      nodes.unshift(
        node('Shape', [pastKey], `${ADDED}buffer_shape`),
        node('Slice', [`${ADDED}buffer_shape`, CONSTANT.two, CONSTANT.three], CONSTANT.capacity),
      );
    }
    added.set(layer.replaces, nodes);
  });
  return added;
}

/**
 * The source's nodes still needed once the planned ones are replaced, walked back from the graph outputs,
 * and every tensor read on the way.
 */
function liveNodes(view: GraphView, layers: readonly LayerPlan[]): { live: Set<number>; read: Set<string> } {
  const removed = new Set(layers.flatMap((layer) => [layer.replaces, ...layer.concats]));
  const needed = new Set<string>(view.outputs);
  // The fused nodes read the queries, keys and values; they replace nodes that produced the contexts.
  for (const layer of layers) for (const tensor of [layer.query, layer.key, layer.value]) needed.add(tensor);
  const live = new Set<number>();
  for (let i = view.nodes.length - 1; i >= 0; i--) {
    const node = view.nodes[i];
    if (removed.has(node.index) || !node.outputs.some((output) => needed.has(output))) continue;
    live.add(node.index);
    for (const input of node.inputs) if (input !== '') needed.add(input);
  }
  return { live, read: needed };
}

function valueInfo(name: string, dataType: OnnxDataType, dims: (number | string)[]): Uint8Array {
  const type = onnxMessageType('ValueInfoProto');
  const shape = { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) };
  return type.encode(type.fromObject({ name, type: { tensorType: { elemType: dataType, shape } } })).finish();
}

/** A cache input's or output's ValueInfo with its sequence dimension (axis 2) renamed. */
function withSequenceDim(bytes: Uint8Array, dimension: string): Uint8Array {
  const type = onnxMessageType('ValueInfoProto');
  const decoded = type.toObject(type.decode(bytes)) as { type?: { tensorType?: { shape?: { dim?: object[] } } } };
  const dims = decoded.type?.tensorType?.shape?.dim;
  if (dims && dims.length === 4) dims[2] = { dimParam: dimension };
  return type.encode(type.fromObject(decoded)).finish();
}
