import { open } from 'node:fs/promises';

/** GGUF metadata value types (gguf.h `gguf_type`). */
enum GgufValueType {
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
}

/** ggml tensor types used here (ggml.h `ggml_type`). */
export enum GgmlType {
  F32 = 0,
  Q4_0 = 2,
}

/** Elements per Q4_0 block and its size: an fp16 scale, then 16 bytes of nibbles. */
export const Q4_0_BLOCK = 32;
const Q4_0_BLOCK_BYTES = 18;
const ALIGNMENT = 32;

export type GgufValue =
  | { type: 'u32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'i32[]'; value: ArrayLike<number> };

interface PendingTensor {
  name: string;
  /** ggml order: `ne[0]` is the contiguous (input) dimension. */
  ne: number[];
  type: GgmlType;
  data: Uint8Array;
}

/**
 * Writes a GGUF v3 file (llama.cpp's model format): header, metadata key/values, tensor infos, then
 * the tensor data, each tensor aligned to 32 bytes. Everything is little-endian.
 */
export class GgufWriter {
  private readonly metadata: Array<[string, GgufValue]> = [];
  private readonly tensors: PendingTensor[] = [];

  set(key: string, value: GgufValue): this {
    this.metadata.push([key, value]);
    return this;
  }

  /** Adds a tensor; `ne` lists dimensions innermost first, as ggml does ([in, out] for a weight matrix). */
  addTensor(name: string, type: GgmlType, ne: number[], data: Uint8Array): this {
    const expected = tensorBytes(type, ne);
    if (data.byteLength !== expected) throw new Error(`tensor ${name}: ${data.byteLength} bytes, expected ${expected}`);
    this.tensors.push({ name, ne, type, data });
    return this;
  }

  /** Writes the file and returns its size in bytes. */
  async write(file: string): Promise<number> {
    const header = new ByteSink();
    header.bytes(Buffer.from('GGUF', 'latin1'));
    header.u32(3);
    header.u64(this.tensors.length);
    header.u64(this.metadata.length);
    for (const [key, value] of this.metadata) {
      header.string(key);
      writeValue(header, value);
    }
    let offset = 0;
    const offsets: number[] = [];
    for (const tensor of this.tensors) {
      header.string(tensor.name);
      header.u32(tensor.ne.length);
      for (const dim of tensor.ne) header.u64(dim);
      header.u32(tensor.type);
      header.u64(offset);
      offsets.push(offset);
      offset = alignUp(offset + tensor.data.byteLength);
    }
    const headerBytes = header.toBuffer();
    const handle = await open(file, 'w');
    try {
      await handle.write(headerBytes);
      await handle.write(new Uint8Array(alignUp(headerBytes.byteLength) - headerBytes.byteLength));
      let written = 0;
      for (const [i, tensor] of this.tensors.entries()) {
        if (offsets[i] > written) await handle.write(new Uint8Array(offsets[i] - written));
        await handle.write(tensor.data);
        written = offsets[i] + tensor.data.byteLength;
      }
      return alignUp(headerBytes.byteLength) + written;
    } finally {
      await handle.close();
    }
  }
}

function tensorBytes(type: GgmlType, ne: number[]): number {
  const elements = ne.reduce((a, b) => a * b, 1);
  switch (type) {
    case GgmlType.F32:
      return elements * 4;
    case GgmlType.Q4_0:
      if (ne[0] % Q4_0_BLOCK !== 0) throw new Error(`Q4_0 rows must be a multiple of ${Q4_0_BLOCK} long, got ${ne[0]}`);
      return (elements / Q4_0_BLOCK) * Q4_0_BLOCK_BYTES;
  }
}

const alignUp = (n: number): number => Math.ceil(n / ALIGNMENT) * ALIGNMENT;

function writeValue(sink: ByteSink, value: GgufValue): void {
  switch (value.type) {
    case 'u32':
      sink.u32(GgufValueType.UINT32);
      sink.u32(value.value);
      return;
    case 'f32':
      sink.u32(GgufValueType.FLOAT32);
      sink.f32(value.value);
      return;
    case 'bool':
      sink.u32(GgufValueType.BOOL);
      sink.bytes(Uint8Array.of(value.value ? 1 : 0));
      return;
    case 'string':
      sink.u32(GgufValueType.STRING);
      sink.string(value.value);
      return;
    case 'string[]':
      sink.u32(GgufValueType.ARRAY);
      sink.u32(GgufValueType.STRING);
      sink.u64(value.value.length);
      for (const item of value.value) sink.string(item);
      return;
    case 'i32[]': {
      sink.u32(GgufValueType.ARRAY);
      sink.u32(GgufValueType.INT32);
      sink.u64(value.value.length);
      const data = Int32Array.from(value.value);
      sink.bytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      return;
    }
  }
}

/** A growable little-endian byte buffer for the header and metadata. */
class ByteSink {
  private buffer = Buffer.alloc(1 << 16);
  private length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const next = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + n));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }

  u32(value: number): void {
    this.reserve(4);
    this.length = this.buffer.writeUInt32LE(value, this.length);
  }

  u64(value: number): void {
    this.reserve(8);
    this.length = this.buffer.writeBigUInt64LE(BigInt(value), this.length);
  }

  f32(value: number): void {
    this.reserve(4);
    this.length = this.buffer.writeFloatLE(value, this.length);
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.byteLength);
    this.buffer.set(data, this.length);
    this.length += data.byteLength;
  }

  string(value: string): void {
    const utf8 = Buffer.from(value, 'utf8');
    this.u64(utf8.byteLength);
    this.bytes(utf8);
  }

  toBuffer(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** IEEE half-precision bits of `value`, rounded to nearest even (what numpy's astype(float16) does). */
export function toFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mantissa | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    if (rest > midpoint || (rest === midpoint && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}
