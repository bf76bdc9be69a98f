import { InferenceEngine } from '../engine/inference.engine';
import { InferenceError } from '../inference.errors';
import { SeededRandom } from '../seeded-random';
import { percentile, round1, round3 } from './bench-stats';
import { type BenchModelOptions, benchEngineOptions } from './bench-model';

export interface PrefixCacheBenchOptions extends BenchModelOptions {
  /** Problems of the batch, all submitted at once. Default 64. */
  problems?: number;
  /** Tokens of the header every problem starts with (instructions, few-shot examples). Default 200. */
  headerTokens?: number;
  /** Engine batch size. Default 16. */
  maxBatchSize?: number;
  /** onnxruntime intra-op threads of the decode session. Default: the engine's default. */
  threads?: number;
  /** Engine prefill thread (its intra-op threads; 0: none, the cache then lives beside the decode session). Default: the engine's default. */
  prefillThreads?: number;
  /** Seed of the token ids. Default 1. */
  seed?: number;
}

/** One engine's run of the batch. */
export interface PrefixCacheRun {
  p50TimeToFirstTokenMs: number;
  p99TimeToFirstTokenMs: number;
  wallSeconds: number;
  /** Prompt tokens taken from the prefix cache over all prompt tokens. */
  prefixCacheHitRate: number;
  /** Problems that reused at least one block. */
  problemsWithHit: number;
}

export interface PrefixCacheBenchReport {
  model: string;
  dtype: string;
  problems: number;
  headerTokens: number;
  maxBatchSize: number;
  threads: number;
  prefillThreads: number;
  withCache: PrefixCacheRun;
  withoutCache: PrefixCacheRun;
  prefixCacheHitRate: number;
  /** 1 - TTFT p50 with the cache / TTFT p50 without it. */
  ttftP50Reduction: number;
}

/**
 * A batch of problems that share a header (each with its own question of 16–48 tokens, 16 new tokens,
 * greedy), all submitted at once, first to an engine with the prefix cache and then to one without,
 * same folder, same prompts: TTFT percentiles from the engine's own timing (queue wait included) and
 * how much of the prompts the cache supplied.
 */
export async function runPrefixCacheBench(options: PrefixCacheBenchOptions): Promise<PrefixCacheBenchReport> {
  const problems = options.problems ?? 64;
  const headerTokens = options.headerTokens ?? 200;
  const maxBatchSize = options.maxBatchSize ?? 16;
  for (const [name, value] of Object.entries({ problems, headerTokens, maxBatchSize })) {
    if (!Number.isInteger(value) || value < 1)
      throw new InferenceError('INVALID_ARGUMENT', `${name} must be an integer >= 1, got ${value}`);
  }
  const run = async (prefixCacheMb: number | undefined): Promise<{ engine: InferenceEngine; run: PrefixCacheRun }> => {
    const engine = await InferenceEngine.load({
      ...benchEngineOptions(options),
      intraOpThreads: options.threads,
      prefillThreads: options.prefillThreads,
      maxConcurrency: maxBatchSize,
      maxQueue: problems,
      prefixCacheMb,
    });
    try {
      const folder = engine.modelFolder;
      const limit = Math.min(folder.geometry.vocabSize, folder.bosTokenId ?? folder.geometry.vocabSize);
      const vocabStart = limit > 2000 ? 1000 : 10;
      const span = Math.max(1, Math.min(20000, limit - vocabStart));
      // The same prompts for both engines.
      const random = new SeededRandom(options.seed ?? 1);
      const draw = () => vocabStart + (random.nextUint32() % span);
      const header = Array.from({ length: headerTokens }, draw);
      const prompts = Array.from({ length: problems }, () => [...header, ...Array.from({ length: 16 + (random.nextUint32() % 33) }, draw)]);
      const started = performance.now();
      const results = await Promise.all(
        prompts.map(
          (promptTokenIds) =>
            engine.generate({ messages: [], promptTokenIds, options: { maxNewTokens: 16, minNewTokens: 16, temperature: 0 } }).result,
        ),
      );
      const ttfts = results.map((result) => result.timeToFirstTokenMs);
      const promptTokens = results.reduce((sum, result) => sum + result.promptTokens, 0);
      const cachedTokens = results.reduce((sum, result) => sum + result.cachedPromptTokens, 0);
      return {
        engine,
        run: {
          p50TimeToFirstTokenMs: round1(percentile(ttfts, 50)),
          p99TimeToFirstTokenMs: round1(percentile(ttfts, 99)),
          wallSeconds: round1((performance.now() - started) / 1000),
          prefixCacheHitRate: round3(cachedTokens / promptTokens),
          problemsWithHit: results.filter((result) => result.cachedPromptTokens > 0).length,
        },
      };
    } catch (error) {
      await engine.close();
      throw error;
    }
  };
  const cached = await run(undefined);
  await cached.engine.close();
  const uncached = await run(0);
  await uncached.engine.close();
  return {
    model: cached.engine.info.modelId,
    dtype: cached.engine.info.dtype,
    problems,
    headerTokens,
    maxBatchSize,
    threads: cached.engine.batching.intraOpThreads,
    prefillThreads: cached.engine.batching.prefillThreads,
    withCache: cached.run,
    withoutCache: uncached.run,
    prefixCacheHitRate: cached.run.prefixCacheHitRate,
    ttftP50Reduction: round3(1 - cached.run.p50TimeToFirstTokenMs / uncached.run.p50TimeToFirstTokenMs),
  };
}
