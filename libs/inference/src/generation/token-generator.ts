import type { FinishReason } from '../inference.types';
import type { DecoderSession } from './decoder-session';
import type { KvCache } from './kv-cache';
import { type LogitsProcessor, minNewTokens, repetitionPenalty, temperatureScaling, topK, topP } from './logits-processors';
import type { PrefixCache } from './prefix-cache';
import { Sampler } from './sampler';
import { type StoppingCriterion, contextLengthStop, eosStop, maxNewTokensStop } from './stopping-criteria';

/** Options after validation and defaults (what crosses to the worker thread). */
export interface ResolvedGenerationConfig {
  maxNewTokens: number;
  /** EOS suppressed until this many new tokens. Default 0. */
  minNewTokens?: number;
  temperature: number;
  topP: number;
  topK: number;
  seed: number;
  repetitionPenalty: number;
  eosTokenIds: number[];
  contextLength: number;
}

export interface StepResult {
  token: number;
  finishReason?: FinishReason;
}

/**
 * The generation state of one sequence: its prompt, tokens so far, logits processors, seeded sampler and
 * stopping criteria. `step()` runs one sequence alone (prefill, then KV-cache decode). A batch scheduler
 * instead prefills with `prefillChunk()`, takes the cache over with `takeCache()`, runs the decode steps of
 * many sequences in one batch and hands each sequence its own logits row with `accept()`: the sampling
 * state never mixes between sequences.
 */
export class TokenGenerator {
  private readonly sequence: number[];
  private readonly generated: number[] = [];
  private cache: KvCache;
  private readonly processors: LogitsProcessor[] = [];
  private readonly stopping: StoppingCriterion[];
  private readonly sampler: Sampler;
  private pending: number[];
  /** Milliseconds spent in the prefill step and in decode steps. */
  prefillMs = 0;
  /** Prompt tokens whose keys and values came from the prefix cache instead of being computed. */
  cachedPromptTokens = 0;
  decodeMs = 0;

  /** `prefixes`: where `prefillChunk` finds and leaves prompt prefixes' keys and values (see PrefixCache). */
  constructor(
    private readonly session: DecoderSession,
    promptIds: readonly number[],
    config: ResolvedGenerationConfig,
    private readonly prefixes?: PrefixCache,
  ) {
    this.sequence = [...promptIds];
    this.pending = [...promptIds];
    this.cache = session.newCache();
    if (config.minNewTokens) this.processors.push(minNewTokens(config.eosTokenIds, config.minNewTokens, promptIds.length));
    if (config.repetitionPenalty !== 1) this.processors.push(repetitionPenalty(config.repetitionPenalty));
    const greedy = config.temperature === 0;
    if (!greedy) {
      this.processors.push(temperatureScaling(config.temperature));
      if (config.topK > 0) this.processors.push(topK(config.topK));
      if (config.topP < 1) this.processors.push(topP(config.topP));
    }
    this.sampler = new Sampler(greedy, config.seed);
    this.stopping = [eosStop(config.eosTokenIds), maxNewTokensStop(config.maxNewTokens), contextLengthStop(config.contextLength)];
  }

  async step(): Promise<StepResult> {
    const started = performance.now();
    const prefill = this.generated.length === 0;
    const logits = await this.session.step(this.pending, this.cache);
    const result = this.accept(logits);
    if (prefill) this.prefillMs += performance.now() - started;
    else this.decodeMs += performance.now() - started;
    return result;
  }

  /** True once the whole prompt is in the KV cache and the first token has been sampled. */
  get prefilled(): boolean {
    return this.generated.length > 0;
  }

  /** Prompt tokens not yet in the cache. */
  get prefillRemaining(): number {
    return this.prefilled ? 0 : this.pending.length;
  }

  /**
   * Runs up to `maxTokens` of the prompt through the model (alone, batch 1). Returns the first generated
   * token once the last chunk has run, else undefined: long prompts are split so that a batch scheduler can
   * interleave them with the decode steps of running sequences.
   */
  async prefillChunk(maxTokens: number): Promise<StepResult | undefined> {
    if (this.prefilled) throw new Error('the prompt is already prefilled');
    const started = performance.now();
    if (this.prefixes && this.cache.length === 0) {
      // A cached prefix (the system prompt, a batch's shared header) is copied in, not recomputed.
      this.cachedPromptTokens = this.prefixes.restore(this.pending, this.cache, this.cache.numLayers);
      this.pending = this.pending.slice(this.cachedPromptTokens);
    }
    const chunk = this.pending.slice(0, Math.max(1, maxTokens));
    const last = chunk.length === this.pending.length;
    const logits = await this.session.step(chunk, this.cache);
    this.pending = this.pending.slice(chunk.length);
    if (last) this.prefixes?.store(this.sequence, this.cache, this.cache.numLayers);
    const result = last ? this.accept(logits) : undefined;
    this.prefillMs += performance.now() - started;
    return result;
  }

  /** The prompt tokens not yet in the cache (the whole prompt before any prefill). */
  get pendingPrompt(): readonly number[] {
    return this.prefilled ? [] : this.pending;
  }

  /**
   * Completes the prefill with logits computed elsewhere: samples the first token and counts `elapsedMs`
   * as prefill time. `cache` is the prompt's KV cache when it was computed elsewhere too (the prefill
   * thread); without it the caller keeps the KV rows (a batched prefill of several prompts).
   * `cachedTokens` of the prompt came from the prefix cache there.
   */
  completePrefill(logits: Float32Array, elapsedMs: number, cache?: KvCache, cachedTokens = 0): StepResult {
    if (this.prefilled) throw new Error('the prompt is already prefilled');
    this.cachedPromptTokens = cachedTokens;
    if (cache) {
      this.cache.dispose();
      this.cache = cache;
    }
    const result = this.accept(logits);
    this.prefillMs += elapsedMs;
    return result;
  }

  /** The token the next decode step feeds (the last one sampled). */
  get nextInput(): number {
    return this.sequence[this.sequence.length - 1];
  }

  /** Tokens in the sequence (prompt plus generated); the next position id is this length. */
  get length(): number {
    return this.sequence.length;
  }

  /**
   * Processes this sequence's next-token logits in place (they may be a view into a batch's logits),
   * samples, and checks the stopping criteria.
   */
  accept(logits: Float32Array): StepResult {
    for (const processor of this.processors) processor.process(logits, this.sequence);
    const token = this.sampler.sample(logits);
    this.sequence.push(token);
    this.generated.push(token);
    this.pending = [token];
    for (const criterion of this.stopping) {
      const finishReason = criterion.check({ generated: this.generated, totalLength: this.sequence.length, lastToken: token });
      if (finishReason) return { token, finishReason };
    }
    return { token };
  }

  /** Hands the KV cache over (to a batch); the generator keeps an empty one and must not `step()` again. */
  takeCache(): KvCache {
    const cache = this.cache;
    this.cache = this.session.newCache();
    return cache;
  }

  get generatedTokens(): readonly number[] {
    return this.generated;
  }

  /** Frees the KV cache; the generator cannot step afterwards. */
  dispose(): void {
    this.cache.dispose();
  }
}
