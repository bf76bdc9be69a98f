import type { InferenceErrorCode } from '../inference.errors';
import type { FinishReason } from '../inference.types';
import type { BatchKvCache, BatchRow } from '../generation/batch-kv-cache';
import type { DecoderSession } from '../generation/decoder-session';
import { type ResolvedGenerationConfig, type StepResult, TokenGenerator } from '../generation/token-generator';
import type { RemotePrefill } from './prefill-thread';

/** What the scheduler reports, per request. */
export interface SchedulerEvents {
  token(id: number, token: number): void;
  done(id: number, finishReason: FinishReason, timings: { prefillMs: number; decodeMs: number; cachedPromptTokens: number }): void;
  failed(id: number, code: InferenceErrorCode, message: string): void;
}

export interface BatchSchedulerOptions {
  /** Sequences decoding together at most. */
  maxBatchSize: number;
  /** Prompt tokens prefilled between two decode steps at most (a longer prompt is prefilled in chunks). */
  prefillChunkTokens: number;
  /** KV cache tokens reserved by all admitted sequences together at most (prompt + maxNewTokens each). */
  maxKvTokens: number;
  /**
   * Padded prompt tokens (rows × longest prompt) one batched prefill of several newcomers may run in a
   * tick. Prompts longer than this are prefilled alone in chunks of `prefillChunkTokens`.
   * Default `prefillChunkTokens`.
   */
  prefillTokenBudget?: number;
}

/** Runs prompts on another thread (PrefillThread); `alive` turns false if that thread dies. */
export interface PromptPrefiller {
  readonly alive: boolean;
  prefill(promptIds: readonly number[]): Promise<RemotePrefill>;
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
  /** Where its KV cache is when a batched prefill computed it (else the generator holds it). */
  prefilledRow?: BatchRow;
}

/**
 * Continuous batching over one decoder session. Each `tick()`:
 * 1. drops cancelled and finished sequences (waiting or batched);
 * 2. prefills newcomers when the batch has room and the KV budget allows: several waiting prompts together
 *    in one left-padded run of at most `prefillTokenBudget` padded tokens (the oldest waiting request
 *    always first; later ones join it when they fit), or, when only one fits, one chunk of
 *    `prefillChunkTokens` of one newcomer alone;
 * 3. repacks the batch's left-padded KV cache if sequences left or a newcomer finished its prefill;
 * 4. runs one decode step for every batched sequence and hands each its own logits row.
 * Running streams therefore advance by one token per tick whatever arrives, and a newcomer waits at most
 * for one decode step per prefill chunk, never for the batch to finish.
 *
 * With a `prefiller` (the engine's prefill thread, a second session on another core), step 2 instead hands
 * the oldest admissible newcomer's whole prompt to that thread and does not wait: decode steps go on while
 * it runs, the first token is sampled here when it lands, and the sequence joins at the next tick. Running
 * streams then never stall behind a prompt. If the thread dies, prefill falls back to this thread. A burst of newcomers is prefilled
 * a few at a time rather than one by one: a prefill run reads the weights once for all its rows, as a
 * decode step does. Batched and solo prefill differ only by floating-point rounding (the tests check the
 * tokens against solo runs). Sampling state (processors, seeded
 * PRNG, stopping) lives in each sequence's TokenGenerator.
 */
export class BatchScheduler {
  private readonly waiting: Sequence[] = [];
  private prefilling: Sequence | undefined;
  private readonly joining: Sequence[] = [];
  private rows: Sequence[] = [];
  private readonly cache: BatchKvCache;
  /** Caches of this tick's batched prefills, disposed once their rows are repacked into the batch. */
  private readonly prefillCaches: BatchKvCache[] = [];
  private reservedTokens = 0;
  private readonly prefillTokenBudget: number;
  /** The sequence whose prompt runs on the prefill thread, and the promise that lands it. */
  private remote: { sequence: Sequence; landed: Promise<void> } | undefined;

  constructor(
    private readonly session: DecoderSession,
    private readonly options: BatchSchedulerOptions,
    private readonly events: SchedulerEvents,
    private readonly prefiller?: PromptPrefiller,
  ) {
    this.cache = session.newBatchCache();
    this.prefillTokenBudget = options.prefillTokenBudget ?? options.prefillChunkTokens;
  }

