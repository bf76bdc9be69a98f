import * as ort from 'onnxruntime-node';
import { KvCache, type KvDtype } from './kv-cache';

type KvData = Float32Array | Uint16Array;

/** A row of another batch cache (a batched prefill) joining this batch. */
export interface BatchRow {
  cache: BatchKvCache;
  row: number;
}

/** Where one row of a repacked batch takes its keys and values from. */
interface RowSource {
  data: (layer: number, part: number) => KvData;
  row: number;
  width: number;
  pad: number;
}

const PARTS = ['key', 'value'] as const;

/**
 * The key/value cache of a batch of sequences of different lengths, left-padded to a common width:
 * tensors `[batch, kv_heads, width, head_dim]`, row r holding its `width - pad[r]` real positions at the
 * right. Every decode step appends one column for all rows, so a row's padding never changes until the
 * batch is repacked. `repack` runs when the batch changes (sequences join or leave): it copies the rows that
 * stay and the newcomers' single-sequence caches into fresh tensors whose width is the longest row, so the
 * padding the rows share is dropped. The graph's own Concat copies the whole cache on every step anyway,
 * so a repack costs about one step's worth of memory traffic.
 */
export class BatchKvCache {
  private tensors: ort.Tensor[] = [];
  private pads: number[] = [];
  /** Columns of the cache (the longest row's length). */
  width = 0;

  constructor(
    private readonly numLayers: number,
    private readonly numKvHeads: number,
    private readonly headDim: number,
    readonly dtype: KvDtype,
  ) {}

  /** Sequences in the batch. */
  get size(): number {
    return this.pads.length;
  }

  /** Real positions held for row `row`. */
  lengthOf(row: number): number {
    return this.width - this.pads[row];
  }

  /** Bytes the cache holds now (padding included). */
  get bytes(): number {
    const element = this.dtype === 'float16' ? 2 : 4;
    return this.size * this.width * this.numLayers * 2 * this.numKvHeads * this.headDim * element;
  }

  /**
   * Empties the cache and sets it up for a batched prefill of prompts of `lengths` tokens: left-padded to
   * the longest, so after `update(outputs, max(lengths))` row r holds its prompt at the right, behind
   * `max - lengths[r]` padding columns (whose keys and values are never attended to).
   */
  startPrefill(lengths: readonly number[]): void {
    this.dispose();
    const width = Math.max(...lengths);
    this.pads = lengths.map((length) => width - length);
    const dims = [lengths.length, this.numKvHeads, 0, this.headDim];
    for (let i = 0; i < this.numLayers * 2; i++) {
      this.tensors.push(this.dtype === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims));
    }
  }

  /** Padding columns of row `row`. */
  padOf(row: number): number {
    return this.pads[row];
  }

  /** The `past_key_values.*` feeds. */
  feeds(): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let part = 0; part < 2; part++) feeds[`past_key_values.${layer}.${PARTS[part]}`] = this.tensors[layer * 2 + part];
    }
    return feeds;
  }

  /** The attention mask for a step that appends `newColumns` positions to every row: 0 over each row's padding. */
  attentionMask(newColumns = 1): ort.Tensor {
    const columns = this.width + newColumns;
    const mask = new BigInt64Array(this.size * columns);
    for (let row = 0; row < this.size; row++) mask.fill(1n, row * columns + this.pads[row], (row + 1) * columns);
    return new ort.Tensor('int64', mask, [this.size, columns]);
  }

  /** Takes ownership of the `present.*` outputs of a step that appended `newColumns` positions. */
  update(outputs: ort.InferenceSession.OnnxValueMapType, newColumns = 1): void {
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let part = 0; part < 2; part++) {
        const name = `present.${layer}.${PARTS[part]}`;
        const tensor = outputs[name] as ort.Tensor | undefined;
        if (!tensor) throw new Error(`the graph returned no ${name}`);
        this.tensors[layer * 2 + part]?.dispose();
        this.tensors[layer * 2 + part] = tensor;
      }
    }
    this.width += newColumns;
  }

  /**
   * Rebuilds the batch from the rows `keep` (indices into the current batch, in their new order) followed
   * by `added` single-sequence caches (disposed afterwards) or rows of batched-prefill caches (left to
   * their owner to dispose). Rows not kept are dropped.
   */
  repack(keep: readonly number[], added: readonly (KvCache | BatchRow)[]): void {
    const sources: RowSource[] = [
      ...keep.map((row) => ({ data: (layer: number, part: number) => this.tensors[layer * 2 + part].data as KvData, row, width: this.width, pad: this.pads[row] })),
      ...added.map((source) => {
        if (!(source instanceof KvCache)) {
          const { cache, row } = source;
          return { data: (layer: number, part: number) => cache.tensors[layer * 2 + part].data as KvData, row, width: cache.width, pad: cache.pads[row] };
        }
        if (!source.tensor(0, 'key')) throw new Error('a cache joining the batch holds no tensors');
        return { data: (layer: number, part: number) => source.tensor(layer, PARTS[part])!.data as KvData, row: 0, width: source.length, pad: 0 };
      }),
    ];
    const lengths = sources.map((source) => source.width - source.pad);
    const width = lengths.length > 0 ? Math.max(...lengths) : 0;
    const heads = this.numKvHeads;
    const dim = this.headDim;
    const next: ort.Tensor[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let part = 0; part < 2; part++) {
        const out = this.dtype === 'float16' ? new Uint16Array(sources.length * heads * width * dim) : new Float32Array(sources.length * heads * width * dim);
        sources.forEach((source, row) => {
          const data = source.data(layer, part);
          const length = lengths[row];
          for (let head = 0; head < heads; head++) {
            const from = ((source.row * heads + head) * source.width + source.pad) * dim;
            const to = ((row * heads + head) * width + (width - length)) * dim;
            out.set(data.subarray(from, from + length * dim), to);
          }
        });
        next.push(new ort.Tensor(this.dtype, out, [sources.length, heads, width, dim]));
      }
    }
    for (const tensor of this.tensors) tensor.dispose();
    for (const source of added) if (source instanceof KvCache) source.dispose();
    this.tensors = next;
    this.pads = lengths.map((length) => width - length);
    this.width = width;
  }

  dispose(): void {
    for (const tensor of this.tensors) tensor.dispose();
    this.tensors = [];
    this.pads = [];
    this.width = 0;
  }
}
