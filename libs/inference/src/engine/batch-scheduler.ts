import type { InferenceErrorCode } from '../inference.errors';
import type { FinishReason } from '../inference.types';
import type { BatchKvCache } from '../generation/batch-kv-cache';
import type { DecoderSession } from '../generation/decoder-session';
import { type ResolvedGenerationConfig, type StepResult, TokenGenerator } from '../generation/token-generator';

/** What the scheduler reports, per request. */
export interface SchedulerEvents {
  token(id: number, token: number): void;
  done(id: number, finishReason: FinishReason, timings: { prefillMs: number; decodeMs: number }): void;
  failed(id: number, code: InferenceErrorCode, message: string): void;
}

export interface BatchSchedulerOptions {
  /** Sequences decoding together at most. */
  maxBatchSize: number;
  /** Prompt tokens prefilled between two decode steps at most (a longer prompt is prefilled in chunks). */
  prefillChunkTokens: number;
  /** KV cache tokens reserved by all admitted sequences together at most (prompt + maxNewTokens each). */
  maxKvTokens: number;
}

interface Sequence {
  id: number;
  generator: TokenGenerator;
  /** KV positions this sequence may ever need: prompt + new tokens, capped by the context. */
  reservedTokens: number;
  cancelled: boolean;
  /** Its reservation counts against the KV budget (from the start of its prefill). */
  admitted: boolean;
  finished?: FinishReason;
}

/**
 * Continuous batching over one decoder session. Each `tick()`:
 * 1. drops cancelled and finished sequences (waiting or batched);
 * 2. runs at most one prefill chunk of one newcomer, alone (batch 1, so its KV cache and first token are
 *    exactly those of a solo run), when the batch has room and the KV budget allows;
 * 3. repacks the batch's left-padded KV cache if sequences left or a newcomer finished its prefill;
 * 4. runs one decode step for every batched sequence and hands each its own logits row.
 * Running streams therefore advance by one token per tick whatever arrives, and a newcomer waits at most
 * for one decode step per prefill chunk, never for the batch to finish. Sampling state (processors, seeded
 * PRNG, stopping) lives in each sequence's TokenGenerator.
 */
export class BatchScheduler {
  private readonly waiting: Sequence[] = [];
  private prefilling: Sequence | undefined;
  private readonly joining: Sequence[] = [];
  private rows: Sequence[] = [];
  private readonly cache: BatchKvCache;
  private reservedTokens = 0;

  constructor(
    private readonly session: DecoderSession,
    private readonly options: BatchSchedulerOptions,
    private readonly events: SchedulerEvents,
  ) {
    this.cache = session.newBatchCache();
  }

  /** No work left. */
  get idle(): boolean {
    return this.waiting.length === 0 && !this.prefilling && this.joining.length === 0 && this.rows.length === 0;
  }

  /** Sequences in the running batch (after the last tick). */
  get batchSize(): number {
    return this.rows.length;
  }

  /** Queues a request; it joins the batch after its prefill. */
  submit(id: number, promptIds: readonly number[], config: ResolvedGenerationConfig): void {
    const reservedTokens = Math.min(promptIds.length + config.maxNewTokens, config.contextLength);
    if (reservedTokens > this.options.maxKvTokens) {
      this.events.failed(id, 'INPUT_TOO_LONG', `the request needs ${reservedTokens} KV cache tokens; the budget is ${this.options.maxKvTokens}`);
      return;
    }
    this.waiting.push({ id, generator: new TokenGenerator(this.session, promptIds, config), reservedTokens, cancelled: false, admitted: false });
  }

  /** Stops a request at the next tick (it reports done with 'cancelled'); unknown ids are ignored. */
  cancel(id: number): void {
    for (const sequence of this.all()) if (sequence.id === id) sequence.cancelled = true;
  }

  cancelAll(): void {
    for (const sequence of this.all()) sequence.cancelled = true;
  }