  /** No work left. */
  get idle(): boolean {
    return this.waiting.length === 0 && !this.prefilling && !this.remote && this.joining.length === 0 && this.rows.length === 0;
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
    if (this.prefiller?.alive && !this.prefilling) this.startRemotePrefill(this.prefiller);
    else await this.prefillStep();
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
      this.cache.repack(keep, joining.map((sequence) => sequence.prefilledRow ?? sequence.generator.takeCache()));
      this.rows = [...stay, ...joining];
    }
    for (const cache of this.prefillCaches.splice(0)) cache.dispose();
    if (this.rows.length > 0) await this.decodeStep();
    // Nothing to decode yet: wait for the prompt on the prefill thread rather than spin.
    else if (this.remote && this.joining.length === 0) await this.remote.landed;
  }

  /** Frees every sequence's cache. */
  dispose(): void {
    for (const sequence of this.all()) sequence.generator.dispose();
    for (const cache of this.prefillCaches.splice(0)) cache.dispose();
    this.cache.dispose();
  }

  private async prefillStep(): Promise<void> {
    if (this.prefilling?.cancelled) {
      this.finish(this.prefilling, 'cancelled');
      this.prefilling = undefined;
    }
    if (!this.prefilling) {
      const group = this.admitGroup();
      if (group.length === 0) return;
      if (group.length > 1) {
        await this.prefillGroup(group);
        return;
      }
      this.prefilling = group[0];
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

  /** Sends the next admissible newcomer's prompt to the prefill thread, unless one is running there. */
  private startRemotePrefill(prefiller: PromptPrefiller): void {
    if (this.remote) return;
    const [sequence] = this.admitGroup(1);
    if (!sequence) return;
    const landed = prefiller.prefill(sequence.generator.pendingPrompt).then(
      (prefilled) => this.landRemote(sequence, prefilled),
      (error: Error) => {
        if (prefiller.alive) return this.fail(sequence, error);
        // The thread died: this prompt goes back to the head of the line, for this thread to prefill.
        this.reservedTokens -= sequence.reservedTokens;
        sequence.admitted = false;
        this.waiting.unshift(sequence);
      },
    );
    this.remote = { sequence, landed };
    void landed.finally(() => {
      this.remote = undefined;
      // Keep the prefill thread busy: the next newcomer starts now, not at the next tick.
      if (prefiller.alive) this.startRemotePrefill(prefiller);
    });
  }

  /** A prompt prefilled on the prefill thread: sample its first token here; it joins at the next tick. */
  private landRemote(sequence: Sequence, prefilled: RemotePrefill): void {
    if (sequence.cancelled) return this.finish(sequence, 'cancelled');
    let result: StepResult;
    try {
      result = sequence.generator.completePrefill(prefilled.logits, prefilled.ms, prefilled.into(this.session.newCache()), prefilled.cachedTokens);
    } catch (error) {
      return this.fail(sequence, error as Error);
    }
    this.events.token(sequence.id, result.token);
    if (result.finishReason) this.finish(sequence, result.finishReason);
    else this.joining.push(sequence);
  }

  /**
   * Takes the newcomers of the next prefill off the waiting list and reserves their KV tokens: the oldest
   * waiting request, then (when its prompt fits the budget) later ones while the padded size
   * rows × longest prompt stays within `prefillTokenBudget`, the batch has room and the KV budget allows.
   */
  private admitGroup(maxRows = Infinity): Sequence[] {
    const free = Math.min(maxRows, this.options.maxBatchSize - this.rows.length - this.joining.length);
    const head = this.waiting[0];
    if (!head || free <= 0 || this.reservedTokens + head.reservedTokens > this.options.maxKvTokens) return [];
    const group = [head];
    let reserved = this.reservedTokens + head.reservedTokens;
    let longest = head.generator.prefillRemaining;
    if (longest <= this.prefillTokenBudget) {
      for (const candidate of this.waiting.slice(1)) {
        if (group.length >= free) break;
        const width = Math.max(longest, candidate.generator.prefillRemaining);
        if ((group.length + 1) * width > this.prefillTokenBudget || reserved + candidate.reservedTokens > this.options.maxKvTokens) continue;
        group.push(candidate);
        longest = width;
        reserved += candidate.reservedTokens;
      }
    }
    for (const sequence of group) {
      this.waiting.splice(this.waiting.indexOf(sequence), 1);
      sequence.admitted = true;
      this.reservedTokens += sequence.reservedTokens;
    }
    return group;
  }

  /** One left-padded prefill run for `group`; each row samples its first token and joins the batch. */
  private async prefillGroup(group: Sequence[]): Promise<void> {
    const cache = this.session.newBatchCache();
    const started = performance.now();
    let logits: Float32Array[];
    try {
      logits = await this.session.prefillBatch(
        group.map((sequence) => sequence.generator.pendingPrompt),
        cache,
      );
    } catch (error) {
      cache.dispose();
      for (const sequence of group) this.fail(sequence, error as Error);
      return;
    }
    const elapsed = performance.now() - started;
    this.prefillCaches.push(cache);
    group.forEach((sequence, row) => {
      const result = sequence.generator.completePrefill(logits[row], elapsed);
      this.events.token(sequence.id, result.token);
      if (result.finishReason) this.finish(sequence, result.finishReason);
      else {
        sequence.prefilledRow = { cache, row };
        this.joining.push(sequence);
      }
    });
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
    const { prefillMs, decodeMs, cachedPromptTokens } = sequence.generator;
    this.events.done(sequence.id, finishReason, { prefillMs, decodeMs, cachedPromptTokens });
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
    if (this.remote) yield this.remote.sequence;
    yield* this.joining;
    yield* this.rows;
  }
}
