import { closeSync, openSync, readSync } from 'node:fs';
import * as path from 'node:path';
import { externalDataOf } from './graph-cache';
import { type GraphEdit, type GraphNode, type GraphView, nameOf } from './graph-view';
import { GRAPH_INITIALIZER, GRAPH_NODE, TENSOR_DATA_TYPE, TENSOR_NAME, TENSOR_RAW_DATA } from './onnx-fields';
import { OnnxAttributeType, OnnxDataType, onnxMessageType } from './onnx-proto';
import { LEN, VARINT, fields, lenField } from './protobuf-wire';

/** Prefix of the names this pass adds to a graph. */
const ADDED = 'slm_compiler/int8/';
/** MatMulNBits's zero point when the node has none (4-bit codes are centred on 8). */
const DEFAULT_ZERO_POINT = 8;
/** Activations are quantised to [-127, 127] and shifted by this to fit uint8 (MatMulInteger's a_zero_point). */
const ACTIVATION_ZERO_POINT = 128;
/**
 * A graph is one protobuf message: 2 GiB at most, and onnxruntime wants some room to spare. The compiler
 * moves large weights to external data afterwards, but the graph is spliced whole first (and stays whole
 * with `externalDataMinBytes` off).
 */
const MAX_GRAPH_BYTES = 2 ** 31 - 64 * 2 ** 20;

/** One MatMulNBits node turned into an int8 product: its input, output and weights, re-quantised. */
interface ConvertedProduct {
  node: GraphNode;
  input: string;
  output: string;
  /** Initializers only this node read (dropped from the graph). */
  weights: string[];
  k: number;
  n: number;
}

export interface Int8ProductsPlan {
  products: ConvertedProduct[];
  /** Model folder, where external data files are read from. */
  modelDir: string;
  view: GraphView;
  /** ReduceMax takes its axes as an input from opset 18, as an attribute before. */
  axesAsInput: boolean;
  /** Largest weight code: 127, or 63 for CPUs whose u8×s8 kernel adds pairs of products in 16 bits ({@link Int8Weights}). */
  weightLimit: number;
}

/**
 * The weights' int8 range. `full`: [-127, 127], for CPUs with int8 dot products (VNNI, AMX, Arm dotprod),
 * which add u8×s8 products in 32 bits. `reduced`: [-63, 63] (7 bits, onnxruntime's `reduce_range`), for
 * x86 CPUs without them: their u8×s8 kernel (AVX2 `vpmaddubsw`) adds each pair of products in 16 bits,
 * and 255 × 127 × 2 overflows that while 255 × 63 × 2 does not.
 */
export type Int8Weights = 'full' | 'reduced';

export type Int8ProductsAnalysis = { kind: 'plan'; plan: Int8ProductsPlan } | { kind: 'unknown'; reason: string };

/**
 * Plans the int8 graph's products. A prompt, or a batch of sequences, multiplies many rows by every weight
 * matrix, and onnxruntime's MatMulNBits runs that at ~190–210 GFLOP/s on two cores of the Xeon this was
 * measured on, while its u8×s8 integer GEMM (MatMulInteger, which reaches the CPU's int8 matrix units:
 * VNNI, AMX) runs the same shapes at ~700–1,300 GFLOP/s from 16 rows up (`[rows, 1024] × [1024, 4096]`;
 * 4 rows: 1.2 vs 1.5 ms for eight products). One row is memory-bound, where the 4-bit weights' smaller
 * reads win (0.73 vs 0.96 ms), so the engine runs steps of few rows on the 4-bit graph (DecoderSession).
 *
 * Each 4-bit weight (blocks of codes with a scale and zero point each) is dequantised and re-quantised to
 * int8 with one scale per output column; activations are quantised per row (per token) to int8 with a
 * scale of max|x| / 127, the granularity of the W8A8 schemes that hold accuracy on sub-billion-parameter
 * decoders. The LM head stays 4-bit: after the last-position pass it multiplies one row.
 */
