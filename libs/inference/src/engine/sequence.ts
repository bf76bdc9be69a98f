import type { KvRow } from '../generation/kv-cache';
import type { TokenGenerator } from '../generation/token-generator';

/**
 * Where a sequence is in the scheduler: `queued` (waiting, no KV reserved) → `prefilling` (admitted: its
 * KV tokens are reserved and its prompt runs) → `decoding` (first token sampled; one token per decode
 * step) → `finished` (reported done or failed; everything it held is freed). A prompt whose prefill thread
 * died goes back from `prefilling` to `queued`; any live state may end in `finished`.
 */
export type SequenceState = 'queued' | 'prefilling' | 'decoding' | 'finished';

const TRANSITIONS: Record<SequenceState, readonly SequenceState[]> = {
  queued: ['prefilling', 'finished'],
  prefilling: ['queued', 'decoding', 'finished'],
  decoding: ['finished'],
  finished: [],
};

/**
 * Where a sequence's keys and values are: its generator's own one-row cache (a prompt prefilled alone,
 * here or on the prefill thread), a row of a batched prefill's cache until it joins the batch, or a row
 * of the running batch's cache.
 */
export type SequenceKv = { in: 'generator' } | { in: 'prefill'; row: KvRow } | { in: 'batch' };

/** One request inside the engine thread: its generation state, its KV rows and its place in the scheduler. */
export class Sequence {
  private current: SequenceState = 'queued';
  /** Cancel was asked for; the scheduler acts on it where the sequence is next safe to stop. */
  cancelRequested = false;
  kv: SequenceKv = { in: 'generator' };

  constructor(
    readonly id: number,
    /** Prompt, tokens so far, sampling and stopping state. */
    readonly generator: TokenGenerator,
    /** KV positions this sequence may ever need: prompt + new tokens, capped by the context. */
    readonly reservedTokens: number,
  ) {}

  get state(): SequenceState {
    return this.current;
  }

  /** Its reservation counts against the KV budget and it takes (or will take) a batch row. */
  get admitted(): boolean {
    return this.current === 'prefilling' || this.current === 'decoding';
  }

  /** Moves to `next`; throws on a transition the lifecycle does not allow. */
  moveTo(next: SequenceState): void {
    if (!TRANSITIONS[this.current].includes(next)) throw new Error(`sequence ${this.id} cannot go from ${this.current} to ${next}`);
    this.current = next;
  }
}
