import * as ort from 'onnxruntime-node';

export type KvDtype = 'float32' | 'float16';

/**
 * How a graph takes its cache. `concat`: the export's contract, past in and a new, one column longer present
 * out each step, rows left-padded to a common width. `shared`: a fused graph (onnx/fused-attention.ts) reads
 * one preallocated buffer per layer and part as its past and returns only the step's new positions, which
 * the cache writes into the buffers; rows hold their positions from column 0 and the graph is told each
 * row's length.
 */
export type KvLayout = 'concat' | 'shared';

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
  /** First column of the row's positions. */
  start: number;
  length: number;
}

const PARTS = ['key', 'value'] as const;

/**
 * The key/value cache of one or more sequences, as the graph takes it (see {@link KvLayout}). Tensors
 * `[rows, kv_heads, width, head_dim]` per layer and part; row r holds `lengthOf(r)` real positions from
 * column `padOf(r)`. Replaced tensors are disposed at once and `dispose()` frees everything, so a finished
 * or cancelled request gives its memory back immediately.
 *
 * `concat`: rows are left-padded to the longest (`width` = longest row); every decode step appends one
 * column for all rows through the graph's own Concat, which copies the whole cache into new `present.*`
 * tensors, so a row's padding never changes until the batch is repacked.
 *
 * `shared`: rows start at column 0 and `width` is the buffers' capacity. The buffers are fed as they are
 * (onnxruntime-node wraps an input's memory, it does not copy it) and a step's new positions are written
 * after each row's length (`reserve` grows the buffers first, by at least a quarter, when a row would not
 * fit). Only the new positions cross the binding: onnxruntime-node 1.30 returns every output, bound ones
 * included, as a fresh copy, which for whole buffers cost more than the step's attention (360M, one row at
 * a 1,000-token context: 42.8 → 29.1 ms a step once only new positions came back).
 *
 * In both, `repack` runs when the batch changes (sequences join or leave): it copies the rows that stay and
 * the newcomers' rows into fresh tensors, dropping shared padding.
 */
export class KvCache {
  private tensors: ort.Tensor[] = [];
  private lengths: number[];
  /** Row lengths a batched prefill sets once its outputs land (concat layout). */
  private pendingLengths: number[] | undefined;
  /** Columns of the tensors: the longest row (concat) or the buffers' capacity (shared). */
  width = 0;

  /** `rows` empty rows (default 1: one sequence); a batch cache may start with 0 and get its rows from `repack`. */
  constructor(
    readonly numLayers: number,
    private readonly numKvHeads: number,
    private readonly headDim: number,
    readonly dtype: KvDtype,
    rows = 1,
    readonly layout: KvLayout = 'concat',
  ) {
    this.lengths = new Array<number>(rows).fill(0);
  }

  /** Rows (sequences) in the cache. */
  get size(): number {
    return this.lengths.length;
  }

  /** Real positions held for row `row`. */
  lengthOf(row: number): number {
    return this.lengths[row];
  }

  /** Positions held by a one-sequence cache (its first row's length; 0 when it has no rows). */
  get length(): number {
    return this.size === 0 ? 0 : this.lengthOf(0);
  }

  /** The column where row `row`'s positions start (its left padding; always 0 when shared). */
  padOf(row: number): number {
    if (this.layout === 'shared') return 0;
    const pending = this.pendingLengths;
    return pending ? Math.max(...pending) - pending[row] : this.width - this.lengths[row];
  }

  /** Bytes the cache holds now (padding and spare capacity included). */
  get bytes(): number {
    const element = this.dtype === 'float16' ? 2 : 4;
    return this.size * this.width * this.numLayers * 2 * this.numKvHeads * this.headDim * element;
  }

  /**
   * Empties the cache and sets it up for a batched prefill of prompts of `lengths` tokens: left-padded to
   * the longest, so after `update(outputs, max(lengths))` row r holds its prompt at the right, behind
   * `max - lengths[r]` padding columns (whose keys and values are never attended to). Concat layout only.
   */
  startPrefill(lengths: readonly number[]): void {
    if (this.layout === 'shared') throw new Error('a shared-buffer cache is prefilled one sequence at a time');
    this.dispose();
    this.lengths = lengths.map(() => 0);
    this.pendingLengths = [...lengths];
  }