export function planInt8Products(
  view: GraphView,
  modelPath: string,
  modelBytes: number,
  weights: Int8Weights = 'full',
): Int8ProductsAnalysis {
  const unknown = (reason: string): Int8ProductsAnalysis => ({ kind: 'unknown', reason });
  if (view.defaultOpset < 13) return unknown(`the graph imports ONNX opset ${view.defaultOpset} (per-row quantisation needs 13)`);
  const head = lmHead(view);
  const products: ConvertedProduct[] = [];
  let addedBytes = 0;
  for (const node of view.nodes) {
    if (node.opType !== 'MatMulNBits' || node.domain !== 'com.microsoft' || node === head) continue;
    const [input, weight, scales, zeroPoints, groupIndex, bias] = node.inputs;
    const k = node.ints.get('K') ?? 0;
    const n = node.ints.get('N') ?? 0;
    const where = `MatMulNBits "${node.outputs[0]}"`;
    if (node.ints.get('bits') !== 4) return unknown(`${where} has ${node.ints.get('bits') ?? '?'}-bit weights (the pass knows 4)`);
    if ((groupIndex ?? '') !== '' || (bias ?? '') !== '') return unknown(`${where} has a group index or a bias`);
    if (view.constants.has(input)) return unknown(`${where} multiplies a constant`);
    const readOnlyHere = [weight, scales, zeroPoints].filter((name) => name && name !== '');
    for (const name of readOnlyHere) {
      if (!view.initializers.has(name)) return unknown(`${where} reads "${name}", which is not an initializer`);
      if ((view.consumers.get(name) ?? []).length !== 1) return unknown(`${where} shares its weight "${name}" with other nodes`);
    }
    if (tensorType(view.initializers.get(scales)!) !== OnnxDataType.FLOAT) return unknown(`${where} has scales that are not float32`);
    if (zeroPoints && tensorType(view.initializers.get(zeroPoints)!) !== OnnxDataType.UINT8)
      return unknown(`${where} has zero points that are not packed uint8`);
    products.push({ node, input, output: node.outputs[0], weights: readOnlyHere, k, n });
    addedBytes += k * n + 4 * n - (k * n) / 2;
  }
  if (products.length === 0) return unknown('the graph has no 4-bit matrix products besides the LM head');
  if (modelBytes + addedBytes > MAX_GRAPH_BYTES)
    return unknown(`the int8 prefill graph would be ${((modelBytes + addedBytes) / 2 ** 30).toFixed(2)} GiB, over protobuf's 2 GiB`);
  const weightLimit = weights === 'full' ? 127 : 63;
  return { kind: 'plan', plan: { products, modelDir: path.dirname(modelPath), view, axesAsInput: view.defaultOpset >= 18, weightLimit } };
}

/** The MatMulNBits that computes logits, walked back from the output through the head's position-wise ops. */
function lmHead(view: GraphView): GraphNode | undefined {
  let tensor = 'logits';
  for (let guard = 0; guard < 64; guard++) {
    const node = view.producer.get(tensor);
    if (!node) return undefined;
    if (node.opType === 'MatMulNBits') return node;
    const dynamic = node.inputs.find((input) => input !== '' && !view.constants.has(input));
    if (!dynamic) return undefined;
    tensor = dynamic;
  }
  return undefined;
}

/** Names of the scalars the pass adds once per graph. */
const CONSTANTS = {
  inverse127: `${ADDED}inverse_127`,
  tiny: `${ADDED}tiny`,
  shift: `${ADDED}shift`,
  zeroPoint: `${ADDED}zero_point`,
  axes: `${ADDED}axes`,
};

const encodeNode = (object: object): Uint8Array[] =>
  lenField(GRAPH_NODE, onnxMessageType('NodeProto').encode(onnxMessageType('NodeProto').fromObject(object)).finish());

function initializer(name: string, dataType: OnnxDataType, dims: number[], data: ArrayBufferView): Uint8Array[] {
  const rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const tensorProto = onnxMessageType('TensorProto');
  return lenField(GRAPH_INITIALIZER, tensorProto.encode(tensorProto.fromObject({ name, dims, dataType, rawData })).finish());
}

/**
 * The plan as an edit (spliceGraph): per activation read by converted products, one per-row quantisation
 * (before its first reader); per product, MatMulInteger over the int8 weights and two scalings in place of
 * the MatMulNBits node; the 4-bit initializers go, the int8 ones are appended.
 */
