import * as ort from 'onnxruntime-node';

export type KvDtype = 'float32' | 'float16';

type KvData = Float32Array | Uint16Array;

/** Row `row` of another cache (a batched prefill's) joining a batch. */
export interface KvRow {
  cache: KvCache;
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
 * The key/value cache of one or more sequences: owns the `present.*` tensors of the last step and feeds them
 * back as `past_key_values.*`. Replaced tensors are disposed at once and `dispose()` frees everything, so a
 * finished or cancelled request gives its memory back immediately.
 *
 * Rows of different lengths are left-padded to a common width: tensors `[rows, kv_heads, width, head_dim]`,
 * row r holding its `width - pad[r]` real positions at the right. A single sequence is a cache of one row
 * without padding (`session.newCache()`; `DecoderSession.step` runs it). Every decode step appends one
 * column for all rows, so a row's padding never changes until the batch is repacked. `repack` runs when the
 * batch changes (sequences join or leave): it copies the rows that stay and the newcomers' rows into fresh
 * tensors whose width is the longest row, so the padding the rows share is dropped. The graph's own Concat
 * copies the whole cache on every step anyway, so a repack costs about one step's worth of memory traffic.
 */
export class KvCache {
  private tensors: ort.Tensor[] = [];
  private pads: number[];
  /** Columns of the cache (the longest row's length). */
  width = 0;

  /** `rows` empty rows (default 1: one sequence); a batch cache may start with 0 and get its rows from `repack`. */
  constructor(
    private readonly numLayers: number,
    private readonly numKvHeads: number,
    private readonly headDim: number,
    readonly dtype: KvDtype,
    rows = 1,
  ) {
    this.pads = new Array<number>(rows).fill(0);
  }

  /** Rows (sequences) in the cache. */
  get size(): number {
    return this.pads.length;
  }

  /** Real positions held for row `row`. */
  lengthOf(row: number): number {
    return this.width - this.pads[row];
  }

  /** Positions held by a one-sequence cache (its first row's length; 0 when it has no rows). */
  get length(): number {
    return this.size === 0 ? 0 : this.lengthOf(0);
  }

  /** Padding columns of row `row`. */
  padOf(row: number): number {
    return this.pads[row];
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
  }

  /** The `past_key_values.*` feeds: zero-length tensors before the first step. */
  feeds(): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let part = 0; part < 2; part++)
        feeds[`past_key_values.${layer}.${PARTS[part]}`] = this.tensors[layer * 2 + part] ?? this.empty();
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

  /** Takes ownership of the `present.*` outputs of a step that appended `newColumns` positions, and frees the previous ones. */
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

  /** The `present.{layer}.{part}` tensor of the last step (`[rows, kv_heads, width, head_dim]`), if any. */
  tensor(layer: number, part: 'key' | 'value'): ort.Tensor | undefined {
    return this.tensors[layer * 2 + PARTS.indexOf(part)];
  }

  /**
   * Rebuilds the batch from the rows `keep` (indices into the current batch, in their new order) followed
   * by `added` one-sequence caches (taken over: disposed afterwards) or rows of other caches (batched
   * prefills: left to their owner to dispose). Rows not kept are dropped.
   */
  repack(keep: readonly number[], added: readonly (KvCache | KvRow)[]): void {
    const rowOf = (cache: KvCache, row: number): RowSource => {
      if (!cache.tensors[0]) throw new Error('a cache joining the batch holds no tensors');
      return { data: (layer, part) => cache.tensors[layer * 2 + part].data as KvData, row, width: cache.width, pad: cache.pads[row] };
    };
    const sources: RowSource[] = [
      ...keep.map((row) => rowOf(this, row)),
      ...added.map((source) => {
        if (!(source instanceof KvCache)) return rowOf(source.cache, source.row);
        if (source.size !== 1) throw new Error(`a cache of ${source.size} rows cannot join a batch as one sequence`);
        return rowOf(source, 0);
      }),
    ];
    const lengths = sources.map((source) => source.width - source.pad);
    const width = lengths.length > 0 ? Math.max(...lengths) : 0;
    const heads = this.numKvHeads;
    const dim = this.headDim;
    const next: ort.Tensor[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let part = 0; part < 2; part++) {
        const out =
          this.dtype === 'float16'
            ? new Uint16Array(sources.length * heads * width * dim)
            : new Float32Array(sources.length * heads * width * dim);
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

  /** Frees every tensor; the cache is left with no rows. */
  dispose(): void {
    for (const tensor of this.tensors) tensor.dispose();
    this.tensors = [];
    this.pads = [];
    this.width = 0;
  }

  private empty(): ort.Tensor {
    const dims = [this.size, this.numKvHeads, 0, this.headDim];
    return this.dtype === 'float16'
      ? new ort.Tensor('float16', new Uint16Array(0), dims)
      : new ort.Tensor('float32', new Float32Array(0), dims);
  }
}
