import type { FinishReason } from '../inference.types';
import type { DecoderSession } from './decoder-session';
import type { KvCache } from './kv-cache';
import { type LogitsProcessor, repetitionPenalty, temperatureScaling, topK, topP } from './logits-processors';
import { Sampler } from './sampler';
import { type StoppingCriterion, contextLengthStop, eosStop, maxNewTokensStop } from './stopping-criteria';

/** Options after validation and defaults (what crosses to the worker thread). */
export interface ResolvedGenerationConfig {
  maxNewTokens: number;
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
 * The generation loop of one sequence, one token per `step()`: the first step prefills the prompt, later
 * steps decode with the KV cache. A scheduler can interleave the steps of many generators (and later
 * batch them) because each one owns its whole state.
 */
export class TokenGenerator {
  private readonly sequence: number[];
  private readonly generated: number[] = [];
  private readonly cache: KvCache;
  private readonly processors: LogitsProcessor[] = [];
  private readonly stopping: StoppingCriterion[];
  private readonly sampler: Sampler;
  private pending: number[];
  /** Milliseconds spent in the prefill step and in decode steps. */
  prefillMs = 0;
  decodeMs = 0;

  constructor(
    private readonly session: DecoderSession,
    promptIds: readonly number[],
    config: ResolvedGenerationConfig,
  ) {
    this.sequence = [...promptIds];
    this.pending = [...promptIds];
    this.cache = session.newCache();
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
    for (const processor of this.processors) processor.process(logits, this.sequence);
    const token = this.sampler.sample(logits);
    if (prefill) this.prefillMs += performance.now() - started;
    else this.decodeMs += performance.now() - started;
    this.sequence.push(token);
    this.generated.push(token);
    this.pending = [token];
    for (const criterion of this.stopping) {
      const finishReason = criterion.check({ generated: this.generated, totalLength: this.sequence.length, lastToken: token });
      if (finishReason) return { token, finishReason };
    }
    return { token };
  }

  get generatedTokens(): readonly number[] {
    return this.generated;
  }

  /** Frees the KV cache; the generator cannot step afterwards. */
  dispose(): void {
    this.cache.dispose();
  }
}