export function int8ProductsEdit(plan: Int8ProductsPlan): GraphEdit {
  const appended = [
    ...initializer(CONSTANTS.inverse127, OnnxDataType.FLOAT, [], Float32Array.of(1 / 127)),
    // A row of zeros gets a scale of `tiny`, not 0 (0 / 0 would be NaN).
    ...initializer(CONSTANTS.tiny, OnnxDataType.FLOAT, [], Float32Array.of(1e-30)),
    ...initializer(CONSTANTS.shift, OnnxDataType.FLOAT, [], Float32Array.of(ACTIVATION_ZERO_POINT)),
    ...initializer(CONSTANTS.zeroPoint, OnnxDataType.UINT8, [], Uint8Array.of(ACTIVATION_ZERO_POINT)),
    ...(plan.axesAsInput ? initializer(CONSTANTS.axes, OnnxDataType.INT64, [1], BigInt64Array.of(-1n)) : []),
  ];
  // Quantised activations: one per input tensor, shared by the products that read it (q, k and v; gate and up).
  const quantised = new Map<string, string>();
  const dropped = new Set<string>();
  const replaced = new Map<number, Uint8Array[]>();
  plan.products.forEach((product, i) => {
    let activation = quantised.get(product.input);
    const inserted: Uint8Array[] = [];
    if (!activation) {
      activation = `${ADDED}activation_${quantised.size}/`;
      quantised.set(product.input, activation);
      inserted.push(...activationQuantiser(product.input, activation, plan.axesAsInput));
    }
    const { codes, scales } = int8Weights(plan, product);
    const prefix = `${ADDED}product_${i}/`;
    appended.push(
      ...initializer(`${prefix}weight`, OnnxDataType.INT8, [product.k, product.n], codes),
      ...initializer(`${prefix}column_scale`, OnnxDataType.FLOAT, [product.n], scales),
    );
    for (const name of product.weights) dropped.add(name);
    replaced.set(product.node.index, [
      ...inserted,
      ...encodeNode({
        opType: 'MatMulInteger',
        input: [`${activation}codes`, `${prefix}weight`, CONSTANTS.zeroPoint],
        output: [`${prefix}int32`],
      }),
      ...encodeNode({
        opType: 'Cast',
        input: [`${prefix}int32`],
        output: [`${prefix}float`],
        attribute: [{ name: 'to', type: OnnxAttributeType.INT, i: OnnxDataType.FLOAT }],
      }),
      ...encodeNode({ opType: 'Mul', input: [`${prefix}float`, `${activation}scale`], output: [`${prefix}row_scaled`] }),
      ...encodeNode({ opType: 'Mul', input: [`${prefix}row_scaled`, `${prefix}column_scale`], output: [product.output] }),
    ]);
  });
  return {
    appended,
    visit: ({ number, payload, nodeIndex }) => {
      if (nodeIndex !== undefined) return replaced.get(nodeIndex);
      if (number === GRAPH_INITIALIZER && dropped.has(nameOf(payload, TENSOR_NAME))) return [];
      return undefined;
    },
  };
}

/**
 * `input` quantised per row (last axis) to uint8 codes `<prefix>codes` = round(x / scale) + 128, with
 * `<prefix>scale` = max|x| / 127 per row (shape [..., 1]).
 */
function activationQuantiser(input: string, prefix: string, axesAsInput: boolean): Uint8Array[] {
  const keepdims = { name: 'keepdims', type: OnnxAttributeType.INT, i: 1 };
  const reduce = axesAsInput
    ? { opType: 'ReduceMax', input: [`${prefix}abs`, CONSTANTS.axes], output: [`${prefix}max`], attribute: [keepdims] }
    : {
        opType: 'ReduceMax',
        input: [`${prefix}abs`],
        output: [`${prefix}max`],
        attribute: [keepdims, { name: 'axes', type: OnnxAttributeType.INTS, ints: [-1] }],
      };
  return [
    ...encodeNode({ opType: 'Abs', input: [input], output: [`${prefix}abs`] }),
    ...encodeNode(reduce),
    ...encodeNode({ opType: 'Mul', input: [`${prefix}max`, CONSTANTS.inverse127], output: [`${prefix}scale_raw`] }),
    ...encodeNode({ opType: 'Max', input: [`${prefix}scale_raw`, CONSTANTS.tiny], output: [`${prefix}scale`] }),
    ...encodeNode({ opType: 'Div', input: [input, `${prefix}scale`], output: [`${prefix}scaled`] }),
    ...encodeNode({ opType: 'Round', input: [`${prefix}scaled`], output: [`${prefix}rounded`] }),
    ...encodeNode({ opType: 'Add', input: [`${prefix}rounded`, CONSTANTS.shift], output: [`${prefix}shifted`] }),
    ...encodeNode({
      opType: 'Cast',
      input: [`${prefix}shifted`],
      output: [`${prefix}codes`],
      attribute: [{ name: 'to', type: OnnxAttributeType.INT, i: OnnxDataType.UINT8 }],
    }),
  ];
}

