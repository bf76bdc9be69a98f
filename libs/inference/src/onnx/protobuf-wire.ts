/**
 * The protobuf wire format, just enough to walk and splice ONNX models without decoding them: a graph can
 * be gigabytes of initializers that a rewrite must keep byte for byte, and fields this library has no
 * schema for must survive too.
 */

export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;
export const FIXED32 = 5;

export interface WireField {
  number: number;
  wireType: number;
  /** Where the whole field (key included) starts and ends. */
  start: number;
  end: number;
  /** LEN: the payload. */
  payload?: Uint8Array;
  /** VARINT: the value. */
  value?: number;
}

/** The fields of one message, in order. */
export function* fields(bytes: Uint8Array): Generator<WireField> {
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

export function readVarint(bytes: Uint8Array, pos: number): [number, number] {
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

/** A VARINT field's value read as a signed int64 (ONNX's int attributes: -1 is ten bytes of 0xff…01). */
export function int64Value(bytes: Uint8Array, field: WireField): number {
  let pos = field.start;
  while (bytes[pos] >= 0x80) pos++; // the key
  pos++;
  let value = 0n;
  for (let shift = 0n; pos < field.end; shift += 7n) value |= BigInt(bytes[pos++] & 0x7f) << shift;
  return Number(BigInt.asIntN(64, value));
}

export function varint(value: number): Uint8Array {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

/** A varint field, as parts to concatenate. */
export function varintField(number: number, value: number): Uint8Array[] {
  return [varint(number * 8 + VARINT), varint(value)];
}

/** A length-delimited field, as parts to concatenate. */
export function lenField(number: number, payload: Uint8Array): Uint8Array[] {
  return [varint(number * 8 + LEN), varint(payload.length), payload];
}

export const text = (bytes: Uint8Array | undefined): string =>
  bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : '';
