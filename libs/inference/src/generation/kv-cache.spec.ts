import * as ort from 'onnxruntime-node';
import { KvCache, type KvLayout } from './kv-cache';

const LAYERS = 2;
const HEADS = 2;
const DIM = 4;

/** `present.*` tensors of one sequence of `length` positions, every element `tag + position` (values negated). */
const present = (length: number, tag: number): Record<string, ort.Tensor> => newPositions(length, [tag]);

/** A shared step's `present.*` outputs `[rows, heads, columns, dim]`: row r's `tags[r] + column` per position (values negated). */
function newPositions(columns: number, tags: number[]): Record<string, ort.Tensor> {
  const rows = tags.length;
  const tensors: Record<string, ort.Tensor> = {};
  for (let layer = 0; layer < LAYERS; layer++) {
    for (const [sign, part] of [
      [1, 'key'],
      [-1, 'value'],
    ] as const) {
      const data = new Float32Array(rows * HEADS * columns * DIM);
      for (let row = 0; row < rows; row++)
        for (let head = 0; head < HEADS; head++)
          for (let column = 0; column < columns; column++) {
            const at = ((row * HEADS + head) * columns + column) * DIM;
            data.fill(sign * (tags[row] + column), at, at + DIM);
          }
      tensors[`present.${layer}.${part}`] = new ort.Tensor('float32', data, [rows, HEADS, columns, DIM]);
    }
  }
  return tensors;
}

const cacheOf = (layout: KvLayout, length: number, tag: number): KvCache => {
  const cache = new KvCache(LAYERS, HEADS, DIM, 'float32', 1, layout);
  cache.load(present(length, tag), length);
  return cache;
};

/** The key of `row`, head 1, at each of the row's real positions (first element of each position). */
function keysOf(cache: KvCache, row: number, layer = 1): number[] {
  const tensor = cache.tensor(layer, 'key')!;
  const width = tensor.dims[2];
  const data = tensor.data as Float32Array;
  const start = cache.padOf(row);
  return Array.from({ length: cache.lengthOf(row) }, (_, p) => data[((row * HEADS + 1) * width + start + p) * DIM]);
}

describe('KvCache, shared layout', () => {
  it('holds a loaded sequence from column 0 with spare capacity, and reports the lengths a fused step needs', () => {
    const cache = cacheOf('shared', 5, 100);
    expect(cache.length).toBe(5);
    expect(cache.padOf(0)).toBe(0);
    expect(cache.width).toBe(64);
    expect(keysOf(cache, 0)).toEqual([100, 101, 102, 103, 104]);
    // Three new positions: each attends to the 5 held, itself and the new ones before it.
    const bias = cache.attentionBias(3);
    expect(bias.dims).toEqual([1, 1, 3, 64 + 3]);
    const attended = (position: number): number[] =>
      Array.from((bias.data as Float32Array).subarray(position * 67, (position + 1) * 67).entries())
        .filter(([, value]) => value === 0)
        .map(([column]) => column);
    expect(attended(0)).toEqual([0, 1, 2, 3, 4, 64]);
    expect(attended(2)).toEqual([0, 1, 2, 3, 4, 64, 65, 66]);
    expect(Math.min(...(bias.data as Float32Array))).toBeLessThan(-1e20);
    // The graph reads the buffers themselves (fed, not copied).
    expect(cache.feeds()['past_key_values.1.value']).toBe(cache.tensor(1, 'value'));
  });

  it('reserves in place while the rows fit and grows, keeping every position, when they do not', () => {
    const cache = cacheOf('shared', 60, 0);
    const buffer = cache.tensor(0, 'key');
    cache.reserve(4);
    expect(cache.tensor(0, 'key')).toBe(buffer);
    cache.reserve(5);
    expect(cache.tensor(0, 'key')).not.toBe(buffer);
    expect(cache.width).toBe(128);
    expect(keysOf(cache, 0)).toEqual(Array.from({ length: 60 }, (_, p) => p));
    cache.update(newPositions(5, [60]), 5);
    expect(cache.length).toBe(65);
    expect(keysOf(cache, 0)).toEqual(Array.from({ length: 65 }, (_, p) => p));
  });

  it("writes a step's new positions after each row's own length", () => {
    const batch = new KvCache(LAYERS, HEADS, DIM, 'float32', 0, 'shared');
    batch.repack([], [cacheOf('shared', 3, 10), cacheOf('shared', 7, 20)]);
    batch.reserve(1);
    batch.update(newPositions(1, [13, 100]), 1);
    expect(keysOf(batch, 0)).toEqual([10, 11, 12, 13]);
    expect(keysOf(batch, 1)).toEqual([20, 21, 22, 23, 24, 25, 26, 100]);
    const values = batch.tensor(0, 'value')!.data as Float32Array;
    // Row 1, head 0, its new position (column 7): the value part's negated tag.
    expect(values[((1 * HEADS + 0) * batch.width + 7) * DIM]).toBe(-100);
  });

  it('repacks rows of different lengths from column 0: rows kept, rows dropped, newcomers joined', () => {
    const batch = new KvCache(LAYERS, HEADS, DIM, 'float32', 0, 'shared');
    batch.repack([], [cacheOf('shared', 3, 10), cacheOf('shared', 7, 20), cacheOf('shared', 2, 30)]);
    expect([0, 1, 2].map((row) => batch.lengthOf(row))).toEqual([3, 7, 2]);
    // One new position per row: row r attends to its own length in the buffer and the new column.
    const bias = batch.attentionBias(1).data as Float32Array;
    const width = batch.width + 1;
    expect([0, 1, 2].map((row) => bias.subarray(row * width, (row + 1) * width).filter((value) => value === 0).length)).toEqual([4, 8, 3]);
    batch.repack([2, 0], [cacheOf('shared', 4, 40)]);
    expect(batch.size).toBe(3);
    expect(keysOf(batch, 0)).toEqual([30, 31]);
    expect(keysOf(batch, 1)).toEqual([10, 11, 12]);
    expect(keysOf(batch, 2)).toEqual([40, 41, 42, 43]);
  });
});

describe('KvCache, concat layout', () => {
  it('left-pads rows to the longest and takes loaded tensors over as they are', () => {
    const loaded = present(3, 10);
    const single = new KvCache(LAYERS, HEADS, DIM, 'float32');
    single.load(loaded, 3);
    expect(single.tensor(0, 'key')).toBe(loaded['present.0.key']);
    const batch = new KvCache(LAYERS, HEADS, DIM, 'float32', 0);
    batch.repack([], [single, cacheOf('concat', 5, 20)]);
    expect(batch.width).toBe(5);
    expect([batch.padOf(0), batch.padOf(1)]).toEqual([2, 0]);
    expect(keysOf(batch, 0)).toEqual([10, 11, 12]);
    expect(keysOf(batch, 1)).toEqual([20, 21, 22, 23, 24]);
    const mask = Array.from(batch.attentionMask(1).data as BigInt64Array, Number);
    expect(mask).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });
});