/**
 * A MatMulNBits weight ([N][blocks][block/2] codes, low nibble first; scales [N × blocks]; zero points
 * packed two per byte or 8) dequantised and re-quantised to int8 [K][N] with one scale per column.
 */
function int8Weights(plan: Int8ProductsPlan, product: ConvertedProduct): { codes: Int8Array; scales: Float32Array } {
  const { node, k, n } = product;
  const blockSize = node.ints.get('block_size') ?? 32;
  const blocks = Math.ceil(k / blockSize);
  const packed = tensorData(plan, node.inputs[1]);
  const scaleBytes = tensorData(plan, node.inputs[2]);
  const blockScales = new Float32Array(scaleBytes.buffer.slice(scaleBytes.byteOffset, scaleBytes.byteOffset + scaleBytes.byteLength));
  const zeroPoints = node.inputs[3] ? tensorData(plan, node.inputs[3]) : undefined;
  const zeroPointBytesPerRow = Math.ceil(blocks / 2);
  const codes = new Int8Array(k * n);
  const columnScales = new Float32Array(n);
  const row = new Float32Array(k);
  const bytesPerBlock = blockSize / 2;
  for (let column = 0; column < n; column++) {
    let largest = 0;
    for (let block = 0; block < blocks; block++) {
      const scale = blockScales[column * blocks + block];
      const zeroPoint = zeroPoints
        ? (zeroPoints[column * zeroPointBytesPerRow + (block >> 1)] >> ((block & 1) * 4)) & 0xf
        : DEFAULT_ZERO_POINT;
      const base = (column * blocks + block) * bytesPerBlock;
      for (let j = 0; j < blockSize && block * blockSize + j < k; j++) {
        const byte = packed[base + (j >> 1)];
        const code = (j & 1) === 0 ? byte & 0xf : byte >> 4;
        const value = scale * (code - zeroPoint);
        row[block * blockSize + j] = value;
        largest = Math.max(largest, Math.abs(value));
      }
    }
    const columnScale = largest > 0 ? largest / plan.weightLimit : 1;
    columnScales[column] = columnScale;
    for (let i = 0; i < k; i++) codes[i * n + column] = Math.round(row[i] / columnScale);
  }
  return { codes, scales: columnScales };
}

function tensorType(tensor: Uint8Array): number | undefined {
  for (const field of fields(tensor)) if (field.number === TENSOR_DATA_TYPE && field.wireType === VARINT) return field.value;
  return undefined;
}

/** An initializer's bytes: its raw_data, or the range of the external data file it names. */
function tensorData(plan: Int8ProductsPlan, name: string): Uint8Array {
  const tensor = plan.view.initializers.get(name)!;
  for (const field of fields(tensor)) if (field.number === TENSOR_RAW_DATA && field.wireType === LEN) return field.payload!;
  const external = externalDataOf(tensor);
  const location = external.get('location');
  if (!location) throw new Error(`initializer "${name}" has neither raw data nor an external location`);
  const offset = Number(external.get('offset') ?? 0);
  const length = Number(external.get('length'));
  if (!Number.isSafeInteger(length)) throw new Error(`initializer "${name}" has no external data length`);
  const bytes = new Uint8Array(length);
  const fd = openSync(path.resolve(plan.modelDir, location), 'r');
  try {
    readSync(fd, bytes, 0, length, offset);
  } finally {
    closeSync(fd);
  }
  return bytes;
}
