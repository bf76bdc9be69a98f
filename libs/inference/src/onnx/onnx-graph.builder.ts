import { OnnxAttributeType, OnnxDataType, modelProtoType } from './onnx-proto';

/** An attribute value with its ONNX type made explicit (1 and 1.0 are the same number in JavaScript). */
export type OnnxAttribute =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string };

export const attrInt = (value: number): OnnxAttribute => ({ kind: 'int', value });
export const attrFloat = (value: number): OnnxAttribute => ({ kind: 'float', value });
export const attrInts = (value: number[]): OnnxAttribute => ({ kind: 'ints', value });

/** A graph input or output dimension: a fixed size or a symbolic name such as `batch_size`. */
export type OnnxDim = number | string;

interface Initializer {
  name: string;
  dataType: OnnxDataType;
  dims: number[];
  bytes: Uint8Array;
}

/** Where the weights go when a graph is serialised. */
export interface ExternalDataPlan {
  /** Base file name, e.g. `model.onnx_data`; later chunks get `_1`, `_2`, … */
  fileName: string;
  /** Largest chunk in bytes. */
  chunkBytes: number;
}

/** The serialised model: the .onnx bytes and the external data chunks (file name → bytes). */
export interface SerializedModel {
  model: Uint8Array;
  externalData: Array<{ fileName: string; chunks: Uint8Array[] }>;
}

/**
 * Builds an ONNX graph node by node. Names are generated so callers write the maths, not the plumbing.
 */
export class OnnxGraphBuilder {
  private readonly nodes: object[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private counter = 0;
  private readonly constCache = new Map<string, string>();

  constructor(private readonly graphName: string) {}

  input(name: string, dataType: OnnxDataType, dims: OnnxDim[]): string {
    this.inputs.push(valueInfo(name, dataType, dims));
    return name;
  }

  output(name: string, dataType: OnnxDataType, dims: OnnxDim[]): void {
    this.outputs.push(valueInfo(name, dataType, dims));
  }

  initializer(name: string, dataType: OnnxDataType, dims: number[], data: ArrayBufferView): string {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dataType, dims, bytes });
    return name;
  }

  /** A small int64 constant (shapes, axes), shared between nodes that use the same values. */
  int64(values: number[], dims: number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const cached = this.constCache.get(key);
    if (cached) return cached;
    const name = this.initializer(`const_${this.counter++}`, OnnxDataType.INT64, dims, BigInt64Array.from(values.map(BigInt)));
    this.constCache.set(key, name);
    return name;
  }

  /** A small float32 constant. */
  float(values: number[], dims: number[] = [values.length]): string {
    const key = `f32:${dims.join('x')}:${values.join(',')}`;
    const cached = this.constCache.get(key);
    if (cached) return cached;
    const name = this.initializer(`const_${this.counter++}`, OnnxDataType.FLOAT, dims, Float32Array.from(values));
    this.constCache.set(key, name);
    return name;
  }

  /** Adds a node and returns its output names (`outputCount` fresh ones unless `outputs` names them). */
  node(
    opType: string,
    inputs: string[],
    attributes: Record<string, OnnxAttribute> = {},
    options: { outputs?: string[]; outputCount?: number; domain?: string } = {},
  ): string[] {
    const id = this.counter++;
    const outputs = options.outputs ?? Array.from({ length: options.outputCount ?? 1 }, (_, k) => `${opType.toLowerCase()}_${id}_${k}`);
    this.nodes.push({
      name: `${opType}_${id}`,
      opType,
      domain: options.domain ?? '',
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([name, attribute]) => attributeProto(name, attribute)),
    });
    return outputs;
  }

  /** Shorthand for a node with a single output. */
  op(opType: string, inputs: string[], attributes: Record<string, OnnxAttribute> = {}, domain?: string): string {
    return this.node(opType, inputs, attributes, { domain })[0];
  }

  get weightBytes(): number {
    return this.initializers.reduce((sum, init) => sum + init.bytes.byteLength, 0);
  }

  /**
   * Serialises the model. With `externalData`, every initializer over 1 KiB goes to data files beside
   * the graph (the layout onnxruntime and transformers.js resolve relative to the .onnx file).
   */
  serialize(options: { opsets: Record<string, number>; externalData?: ExternalDataPlan }): SerializedModel {
    const external: Array<{ fileName: string; chunks: Uint8Array[]; size: number }> = [];
    const initializerProtos = this.initializers.map((init) => {
      const plan = options.externalData;
      if (!plan || init.bytes.byteLength <= 1024) {
        return { name: init.name, dataType: init.dataType, dims: init.dims, rawData: init.bytes };
      }
      let current = external[external.length - 1];
      if (!current || current.size + init.bytes.byteLength > plan.chunkBytes) {
        const index = external.length;
        current = { fileName: index === 0 ? plan.fileName : `${plan.fileName}_${index}`, chunks: [], size: 0 };
        external.push(current);
      }
      const offset = current.size;
      current.chunks.push(init.bytes);
      current.size += init.bytes.byteLength;
      return {
        name: init.name,
        dataType: init.dataType,
        dims: init.dims,
        dataLocation: 1,
        externalData: [
          { key: 'location', value: current.fileName },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(init.bytes.byteLength) },
        ],
      };
    });
    const type = modelProtoType();
    const message = type.fromObject({
      irVersion: 8,
      producerName: 'slm-router',
      producerVersion: '0.1.0',
      opsetImport: Object.entries(options.opsets).map(([domain, version]) => ({ domain, version })),
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: initializerProtos,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return { model: type.encode(message).finish(), externalData: external.map(({ fileName, chunks }) => ({ fileName, chunks })) };
  }
}

function valueInfo(name: string, elemType: OnnxDataType, dims: OnnxDim[]): object {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}

function attributeProto(name: string, attribute: OnnxAttribute): object {
  switch (attribute.kind) {
    case 'int':
      return { name, type: OnnxAttributeType.INT, i: attribute.value };
    case 'float':
      return { name, type: OnnxAttributeType.FLOAT, f: attribute.value };
    case 'ints':
      return { name, type: OnnxAttributeType.INTS, ints: attribute.value };
    case 'floats':
      return { name, type: OnnxAttributeType.FLOATS, floats: attribute.value };
    case 'string':
      return { name, type: OnnxAttributeType.STRING, s: Buffer.from(attribute.value, 'utf8') };
    default:
      return assertUnreachable(attribute);
  }
}

export function assertUnreachable(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