  /**
   * Shared layout: makes room for `newColumns` more positions in every row, growing the buffers when the
   * longest row would not fit: by a quarter at least, in whole blocks, so the copies a growth costs add up to
   * a few per cache however long it gets, while spare room stays within a quarter of what the rows hold (the
   * KV budget counts tokens, not capacity). A no-op for the concat layout.
   */
  reserve(newColumns: number): void {
    if (this.layout !== 'shared') return;
    const needed = Math.max(0, ...this.lengths) + newColumns;
    if (this.tensors.length > 0 && needed <= this.width) return;
    const capacity = roundUp(Math.max(needed, Math.ceil(this.width * 1.25)));
    this.rebuild(
      this.lengths.map((length, row) => this.rowOf(this, row, length)),
      capacity,
    );
  }

  /** The `past_key_values.*` feeds: zero-length tensors before the first concat step, the buffers when shared. */
  feeds(): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let part = 0; part < 2; part++)
        feeds[`past_key_values.${layer}.${PARTS[part]}`] = this.tensors[layer * 2 + part] ?? this.empty();
    }
    return feeds;
  }

  /** The attention mask for a concat step that appends `newColumns` positions to every row: 0 over each row's padding. */
  attentionMask(newColumns = 1): ort.Tensor {
    const columns = this.width + newColumns;
    const mask = new BigInt64Array(this.size * columns);
    for (let row = 0; row < this.size; row++) mask.fill(1n, row * columns + this.padOf(row), (row + 1) * columns);
    return new ort.Tensor('int64', mask, [this.size, columns]);
  }

  /**
   * The fused graph's `attention_bias` for a shared step that appends `newColumns` positions to every row:
   * [rows, 1, newColumns, width + newColumns], 0 where a new position attends (its row's positions in the
   * buffer, itself and the new positions before it), a large negative elsewhere (the buffer's spare columns,
   * later new positions).
   */
  attentionBias(newColumns = 1): ort.Tensor {
    const columns = this.width + newColumns;
    const bias = new Float32Array(this.size * newColumns * columns).fill(MASKED);
    for (let row = 0; row < this.size; row++) {
      for (let position = 0; position < newColumns; position++) {
        const start = (row * newColumns + position) * columns;
        bias.fill(0, start, start + this.lengths[row]);
        bias.fill(0, start + this.width, start + this.width + position + 1);
      }
    }
    return new ort.Tensor('float32', bias, [this.size, 1, newColumns, columns]);
  }

  /**
   * After a step that appended `newColumns` positions to every row: concat takes ownership of the
   * `present.*` outputs and frees the previous ones; shared writes the new positions into its buffers.
   */
  update(outputs: ort.InferenceSession.OnnxValueMapType, newColumns = 1): void {
    if (this.layout === 'shared') this.append(outputs, newColumns);
    else {
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
    this.lengths = this.pendingLengths ?? this.lengths.map((length) => length + newColumns);
    this.pendingLengths = undefined;
  }

  /**
   * Shared layout: writes a step's new positions (`present.*` outputs `[rows, kv_heads, newColumns, head_dim]`)
   * into the buffers after each row's positions (`reserve` made room).
   */
  private append(outputs: ort.InferenceSession.OnnxValueMapType, newColumns: number): void {
    const heads = this.numKvHeads;
    const dim = this.headDim;
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let part = 0; part < 2; part++) {
        const name = `present.${layer}.${PARTS[part]}`;
        const added = (outputs[name] as ort.Tensor | undefined)?.data as KvData | undefined;
        if (!added) throw new Error(`the graph returned no ${name}`);
        const buffer = this.tensors[layer * 2 + part].data as KvData;
        this.lengths.forEach((length, row) => {
          for (let head = 0; head < heads; head++) {
            const from = (row * heads + head) * newColumns * dim;
            buffer.set(added.subarray(from, from + newColumns * dim), ((row * heads + head) * this.width + length) * dim);
          }
        });
      }
    }
  }

  /**
   * Fills an empty one-sequence cache with `length` positions held at the start of `present.*`-named
   * tensors `[1, kv_heads, columns ≥ length, head_dim]` (a prefix cache hit, a prompt prefilled on another
   * thread). The tensors are taken over when they fit the layout as they are, copied otherwise.
   */
  load(tensors: Record<string, ort.Tensor>, length: number): void {
    const first = tensors['present.0.key'];
    if (!first) throw new Error('no present.0.key to load');
    const columns = first.dims[2];
    if (this.layout === 'concat' && columns === length) {
      this.update(tensors, length);
      return;
    }
    const source: RowSource = {
      data: (layer, part) => tensors[`present.${layer}.${PARTS[part]}`].data as KvData,
      row: 0,
      width: columns,
      start: 0,
      length,
    };
    this.rebuild([source], this.layout === 'shared' ? roundUp(length + 1) : length);
  }

  /** The tensor of `layer`'s keys or values (`[rows, kv_heads, width, head_dim]`), if any. */
  tensor(layer: number, part: 'key' | 'value'): ort.Tensor | undefined {
    return this.tensors[layer * 2 + PARTS.indexOf(part)];
  }

  /**
   * Rebuilds the batch from the rows `keep` (indices into the current batch, in their new order) followed
   * by `added` one-sequence caches (taken over: disposed afterwards) or rows of other caches (batched
   * prefills: left to their owner to dispose). Rows not kept are dropped.
   */
  repack(keep: readonly number[], added: readonly (KvCache | KvRow)[]): void {
    const sources: RowSource[] = [
      ...keep.map((row) => this.rowOf(this, row, this.lengths[row])),
      ...added.map((source) => {
        if (!(source instanceof KvCache)) return this.rowOf(source.cache, source.row, source.cache.lengthOf(source.row));
        if (source.size !== 1) throw new Error(`a cache of ${source.size} rows cannot join a batch as one sequence`);
        return this.rowOf(source, 0, source.length);
      }),
    ];
    const longest = Math.max(0, ...sources.map((source) => source.length));
    // Shared buffers keep room to decode a block of steps before they would grow again.
    this.rebuild(sources, this.layout === 'shared' ? roundUp(longest + 1) : longest);
    for (const source of added) if (source instanceof KvCache) source.dispose();
  }

  /** Frees every tensor; the cache is left with no rows. */
  dispose(): void {
    for (const tensor of this.tensors) tensor.dispose();
    this.tensors = [];
    this.lengths = [];
    this.width = 0;
  }

  private rowOf(cache: KvCache, row: number, length: number): RowSource {
    if (!cache.tensors[0] && length > 0) throw new Error('a cache joining the batch holds no tensors');
    return {
      data: (layer, part) => cache.tensors[layer * 2 + part].data as KvData,
      row,
      width: cache.width,
      start: cache.padOf(row),
      length,
    };
  }

  /** New tensors of `width` columns holding `sources` as rows (left-padded for concat, from column 0 when shared). */
  private rebuild(sources: readonly RowSource[], width: number): void {
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
          if (source.length === 0) return;
          const data = source.data(layer, part);
          const column = this.layout === 'shared' ? 0 : width - source.length;
          for (let head = 0; head < heads; head++) {
            const from = ((source.row * heads + head) * source.width + source.start) * dim;
            const to = ((row * heads + head) * width + column) * dim;
            out.set(data.subarray(from, from + source.length * dim), to);
          }
        });
        next.push(new ort.Tensor(this.dtype, out, [sources.length, heads, width, dim]));
      }
    }
    for (const tensor of this.tensors) tensor.dispose();
    this.tensors = next;
    this.lengths = sources.map((source) => source.length);
    this.width = width;
  }

  private empty(): ort.Tensor {
    const dims = [this.size, this.numKvHeads, 0, this.headDim];
    return this.dtype === 'float16'
      ? new ort.Tensor('float16', new Uint16Array(0), dims)
      : new ort.Tensor('float32', new Float32Array(0), dims);
  }
}

/** The bias of a position not attended to: softmax gives it 0 (finite, so a sum never turns NaN). */
const MASKED = -1e30;
/** Shared buffers grow in blocks of this many positions. */
const CAPACITY_BLOCK = 64;

function roundUp(columns: number): number {
  return Math.max(CAPACITY_BLOCK, Math.ceil(columns / CAPACITY_BLOCK) * CAPACITY_BLOCK);
}
