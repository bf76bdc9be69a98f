import type { InferenceErrorCode } from '../inference.errors';
import type { FinishReason } from '../inference.types';
import type { DecoderSession } from '../generation/decoder-session';
import type { KvCache } from '../generation/kv-cache';
import type { PrefixCache } from '../generation/prefix-cache';
import { type ResolvedGenerationConfig, type StepResult, TokenGenerator } from '../generation/token-generator';
import type { RemotePrefill } from './prefill-thread';
import { Sequence } from './sequence';

/** One new token of one request. */
export interface TokenEvent {
  id: number;
  token: number;
}

/** What the scheduler reports. */
export interface SchedulerEvents {
  /**
   * The tokens of one step, in one call: every row of a decode step, every row of a batched prefill, or
   * the first token of one prompt. A request's tokens always come before its `done`.
   */
  tokens(events: readonly TokenEvent[]): void;
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
   * Prompt tokens a tick may prefill: padded tokens (rows × longest prompt) of one batched prefill of
   * several newcomers (concat layout; longer prompts are prefilled alone in chunks of `prefillChunkTokens`),
   * or chunks of one newcomer after another (graphs that prefill one sequence at a time).
   * Default `prefillChunkTokens`.
   */
  prefillTokenBudget?: number;
  /** Prompt prefixes reused across requests by prompts prefilled on this thread (the prefill thread keeps its own). */
  prefixes?: PrefixCache;
}

/** Runs prompts on another thread (PrefillThread); `alive` turns false if that thread dies. */
export interface PromptPrefiller {
  readonly alive: boolean;
  prefill(promptIds: readonly number[]): Promise<RemotePrefill>;
}

/**
 * Continuous batching over one decoder session. Each `tick()`:
 * 1. finishes cancelled waiting sequences;
 * 2. prefills newcomers when the batch has room and the KV budget allows: several waiting prompts together
 *    in one left-padded run of at most `prefillTokenBudget` padded tokens (the oldest waiting request
 *    always first; later ones join it when they fit; concat-layout graphs only, see DecoderSession), or,
 *    when only one fits, one chunk of `prefillChunkTokens` of one newcomer alone (shared-layout graphs:
 *    chunks of one newcomer after another up to `prefillTokenBudget` tokens);
 * 3. repacks the batch's left-padded KV cache if sequences finished or were cancelled, or a newcomer finished
 *    its prefill;
 * 4. runs one decode step for every batched sequence, hands each its own logits row, and reports the
 *    step's tokens in one `tokens` call (a sequence that stops is reported done at once; its row goes at
 *    the next repack).
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
 *
 * Each request is a {@link Sequence} with one explicit state (queued → prefilling → decoding → finished).
 * The scheduler keeps one queue (`waiting`, queued sequences in arrival order) and the running set
 * (`running`: admitted sequences, the batch cache's rows first and in row order); who is prefilling, who
 * joins at the next repack and the KV tokens reserved are all read off the sequences' states.
 */
export class BatchScheduler {
  /** Queued sequences, oldest first. */
  private readonly waiting: Sequence[] = [];
  /**
   * Admitted sequences (prefilling or decoding, plus finished ones until the next repack drops them): those
   * holding a row of `cache` come first, in row order.
   */
  private running: Sequence[] = [];
  private readonly cache: KvCache;
  /** Caches of this tick's batched prefills, disposed once their rows are repacked into the batch. */
  private readonly prefillCaches: KvCache[] = [];
  private readonly prefillTokenBudget: number;
  /** The prompt on the prefill thread, and the promise that lands it. */
  private remote: { sequence: Sequence; landed: Promise<void> } | undefined;

  constructor(
    private readonly session: DecoderSession,
    private readonly options: BatchSchedulerOptions,
    private readonly events: SchedulerEvents,
    private readonly prefiller?: PromptPrefiller,
  ) {
    this.cache = session.newCache(0);
    this.prefillTokenBudget = options.prefillTokenBudget ?? options.prefillChunkTokens;
  }

  /** No work left. */
  get idle(): boolean {
    return this.waiting.length === 0 && this.running.length === 0 && !this.remote;
  }

  /** Sequences in the running batch (after the last tick). */
  get batchSize(): number {
    return this.batchRows().length;
  }

