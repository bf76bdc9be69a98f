import {
  ATTRIBUTE_INT,
  ATTRIBUTE_NAME,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  GRAPH_SPARSE_INITIALIZER,
  MODEL_GRAPH,
  MODEL_OPSET_IMPORT,
  NODE_ATTRIBUTE,
  NODE_DOMAIN,
  NODE_INPUT,
  NODE_OP_TYPE,
  NODE_OUTPUT,
  OPSET_DOMAIN,
  OPSET_VERSION,
  SPARSE_TENSOR_VALUES,
  TENSOR_NAME,
  VALUE_INFO_NAME,
} from './onnx-fields';
import { LEN, VARINT, type WireField, fields, int64Value, lenField, text } from './protobuf-wire';

/**
 * A decoder graph as the compiler's passes see it: nodes with their inputs, outputs and integer
 * attributes, which tensors are constant, who produces and who reads each tensor. Read from the wire
 * bytes without decoding initializers (a graph can hold gigabytes of weights).
 */
export interface GraphNode {
  index: number;
  field: WireField;
  inputs: string[];
  outputs: string[];
  opType: string;
  domain: string;
  ints: Map<string, number>;
}

export interface GraphView {
  graph: Uint8Array;
  nodes: GraphNode[];
  /** Initializers, sparse initializers and Constant outputs, and whatever is computed from them alone. */
  constants: Set<string>;
  /** Each initializer's TensorProto bytes (views into the model, not copies), by name. */
  initializers: Map<string, Uint8Array>;
  inputs: string[];
  outputs: string[];
  outputFields: Map<string, WireField>;
  producer: Map<string, GraphNode>;
  consumers: Map<string, GraphNode[]>;
  defaultOpset: number;
}

export function readGraph(model: Uint8Array): GraphView {
  let graph: Uint8Array | undefined;
  let defaultOpset = 0;
  for (const field of fields(model)) {
    if (field.number === MODEL_GRAPH && field.wireType === LEN) graph = field.payload!;
    else if (field.number === MODEL_OPSET_IMPORT && field.wireType === LEN) {
      let domain = '';
      let version = 0;
      for (const inner of fields(field.payload!)) {
        if (inner.number === OPSET_DOMAIN) domain = text(inner.payload);
        else if (inner.number === OPSET_VERSION && inner.wireType === VARINT) version = inner.value!;
      }
      if (domain === '' || domain === 'ai.onnx') defaultOpset = version;
    }
  }
  if (!graph) throw new Error('the model has no graph');
  const nodes: GraphNode[] = [];
  const constants = new Set<string>();
  const initializers = new Map<string, Uint8Array>();
  const inputs: string[] = [];
  const outputs: string[] = [];
  const outputFields = new Map<string, WireField>();
  for (const field of fields(graph)) {
    if (field.wireType !== LEN) continue;
    switch (field.number) {
      case GRAPH_NODE:
        nodes.push(readNode(field, nodes.length));
        break;
      case GRAPH_INITIALIZER: {
        const name = nameOf(field.payload!, TENSOR_NAME);
        constants.add(name);
        initializers.set(name, field.payload!);
        break;
      }
      case GRAPH_SPARSE_INITIALIZER:
        for (const inner of fields(field.payload!)) {
          if (inner.number === SPARSE_TENSOR_VALUES && inner.wireType === LEN) constants.add(nameOf(inner.payload!, TENSOR_NAME));
        }
        break;
      case GRAPH_INPUT:
        inputs.push(nameOf(field.payload!, VALUE_INFO_NAME));
        break;
      case GRAPH_OUTPUT: {
        const name = nameOf(field.payload!, VALUE_INFO_NAME);
        outputs.push(name);
        outputFields.set(name, field);
        break;
      }
      default:
        break;
    }
  }
  // An initializer that is also a graph input can be overridden by a feed: not a constant.
  for (const input of inputs) constants.delete(input);
  // Constant folding of names: nodes whose inputs are all constants (Transpose of a tied embedding, …).
  for (let changed = true; changed;) {
    changed = false;
    for (const node of nodes) {
      if (node.outputs.every((output) => constants.has(output))) continue;
      const inputsConstant =
        node.opType === 'Constant' || (node.inputs.length > 0 && node.inputs.every((input) => input === '' || constants.has(input)));
      if (!inputsConstant) continue;
      for (const output of node.outputs) constants.add(output);
      changed = true;
    }
  }
  const producer = new Map<string, GraphNode>();
  const consumers = new Map<string, GraphNode[]>();
  for (const node of nodes) {
    for (const output of node.outputs) producer.set(output, node);
    for (const input of new Set(node.inputs)) {
      if (input === '') continue;
      const list = consumers.get(input) ?? [];
      list.push(node);
      consumers.set(input, list);
    }
  }
  return { graph, nodes, constants, initializers, inputs, outputs, outputFields, producer, consumers, defaultOpset };
}

