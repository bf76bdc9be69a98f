import { InferenceEngine } from '../engine/inference.engine';
import { InferenceError } from '../inference.errors';
import { loadTransformersJsModel } from './transformers-js-model';
import { SeededRandom } from '../seeded-random';
import { percentile, round1, round2 } from './bench-stats';
import { type BenchModelOptions, benchEngineOptions } from './bench-model';

export interface ConcurrencyBenchOptions extends BenchModelOptions {
  /** Clients sending requests back to back. */
  concurrency: number;
  /** Requests each client sends. Default 2. */
  requestsPerClient?: number;
  /** Engine batch size. Default: `concurrency`. */
  maxBatchSize?: number;
  /** Engine prefill chunk. Default: the engine's default. */
  prefillChunkTokens?: number;
  /** Engine batched-prefill budget (padded prompt tokens per tick). Default: the engine's default. */
  prefillTokenBudget?: number;
  /** Engine prefill thread (its intra-op threads; 0: none). Default: the engine's default. */
  prefillThreads?: number;
  /** onnxruntime intra-op threads (every runtime). Default: the engine's default. */
  threads?: number;
  /** Seed of the request mix. Default 1. */
  seed?: number;
  /** Prompt lengths are drawn uniformly from this range (tokens). Default [32, 256]. */
  promptTokens?: [number, number];
  /** Output lengths are drawn uniformly from this range (tokens). Default [64, 512] (reasoning outputs are long). */
  newTokens?: [number, number];
  /** Also serve the same clients with @huggingface/transformers in the same run. Default false. */
  vsTransformersJs?: boolean;
}

/** Throughput and latency of one runtime serving the clients. */
export interface ServingFigures {
  requests: number;
  completionTokens: number;
  wallSeconds: number;
  /** How long all N clients were sending (until the first one had its last answer): the steady state. */
  steadySeconds: number;
  /** Tokens streamed to all clients per second of the steady state (prefill time included). */
  aggregateDecodeTokensPerSecond: number;
  /** All completion tokens over the whole wall time, the final drain included. */
  wallTokensPerSecond: number;
  p50TimeToFirstTokenMs: number;
  p99TimeToFirstTokenMs: number;
  /** Time between consecutive streamed tokens of a request (steady state; a chunk of k tokens counts k gaps of its gap / k). */
  p50InterTokenMs: number;
  p99InterTokenMs: number;
}

export interface ConcurrencyBenchReport extends ServingFigures {
  model: string;
  dtype: string;
  concurrency: number;
  maxBatchSize: number;
  prefillChunkTokens: number;
  prefillTokenBudget: number;
  prefillThreads: number;
  threads: number;
  seed: number;
  promptTokens: [number, number];
  newTokens: [number, number];
  /** The engine serving one request alone (128-token prompt, 64 new tokens), same run. */
  batch1DecodeTokensPerSecond: number;
  batch1StepMs: number;
  speedupVsBatch1: number;
  p99InterTokenVsBatch1Step: number;
  transformersJs?: ServingFigures;
  speedupVsTransformersJs?: number;
}

interface BenchRequest {
  prompt: number[];
  newTokens: number;
}

/**
 * N clients, each sending its requests back to back (a seeded mix of prompt and output lengths, greedy,
 * exactly that many new tokens: EOS is suppressed, as random synthetic weights hit it early),
 * against the engine's continuous batching, and optionally against transformers.js serving the same
 * clients. Batch-1 decode speed of the engine is measured in the same run for `speedupVsBatch1`.
 */
