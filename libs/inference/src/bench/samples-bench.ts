import * as os from 'node:os';
import { InferenceEngine } from '../engine/inference.engine';
import type { GenerationResult } from '../inference.types';
import { InferenceError } from '../inference.errors';
import { SeededRandom } from '../seeded-random';
import { round1, round2 } from './bench-stats';
import { type BenchModelOptions, benchEngineOptions } from './bench-model';

/** The sampling temperature of the samples (the math worker's self-consistency default). */
const SAMPLE_TEMPERATURE = 0.6;

/** k = 8 may cost at most this many times k = 1 (issue #20: the samples share the batch and the prompt). */
const K8_LATENCY_VS_K1_MAX = 3;

export interface SamplesBenchOptions extends BenchModelOptions {
  /** Sample counts to measure; k = 1, the baseline of `latencyVsK1`, is always measured. Default [1, 4, 8]. */
  samples?: number[];
  /** Prompt length in tokens. Default 128. */
  promptTokens?: number;
  /** Tokens every sample generates, exactly (EOS suppressed). Default 128. */
  newTokens?: number;
  /** onnxruntime intra-op threads. Default: the engine's default. */
  threads?: number;
  /** Engine prefill thread (its intra-op threads; 0: none, and no prefix cache). Default: the engine's default. */
  prefillThreads?: number;
  /** Seed of the prompt ids. Default 1. */
  seed?: number;
}

/** What k samples of one problem cost. */
export interface SamplesFigures {
  k: number;
  /** From submitting the k samples together until the last one finished. */
  latencyMs: number;
  /** Tokens of all k samples over `latencyMs`. */
  aggregateTokensPerSecond: number;
  /** The problem's first token: the earliest first token among its samples (queue and prefill included). */
  firstTokenMs: number;
  /** Prompt tokens the samples took from the prefix cache, summed over the k samples. */
  cachedPromptTokens: number;
  /** Tokens each sample generated (all equal to `newTokens`). */
  completionTokens: number[];
  /** The peer: the same k samples as k requests one after another (a client without sampling support). */
  sequentialLatencyMs: number;
  sequentialCompletionTokens: number[];
  speedupVsSequential: number;
  /** `latencyMs` over k = 1's. */
  latencyVsK1: number;
}

export interface SamplesBenchReport {
  model: string;
  dtype: string;
  syntheticWeights: boolean;
  promptTokens: number;
  newTokens: number;
  temperature: number;
  threads: number;
  prefillThreads: number;
  prefixCacheMb: number;
  machine: { cpu: string; cores: number; memoryGb: number; node: string };
  samples: SamplesFigures[];
  /** `met` is null when k = 8 was not measured. */
  target: { k8LatencyVsK1Max: number; k8LatencyVsK1: number | null; met: boolean | null };
}

/**
 * k sampled generations of one problem (temperature 0.6, seeds 1..k, exactly `newTokens` each), as
 * the workers' self-consistency runs them: submitted together to one engine, so continuous batching
 * decodes them as one batch and the prefix cache can share the prompt. The peer in the same run sends
 * the same k samples one after another. Every measurement gets a prompt of its own, so neither
 * starts with its prompt already in the prefix cache.
 */