  /** Queues a request; it joins the batch after its prefill. */
  submit(id: number, promptIds: readonly number[], config: ResolvedGenerationConfig): void {
    const reservedTokens = Math.min(promptIds.length + config.maxNewTokens, config.contextLength);
    if (reservedTokens > this.options.maxKvTokens) {
      this.events.failed(
        id,
        'INPUT_TOO_LONG',
        `the request needs ${reservedTokens} KV cache tokens; the budget is ${this.options.maxKvTokens}`,
      );
      return;
    }
    this.waiting.push(new Sequence(id, new TokenGenerator(this.session, promptIds, config, this.options.prefixes), reservedTokens));
  }

  /** Stops a request at the next tick (it reports done with 'cancelled'); unknown ids are ignored. */
  cancel(id: number): void {
    for (const sequence of this.all()) if (sequence.id === id) sequence.cancelRequested = true;
  }

  cancelAll(): void {
    for (const sequence of this.all()) sequence.cancelRequested = true;
  }

  async tick(): Promise<void> {
    for (const sequence of this.waiting.splice(0)) {
      if (sequence.cancelRequested) this.finish(sequence, 'cancelled');
      else this.waiting.push(sequence);
    }
    if (this.prefiller?.alive && !this.prefillingHere()) this.startRemotePrefill(this.prefiller);
    else await this.prefillStep();
    this.repack();
    for (const cache of this.prefillCaches.splice(0)) cache.dispose();
    if (this.batchRows().length > 0) await this.decodeStep();
    // Nothing to decode yet: wait for the prompt on the prefill thread rather than spin.
    else if (this.remote) await this.remote.landed;
  }

  /** Frees every sequence's cache. */
  dispose(): void {
    for (const sequence of this.all()) sequence.generator.dispose();
    for (const cache of this.prefillCaches.splice(0)) cache.dispose();
    this.cache.dispose();
  }

  /** The running sequences that hold a row of the batch cache, in row order. */
  private batchRows(): Sequence[] {
    return this.running.filter((sequence) => sequence.kv.in === 'batch');
  }

  /** The prompt being prefilled in chunks on this thread, if any (the one on the prefill thread is not). */
  private prefillingHere(): Sequence | undefined {
    return this.running.find((sequence) => sequence.state === 'prefilling' && sequence !== this.remote?.sequence);
  }

  /** KV tokens reserved by the admitted sequences. */
  private reservedTokens(): number {
    let reserved = 0;
    for (const sequence of this.running) if (sequence.admitted) reserved += sequence.reservedTokens;
    return reserved;
  }

  /**
   * A tick's prefill: a left-padded group (concat layout), or chunks of one newcomer after another, oldest
   * first, until `prefillTokenBudget` prompt tokens have run (graphs that prefill one sequence at a time).
   */
  private async prefillStep(): Promise<void> {
    for (let budget = this.prefillTokenBudget; budget > 0;) {
      let sequence = this.prefillingHere();
      if (sequence?.cancelRequested) {
        this.finish(sequence, 'cancelled');
        sequence = undefined;
      }
      if (!sequence) {
        const group = this.admitGroup();
        if (group.length === 0) return;
        if (group.length > 1) return this.prefillGroup(group);
        sequence = group[0];
      }
      const tokens = Math.max(1, Math.min(this.options.prefillChunkTokens, budget, sequence.generator.prefillRemaining));
      budget -= tokens;
      let result: StepResult | undefined;
      try {
        result = await sequence.generator.prefillChunk(tokens);
      } catch (error) {
        this.fail(sequence, error as Error);
        return;
      }
      if (result) this.started([{ sequence, result }]);
      if (this.session.batchedPrefill) return;
    }
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
        this.running = this.running.filter((other) => other !== sequence);
        sequence.moveTo('queued');
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
    if (sequence.cancelRequested) return this.finish(sequence, 'cancelled');
    let result: StepResult;
    try {
      result = sequence.generator.completePrefill(
        prefilled.logits,
        prefilled.ms,
        prefilled.into(this.session.newCache()),
        prefilled.cachedTokens,
      );
    } catch (error) {
      return this.fail(sequence, error as Error);
    }
    this.started([{ sequence, result }]);
  }