export async function runConcurrencyBench(options: ConcurrencyBenchOptions): Promise<ConcurrencyBenchReport> {
  const concurrency = options.concurrency;
  const requestsPerClient = options.requestsPerClient ?? 2;
  const maxBatchSize = options.maxBatchSize ?? concurrency;
  const seed = options.seed ?? 1;
  const promptRange = options.promptTokens ?? [32, 256];
  const newRange = options.newTokens ?? [64, 512];
  for (const [name, value] of Object.entries({ concurrency, requestsPerClient, maxBatchSize })) {
    if (!Number.isInteger(value) || value < 1)
      throw new InferenceError('INVALID_ARGUMENT', `${name} must be an integer >= 1, got ${value}`);
  }
  for (const [name, range] of Object.entries({ promptTokens: promptRange, newTokens: newRange })) {
    if (!Number.isInteger(range[0]) || range[0] < 1 || !Number.isInteger(range[1]) || range[1] < range[0]) {
      throw new InferenceError('INVALID_ARGUMENT', `${name} must be a range [min, max] of integers >= 1`);
    }
  }
  const engine = await InferenceEngine.load({
    ...benchEngineOptions(options),
    intraOpThreads: options.threads,
    maxConcurrency: maxBatchSize,
    maxQueue: concurrency,
    prefillChunkTokens: options.prefillChunkTokens,
    prefillTokenBudget: options.prefillTokenBudget,
    prefillThreads: options.prefillThreads,
  });
  const threads = engine.batching.intraOpThreads;
  try {
    const folder = engine.modelFolder;
    // Ordinary (non-special) ids: below the BOS id, which starts the special tokens in Llama-3 vocabularies.
    const limit = Math.min(folder.geometry.vocabSize, folder.bosTokenId ?? folder.geometry.vocabSize);
    const vocabStart = limit > 2000 ? 1000 : 10;
    const span = Math.max(1, Math.min(20000, limit - vocabStart));
    const random = new SeededRandom(seed);
    const draw = ([min, max]: [number, number]): number => min + (random.nextUint32() % (max - min + 1));
    const clients: BenchRequest[][] = Array.from({ length: concurrency }, () =>
      Array.from({ length: requestsPerClient }, () => ({
        prompt: Array.from({ length: draw(promptRange) }, () => vocabStart + (random.nextUint32() % span)),
        newTokens: draw(newRange),
      })),
    );
    const longest = Math.max(...clients.flat().map((request) => request.prompt.length + request.newTokens));
    if (longest > folder.geometry.contextLength)
      throw new InferenceError('INPUT_TOO_LONG', `requests of ${longest} tokens exceed the context`);

    const batch1Prompt = Array.from({ length: 128 }, (_, k) => vocabStart + ((k * 7919) % span));
    await engine.generate({ messages: [], promptTokenIds: batch1Prompt.slice(0, 8), options: { maxNewTokens: 2, temperature: 0 } }).result;
    let batch1DecodeTokensPerSecond = 0;
    for (let round = 0; round < 2; round++) {
      const result = await engine.generate({
        messages: [],
        promptTokenIds: batch1Prompt,
        options: { maxNewTokens: 64, minNewTokens: 64, temperature: 0 },
      }).result;
      batch1DecodeTokensPerSecond = Math.max(batch1DecodeTokensPerSecond, result.decodeTokensPerSecond);
    }

    const ours = await serve(clients, async (request, onChunk) => {
      const handle = engine.generate({
        messages: [],
        promptTokenIds: request.prompt,
        options: { maxNewTokens: request.newTokens, minNewTokens: request.newTokens, temperature: 0 },
      });
      for await (const chunk of handle) onChunk(chunk.tokenIds.length);
      return (await handle.result).completionTokens;
    });
    const batch1StepMs = 1000 / batch1DecodeTokensPerSecond;
    const report: ConcurrencyBenchReport = {
      model: engine.info.modelId,
      dtype: engine.info.dtype,
      concurrency,
      maxBatchSize,
      prefillChunkTokens: engine.batching.prefillChunkTokens,
      prefillTokenBudget: engine.batching.prefillTokenBudget,
      prefillThreads: engine.batching.prefillThreads,
      threads,
      seed,
      promptTokens: promptRange,
      newTokens: newRange,
      ...ours,
      batch1DecodeTokensPerSecond: round1(batch1DecodeTokensPerSecond),
      batch1StepMs: round1(batch1StepMs),
      speedupVsBatch1: round2(ours.aggregateDecodeTokensPerSecond / batch1DecodeTokensPerSecond),
      p99InterTokenVsBatch1Step: round2(ours.p99InterTokenMs / batch1StepMs),
    };
    if (options.vsTransformersJs) {
      await engine.close();
      const tjs = await transformersJsServer(folder.dir, engine.info.dtype, threads);
      try {
        report.transformersJs = await serve(clients, tjs.generate);
      } finally {
        await tjs.close();
      }
      report.speedupVsTransformersJs = round2(ours.aggregateDecodeTokensPerSecond / report.transformersJs.aggregateDecodeTokensPerSecond);
    }
    return report;
  } finally {
    await engine.close();
  }
}