export async function runSamplesBench(options: SamplesBenchOptions): Promise<SamplesBenchReport> {
  const promptTokens = options.promptTokens ?? 128;
  const newTokens = options.newTokens ?? 128;
  const ks = [...new Set([1, ...(options.samples ?? [1, 4, 8])])].sort((a, b) => a - b);
  for (const [name, value] of Object.entries({
    promptTokens,
    newTokens,
    ...Object.fromEntries(ks.map((k) => [`samples ${k}`, k])),
  })) {
    if (!Number.isInteger(value) || value < 1)
      throw new InferenceError('INVALID_ARGUMENT', `${name} must be an integer >= 1, got ${value}`);
  }
  const maxK = ks[ks.length - 1]!;
  const engine = await InferenceEngine.load({
    ...benchEngineOptions(options),
    intraOpThreads: options.threads,
    prefillThreads: options.prefillThreads,
    maxConcurrency: maxK,
    maxQueue: maxK,
  });
  const threads = engine.batching.intraOpThreads;
  try {
    const { geometry } = engine.modelFolder;
    if (promptTokens + newTokens > geometry.contextLength) {
      throw new InferenceError('INPUT_TOO_LONG', `prompt + new tokens exceed the context of ${geometry.contextLength}`);
    }
    const nextPrompt = promptSource(engine, promptTokens, options.seed ?? 1);
    const generate = (prompt: number[], seed: number): Promise<GenerationResult> =>
      engine.generate({
        messages: [],
        promptTokenIds: prompt,
        options: { maxNewTokens: newTokens, minNewTokens: newTokens, temperature: SAMPLE_TEMPERATURE, seed },
      }).result;
    // Warm-up at full size: the first run of each shape pays for allocations no later one does.
    await generate(nextPrompt(), 1);

    const figures: SamplesFigures[] = [];
    for (const k of ks) {
      const seeds = Array.from({ length: k }, (_, i) => i + 1);
      const together = nextPrompt();
      const started = performance.now();
      const results = await Promise.all(seeds.map((seed) => generate(together, seed)));
      const latencyMs = performance.now() - started;
      const alone = nextPrompt();
      const sequentialStarted = performance.now();
      const sequential: GenerationResult[] = [];
      for (const seed of seeds) sequential.push(await generate(alone, seed));
      const sequentialLatencyMs = performance.now() - sequentialStarted;
      const tokens = results.reduce((sum, result) => sum + result.completionTokens, 0);
      figures.push({
        k,
        latencyMs: round1(latencyMs),
        aggregateTokensPerSecond: round1((tokens * 1000) / latencyMs),
        firstTokenMs: round1(Math.min(...results.map((result) => result.timeToFirstTokenMs))),
        cachedPromptTokens: results.reduce((sum, result) => sum + result.cachedPromptTokens, 0),
        completionTokens: results.map((result) => result.completionTokens),
        sequentialLatencyMs: round1(sequentialLatencyMs),
        sequentialCompletionTokens: sequential.map((result) => result.completionTokens),
        speedupVsSequential: round2(sequentialLatencyMs / latencyMs),
        latencyVsK1: round2(latencyMs / (figures[0]?.latencyMs ?? latencyMs)),
      });
    }
    const k8 = figures.find((figure) => figure.k === 8)?.latencyVsK1 ?? null;
    return {
      model: engine.info.modelId,
      dtype: engine.info.dtype,
      syntheticWeights: engine.info.syntheticWeights,
      promptTokens,
      newTokens,
      temperature: SAMPLE_TEMPERATURE,
      threads,
      prefillThreads: engine.batching.prefillThreads,
      prefixCacheMb: engine.batching.prefixCacheMb,
      machine: describeMachine(),
      samples: figures,
      target: { k8LatencyVsK1Max: K8_LATENCY_VS_K1_MAX, k8LatencyVsK1: k8, met: k8 === null ? null : k8 <= K8_LATENCY_VS_K1_MAX },
    };
  } finally {
    await engine.close();
  }
}

/**
 * Seeded prompts of `length` ordinary ids (below the BOS id, where Llama-3 vocabularies start their
 * special tokens). Random ids: no two prompts share a whole 16-token block, so no prompt finds
 * another's keys and values in the prefix cache.
 */
function promptSource(engine: InferenceEngine, length: number, seed: number): () => number[] {
  const folder = engine.modelFolder;
  const limit = Math.min(folder.geometry.vocabSize, folder.bosTokenId ?? folder.geometry.vocabSize);
  const vocabStart = limit > 2000 ? 1000 : 10;
  const span = Math.max(1, Math.min(20000, limit - vocabStart));
  const random = new SeededRandom(seed);
  return () => Array.from({ length }, () => vocabStart + (random.nextUint32() % span));
}

function describeMachine(): SamplesBenchReport['machine'] {
  const cpus = os.cpus();
  return {
    cpu: `${cpus[0]?.model ?? 'unknown'} × ${cpus.length}`,
    cores: os.availableParallelism(),
    memoryGb: round1(os.totalmem() / 1024 ** 3),
    node: process.version,
  };
}