  /**
   * Takes the newcomers of the next prefill off the waiting list and admits them (their KV tokens count
   * from now): the oldest waiting request, then (when its prompt fits the budget) later ones while the
   * padded size rows × longest prompt stays within `prefillTokenBudget`, the batch has room and the KV
   * budget allows.
   */
  private admitGroup(maxRows = Infinity): Sequence[] {
    const taken = this.running.filter((sequence) => sequence.admitted).length;
    const free = Math.min(maxRows, this.options.maxBatchSize - taken);
    const head = this.waiting[0];
    let reserved = this.reservedTokens();
    if (!head || free <= 0 || reserved + head.reservedTokens > this.options.maxKvTokens) return [];
    const group = [head];
    reserved += head.reservedTokens;
    let longest = head.generator.prefillRemaining;
    if (longest <= this.prefillTokenBudget && this.session.batchedPrefill) {
      for (const candidate of this.waiting.slice(1)) {
        if (group.length >= free) break;
        const width = Math.max(longest, candidate.generator.prefillRemaining);
        if ((group.length + 1) * width > this.prefillTokenBudget || reserved + candidate.reservedTokens > this.options.maxKvTokens)
          continue;
        group.push(candidate);
        longest = width;
        reserved += candidate.reservedTokens;
      }
    }
    for (const sequence of group) {
      this.waiting.splice(this.waiting.indexOf(sequence), 1);
      sequence.moveTo('prefilling');
      this.running.push(sequence);
    }
    return group;
  }

  /** One left-padded prefill run for `group`; each row samples its first token and joins the batch. */
  private async prefillGroup(group: Sequence[]): Promise<void> {
    const cache = this.session.newCache(0);
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
    this.started(
      group.map((sequence, row) => {
        sequence.kv = { in: 'prefill', row: { cache, row } };
        return { sequence, result: sequence.generator.completePrefill(logits[row], elapsed) };
      }),
    );
  }

  /** Prefilled sequences with their first tokens: reports the tokens; each then decodes (joining at the next repack) or is done. */
  private started(prefilled: readonly { sequence: Sequence; result: StepResult }[]): void {
    this.events.tokens(prefilled.map(({ sequence, result }) => ({ id: sequence.id, token: result.token })));
    for (const { sequence, result } of prefilled) {
      if (result.finishReason) this.finish(sequence, result.finishReason);
      else sequence.moveTo('decoding');
    }
  }

  /**
   * Rebuilds the batch when it changes: rows of finished (or now cancelled) sequences go, prefilled
   * sequences join; the running set is reordered to the new rows, then the prompts still prefilling.
   */
  private repack(): void {
    const rows = this.batchRows();
    for (const sequence of this.running) if (sequence.cancelRequested && sequence.state === 'decoding') this.finish(sequence, 'cancelled');
    const keep: number[] = [];
    rows.forEach((sequence, row) => {
      if (sequence.state === 'decoding') keep.push(row);
    });
    const joining = this.running.filter((sequence) => sequence.state === 'decoding' && sequence.kv.in !== 'batch');
    if (keep.length !== rows.length || joining.length > 0) {
      this.cache.repack(
        keep,
        joining.map((sequence) => (sequence.kv.in === 'prefill' ? sequence.kv.row : sequence.generator.takeCache())),
      );
      for (const sequence of joining) sequence.kv = { in: 'batch' };
    }
    const prefilling = this.running.filter((sequence) => sequence.state === 'prefilling');
    this.running = [...keep.map((row) => rows[row]), ...joining, ...prefilling];
  }

  private async decodeStep(): Promise<void> {
    const rows = this.batchRows();
    const started = performance.now();
    let output: { logits: Float32Array; vocab: number };
    try {
      output = await this.session.stepBatch(
        rows.map((sequence) => sequence.generator.nextInput),
        rows.map((sequence) => sequence.generator.length - 1),
        this.cache,
      );
    } catch (error) {
      // A failed step leaves the cache unusable: every batched sequence fails, waiting ones go on.
      for (const sequence of rows) this.fail(sequence, error as Error);
      this.running = this.running.filter((sequence) => sequence.kv.in !== 'batch');
      this.cache.dispose();
      return;
    }
    const elapsed = performance.now() - started;
    const { logits, vocab } = output;
    const results = rows.map((sequence, row) => {
      sequence.generator.decodeMs += elapsed;
      return sequence.generator.accept(logits.subarray(row * vocab, (row + 1) * vocab));
    });
    this.events.tokens(rows.map((sequence, row) => ({ id: sequence.id, token: results[row].token })));
    rows.forEach((sequence, row) => {
      const { finishReason } = results[row];
      if (finishReason) this.finish(sequence, finishReason);
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

  /** Ends the sequence: its KV reservation and batch slot are free from now (its row goes at the next repack). */
  private release(sequence: Sequence): void {
    sequence.moveTo('finished');
    sequence.generator.dispose();
  }

  /** The sequences not yet finished. */
  private *all(): Iterable<Sequence> {
    yield* this.waiting;
    for (const sequence of this.running) if (sequence.state !== 'finished') yield sequence;
  }
}