type Generate = (request: BenchRequest, onChunk: (tokens: number) => void) => Promise<number>;

/**
 * Serves the clients and measures the steady state: every figure but `completionTokens`/`wallSeconds`
 * counts only while all N clients are still sending (until the first client has its last answer), so
 * the drain at the end, where fewer and fewer clients remain, does not dilute the N-client figures.
 */
async function serve(clients: BenchRequest[][], generate: Generate): Promise<ServingFigures> {
  const ttfts: number[] = [];
  const gaps: number[] = [];
  let completionTokens = 0;
  let streamedTokens = 0;
  let steady: { tokens: number; seconds: number } | undefined;
  const started = performance.now();
  await Promise.all(
    clients.map(async (requests) => {
      for (const request of requests) {
        const sent = performance.now();
        let last: number | undefined;
        const generated = await generate(request, (tokens) => {
          if (tokens === 0 || steady) return;
          streamedTokens += tokens;
          const now = performance.now();
          // A chunk of k tokens after a gap g counts k gaps of g / k: the text of some tokens is held
          // back (an unfinished UTF-8 character) and reaches the client with the next ones.
          if (last === undefined) ttfts.push(now - sent);
          else for (let k = 0; k < tokens; k++) gaps.push((now - last) / tokens);
          last = now;
        });
        completionTokens += generated;
      }
      steady ??= { tokens: streamedTokens, seconds: (performance.now() - started) / 1000 };
    }),
  );
  const wallSeconds = (performance.now() - started) / 1000;
  return {
    requests: clients.flat().length,
    completionTokens,
    wallSeconds: round1(wallSeconds),
    steadySeconds: round1(steady!.seconds),
    aggregateDecodeTokensPerSecond: round1(steady!.tokens / steady!.seconds),
    wallTokensPerSecond: round1(completionTokens / wallSeconds),
    p50TimeToFirstTokenMs: round1(percentile(ttfts, 50)),
    p99TimeToFirstTokenMs: round1(percentile(ttfts, 99)),
    p50InterTokenMs: round1(percentile(gaps, 50)),
    p99InterTokenMs: round1(percentile(gaps, 99)),
  };
}

/** transformers.js serving concurrent callers: each request is one `generate` call with a streamer. */
async function transformersJsServer(
  dir: string,
  dtype: string,
  threads: number,
): Promise<{ generate: Generate; close: () => Promise<void> }> {
  const { model, Tensor } = await loadTransformersJsModel(dir, dtype, threads);
  const generate: Generate = async (request, onChunk) => {
    let puts = 0;
    let generated = 0;
    const streamer = {
      put: (value: unknown[][]) => {
        // The first put is the prompt; each later one carries the new token of the (single) sequence.
        if (puts++ === 0) return;
        generated += value[0]?.length ?? 1;
        onChunk(value[0]?.length ?? 1);
      },
      end: () => undefined,
    };
    const ids = request.prompt;
    await model.generate({
      input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      attention_mask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
      max_new_tokens: request.newTokens,
      min_new_tokens: request.newTokens,
      do_sample: false,
      streamer,
    } as never);
    return generated;
  };
  await generate({ prompt: [11, 12, 13, 14], newTokens: 2 }, () => undefined);
  return { generate, close: async () => void (await model.dispose()) };
}