function readNode(field: WireField, index: number): GraphNode {
  const node: GraphNode = { index, field, inputs: [], outputs: [], opType: '', domain: '', ints: new Map() };
  for (const inner of fields(field.payload!)) {
    if (inner.number === NODE_INPUT) node.inputs.push(text(inner.payload));
    else if (inner.number === NODE_OUTPUT) node.outputs.push(text(inner.payload));
    else if (inner.number === NODE_OP_TYPE) node.opType = text(inner.payload);
    else if (inner.number === NODE_DOMAIN) node.domain = text(inner.payload);
    else if (inner.number === NODE_ATTRIBUTE && inner.wireType === LEN) {
      let name = '';
      let value: number | undefined;
      for (const attribute of fields(inner.payload!)) {
        if (attribute.number === ATTRIBUTE_NAME) name = text(attribute.payload);
        else if (attribute.number === ATTRIBUTE_INT && attribute.wireType === VARINT) value = int64Value(inner.payload!, attribute);
      }
      if (value !== undefined) node.ints.set(name, value);
    }
  }
  return node;
}

export function nameOf(message: Uint8Array, nameField: number): string {
  for (const field of fields(message)) if (field.number === nameField && field.wireType === LEN) return text(field.payload);
  return '';
}

/** `node` (NodeProto bytes) with its input `from` read as `to`. */
export function renameInput(node: Uint8Array, from: string, to: string): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const field of fields(node)) {
    if (field.number === NODE_INPUT && field.wireType === LEN && text(field.payload) === from)
      parts.push(...lenField(NODE_INPUT, Buffer.from(to)));
    else parts.push(node.subarray(field.start, field.end));
  }
  return Buffer.concat(parts);
}

/** One graph field as a splice sees it: its field number, bytes and payload, and its index among the nodes. */
export interface GraphFieldVisit {
  number: number;
  payload: Uint8Array;
  bytes: Uint8Array;
  /** The node's index in graph order (`GraphNode.index`), for node fields. */
  nodeIndex?: number;
}

/**
 * One pass's changes to a graph, applied with others in a single splice (a graph can be gigabytes: each
 * separate rewrite would hold one more copy of it). `visit` returns what goes in place of a
 * length-delimited graph field — new encoded fields, or nothing to drop it — or `undefined` when the pass
 * leaves that field to the others; `appended` goes at the end of the graph.
 */
export interface GraphEdit {
  visit(field: GraphFieldVisit): Uint8Array[] | undefined;
  appended: Uint8Array[];
}

/**
 * The model with its graph rebuilt field by field by `edits` (the first edit with an answer for a field
 * decides it; the passes touch disjoint fields); every other byte of the model is kept as it is.
 */
export function spliceGraph(model: Uint8Array, edits: readonly GraphEdit[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const field of fields(model)) {
    if (field.number !== MODEL_GRAPH || field.wireType !== LEN) {
      parts.push(model.subarray(field.start, field.end));
      continue;
    }
    const graphParts: Uint8Array[] = [];
    let nodeIndex = 0;
    for (const graphField of fields(field.payload!)) {
      const bytes = field.payload!.subarray(graphField.start, graphField.end);
      if (graphField.wireType !== LEN) {
        graphParts.push(bytes);
        continue;
      }
      const visit = {
        number: graphField.number,
        payload: graphField.payload!,
        bytes,
        nodeIndex: graphField.number === GRAPH_NODE ? nodeIndex++ : undefined,
      };
      let replaced: Uint8Array[] | undefined;
      for (const edit of edits) if ((replaced = edit.visit(visit)) !== undefined) break;
      graphParts.push(...(replaced ?? [bytes]));
    }
    parts.push(...lenField(MODEL_GRAPH, Buffer.concat([...graphParts, ...edits.flatMap((edit) => edit.appended)])));
  }
  return Buffer.concat(parts);
}
