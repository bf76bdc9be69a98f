import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import type { KvCache, KvDtype } from './kv-cache';

type KvArray = Float32Array | Uint16Array;

/** Options of {@link PrefixCache}. */
export interface PrefixCacheOptions {
  /** Prompt prefixes are cached and matched in whole blocks of this many tokens. */
  blockTokens: number;
  /** Memory the cached keys and values may take, bytes; the least recently used prefixes go first. */
  budgetBytes: number;
}

/** A stored prefix: its tokens and its keys and values (`[1, kv_heads, length, head_dim]` per layer and part). */
interface Entry {
  ids: number[];
  kv: KvArray[];
  kvHeads: number;
  headDim: number;
  dtype: KvDtype;
  bytes: number;
  /** The block-chain hashes of each of its block boundaries (the index keys that may point at it). */
  hashes: string[];
}

/**
 * Keys and values of prompt prefixes, reused across requests: a worker's system prompt and chat-template
 * head, or the few-shot header of a whole batch, is computed once. A prompt is cut into blocks of
 * `blockTokens`; block k's key hashes block k with the key of block k-1 (as vLLM's prefix caching does),
 * so one lookup per block boundary finds the longest cached prefix. Entries are whole prompts (cut at
 * their last block boundary) in least-recently-used order within a byte budget; a hit copies the
 * matched part into a fresh cache, so entries are never shared with a running sequence.
 *
 * The suffix after a hit is prefilled from the block boundary on, not from the chunk boundaries a cold
 * prefill uses: logits agree to float rounding (the tests compare greedy tokens and logits), not bit for bit.
 */
export class PrefixCache {
  private readonly entries = new Map<Entry, true>();
  private readonly index = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly options: PrefixCacheOptions) {
    if (!Number.isInteger(options.blockTokens) || options.blockTokens < 1) throw new Error('blockTokens must be an integer >= 1');
  }

  /**
   * Fills `cache` (empty) with the longest cached prefix of `ids` that leaves at least one token to
   * prefill (the last position's logits come from the prefill), and returns its length (0: no hit).
   */
  restore(ids: readonly number[], cache: KvCache, numLayers: number): number {
    const hashes = this.blockHashes(ids, Math.floor((ids.length - 1) / this.options.blockTokens));
    for (let blocks = hashes.length; blocks > 0; blocks--) {
      const entry = this.index.get(hashes[blocks - 1] as string);
      const length = blocks * this.options.blockTokens;
      if (!entry || entry.dtype !== cache.dtype || !sameTokens(entry.ids, ids, length)) continue;
      // Most recently used last: eviction takes from the front.
      this.entries.delete(entry);
      this.entries.set(entry, true);
      const dims = [1, entry.kvHeads, length, entry.headDim];
      const outputs: Record<string, ort.Tensor> = {};
      for (let layer = 0; layer < numLayers; layer++) {
        for (const [part, name] of ['key', 'value'].entries()) {
          const data = slicePositions(entry.kv[layer * 2 + part] as KvArray, entry.kvHeads, entry.ids.length, length, entry.headDim);
          outputs[`present.${layer}.${name}`] = new ort.Tensor(cache.dtype, data, dims);
        }
      }
      cache.load(outputs, length);
      return length;
    }
    return 0;
  }

  /** Keeps the prompt's keys and values up to its last block boundary, unless a cached entry already covers it. */
  store(ids: readonly number[], cache: KvCache, numLayers: number): void {
    const blocks = Math.floor(Math.min(ids.length, cache.length) / this.options.blockTokens);
    if (blocks === 0) return;
    const hashes = this.blockHashes(ids, blocks);
    const length = blocks * this.options.blockTokens;
    const known = this.index.get(hashes[blocks - 1] as string);
    if (known && sameTokens(known.ids, ids, length)) return;
    const first = cache.tensor(0, 'key');
    if (!first) return;
    const [, kvHeads = 0, cached = 0, headDim = 0] = first.dims;
    const kv: KvArray[] = [];
    for (let layer = 0; layer < numLayers; layer++) {
      for (const part of ['key', 'value'] as const)
        kv.push(slicePositions(cache.tensor(layer, part)!.data as KvArray, kvHeads, cached, length, headDim));
    }
    const bytes = kv.reduce((sum, array) => sum + array.byteLength, 0);
    if (bytes > this.options.budgetBytes) return;
    const entry: Entry = { ids: ids.slice(0, length), kv, kvHeads, headDim, dtype: cache.dtype, bytes, hashes };
    this.entries.set(entry, true);
    for (const hash of hashes) this.index.set(hash, entry);
    this.bytes += bytes;
    for (const [oldest] of this.entries) {
      if (this.bytes <= this.options.budgetBytes) break;
      this.evict(oldest);
    }
  }

  /** Bytes of keys and values held. */
  get size(): number {
    return this.bytes;
  }

  private evict(entry: Entry): void {
    this.entries.delete(entry);
    this.bytes -= entry.bytes;
    for (const hash of entry.hashes) if (this.index.get(hash) === entry) this.index.delete(hash);
    // A shorter prefix of the evicted prompt may still live in another entry: point its blocks there.
    for (const other of this.entries.keys()) for (const hash of other.hashes) if (!this.index.has(hash)) this.index.set(hash, other);
  }

  /** The chained hash of each of the first `blocks` blocks of `ids`. */
  private blockHashes(ids: readonly number[], blocks: number): string[] {
    const hashes: string[] = [];
    const size = this.options.blockTokens;
    let previous = '';
    for (let block = 0; block < blocks; block++) {
      const tokens = Int32Array.from(ids.slice(block * size, (block + 1) * size));
      previous = createHash('sha256').update(previous).update(new Uint8Array(tokens.buffer)).digest('base64url');
      hashes.push(previous);
    }
    return hashes;
  }
}

function sameTokens(cached: readonly number[], ids: readonly number[], length: number): boolean {
  if (cached.length < length) return false;
  for (let i = 0; i < length; i++) if (cached[i] !== ids[i]) return false;
  return true;
}

/** The first `length` positions of a `[1, heads, from, headDim]` array, as a new `[1, heads, length, headDim]` array. */
function slicePositions(data: KvArray, heads: number, from: number, length: number, headDim: number): KvArray {
  const out = data instanceof Float32Array ? new Float32Array(heads * length * headDim) : new Uint16Array(heads * length * headDim);
  for (let head = 0; head < heads; head++) {
    const start = head * from * headDim;
    out.set(data.subarray(start, start + length * headDim), head * length * headDim);
  }
  return out;
}