  async tick(): Promise<void> {
    for (const sequence of this.waiting.splice(0)) {
      if (sequence.cancelled) this.finish(sequence, 'cancelled');
      else this.waiting.push(sequence);
    }
    await this.prefillStep();
    const keep: number[] = [];
    const stay: Sequence[] = [];
    this.rows.forEach((sequence, row) => {
      if (sequence.cancelled && !sequence.finished) sequence.finished = 'cancelled';
      if (sequence.finished) this.finish(sequence, sequence.finished);
      else {
        keep.push(row);
        stay.push(sequence);
      }
    });
    const joining = this.joining.splice(0).filter((sequence) => {
      if (!sequence.cancelled) return true;
      this.finish(sequence, 'cancelled');
      return false;
    });
    if (keep.length !== this.rows.length || joining.length > 0) {
      this.cache.repack(keep, joining.map((sequence) => sequence.generator.takeCache()));
      this.rows = [...stay, ...joining];
    }
    if (this.rows.length > 0) await this.decodeStep();
  }

  /** Frees every sequence's cache. */
  dispose(): void {
    for (const sequence of this.all()) sequence.generator.dispose();
    this.cache.dispose();
  }

  private async prefillStep(): Promise<void> {
    if (this.prefilling?.cancelled) {
      this.finish(this.prefilling, 'cancelled');
      this.prefilling = undefined;
    }
    if (!this.prefilling) {
      const next = this.waiting[0];
      const room = this.rows.length + this.joining.length < this.options.maxBatchSize;
      if (!next || !room || this.reservedTokens + next.reservedTokens > this.options.maxKvTokens) return;
      this.prefilling = this.waiting.shift()!;
      this.prefilling.admitted = true;
      this.reservedTokens += this.prefilling.reservedTokens;
    }
    const sequence = this.prefilling;
    let result: StepResult | undefined;
    try {
      result = await sequence.generator.prefillChunk(this.options.prefillChunkTokens);
    } catch (error) {
      this.prefilling = undefined;
      this.fail(sequence, error as Error);
      return;
    }
    if (!result) return;
    this.prefilling = undefined;
    this.events.token(sequence.id, result.token);
    if (result.finishReason) this.finish(sequence, result.finishReason);
    else this.joining.push(sequence);
  }

  private async decodeStep(): Promise<void> {
    const started = performance.now();
    let output: { logits: Float32Array; vocab: number };
    try {
      output = await this.session.stepBatch(
        this.rows.map((sequence) => sequence.generator.nextInput),
        this.rows.map((sequence) => sequence.generator.length - 1),
        this.cache,
      );
    } catch (error) {
      // A failed step leaves the cache unusable: every batched sequence fails, waiting ones go on.
      for (const sequence of this.rows) this.fail(sequence, error as Error);
      this.rows = [];
      this.cache.dispose();
      return;
    }
    const elapsed = performance.now() - started;
    const { logits, vocab } = output;
    this.rows.forEach((sequence, row) => {
      sequence.generator.decodeMs += elapsed;
      const result = sequence.generator.accept(logits.subarray(row * vocab, (row + 1) * vocab));
      this.events.token(sequence.id, result.token);
      if (result.finishReason) sequence.finished = result.finishReason;
    });
  }

  private finish(sequence: Sequence, finishReason: FinishReason): void {
    this.release(sequence);
    this.events.done(sequence.id, finishReason, { prefillMs: sequence.generator.prefillMs, decodeMs: sequence.generator.decodeMs });
  }

  private fail(sequence: Sequence, error: Error): void {
    this.release(sequence);
    this.events.failed(sequence.id, 'INTERNAL', error.message);
  }

  private release(sequence: Sequence): void {
    sequence.generator.dispose();
    if (sequence.admitted) this.reservedTokens -= sequence.reservedTokens;
    sequence.admitted = false;
  }

  private *all(): Iterable<Sequence> {
    yield* this.waiting;
    if (this.prefilling) yield this.prefilling;
    yield* this.joining;
    yield* this.rows;
  }
}
