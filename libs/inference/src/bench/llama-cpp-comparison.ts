import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { InferenceEngine } from '../engine/inference.engine';
import { defaultIntraOpThreads } from '../engine/resource-defaults';
import { InferenceError } from '../inference.errors';
import type { ModelGeometry } from '../model/model-folder';
import { SeededRandom } from '../seeded-random';
import { LlamaCppPeer, type LlamaCppModelFacts } from './llama-cpp-peer';
import { percentile, round1, round2 } from './bench-stats';
import { type BenchModelOptions, benchEngineOptions } from './bench-model';

export interface LlamaCppComparisonOptions extends BenchModelOptions {
  /** The GGUF llama.cpp runs. Default: the one `.gguf` in `modelDir` (`slm models synth --format both`). */
  ggufPath?: string;
  /** Threads of both runtimes (onnxruntime intra-op; llama.cpp n_threads). Default: the engine's default. */
  threads?: number;
  /** Short prompt (batch-1 prefill and decode, and each aggregate sequence's prompt). Default 128. */
  promptTokens?: number;
  /** Long prompt: prefill at this length and decode at a context this long. Default 1024. */
  longPromptTokens?: number;
  /** New tokens per run and per aggregate sequence (greedy, EOS ignored). Default 64. */
  newTokens?: number;
  /** Sequences decoding at once in the aggregate runs. Default 16. */
  sequences?: number;
  /** Rounds; in each, both runtimes run every measurement, taking turns. Best round counts. Default 3. */
  rounds?: number;
  /**
   * The engine's prefill thread (its intra-op threads). Default 0, so both runtimes use exactly `threads`
   * threads (the engine's own default adds one prefill thread where memory allows).
   */
  prefillThreads?: number;
  /** The engine's prefill chunk. Default: the engine's default. */
  prefillChunkTokens?: number;
  /** Seed of the prompts' token ids. Default 1. */
  seed?: number;
}

/** One runtime's figures; `short`/`long` are the batch-1 runs at `promptTokens`/`longPromptTokens`. */
export interface PeerFigures {
  prefillTokensPerSecond: { short: number; long: number };
  /** Batch-1 decode after the short prompt and after the long one (a ~longPromptTokens context). */
  decodeTokensPerSecond: { short: number; long: number };
  timeToFirstTokenMs: { short: number; long: number };
  /** `sequences` requests at once (short prompt, `newTokens` each): aggregate decode and TTFT p50/p99. */
  aggregate: AggregateFigures;
}

/** `sequences` requests sent together, each with its own prompt, all generating `newTokens`. */
export interface AggregateFigures {
  sequences: number;
  completionTokens: number;
  /** From sending the requests to the last one's last token. */
  wallSeconds: number;
  /** All completion tokens over the wall time (the prompts' prefill included, as a server sees it). */
  aggregateDecodeTokensPerSecond: number;
  /** Time to each request's first generated token (not its first streamed text). */
  p50TimeToFirstTokenMs: number;
  p99TimeToFirstTokenMs: number;
}

export interface LlamaCppComparisonReport {
  model: string;
  dtype: string;
  gguf: string;
  ggufBytes: number;
  /** node-llama-cpp's binary and context settings (llama.cpp defaults apart from threads). */
  llamaCppRuntime: LlamaCppPeer['runtime'];
  threads: number;
  prefillThreads: number;
  /** Engine steps of at least this many rows ran on the int8 graph (0: none; EngineOptions.int8MinRows). */
  int8MinRows: number;
  rounds: number;
  promptTokens: number;
  longPromptTokens: number;
  newTokens: number;
  sequences: number;
  engine: PeerFigures;
  llamaCpp: PeerFigures;
  /** Engine ÷ llama.cpp prefill tokens/s, at the short and the long prompt. */
  prefillRatioVsLlamaCpp: { short: number; long: number };
  /** Engine ÷ llama.cpp batch-1 decode tokens/s, at the short and the long context. */
  decodeRatioVsLlamaCpp: { short: number; long: number };
  /** Engine ÷ llama.cpp aggregate decode tokens/s of `sequences` concurrent sequences. */
  aggregateRatioVsLlamaCpp: number;
}

interface Batch1 {
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  timeToFirstTokenMs: number;
}

/** One request of the aggregate runs: time to its first generated token, and how many it generated. */
interface Served {
  timeToFirstTokenMs: number;
  completionTokens: number;
}

interface Runtime {
  batch1: (prompt: number[]) => Promise<Batch1>;
  serve: (prompt: number[]) => Promise<Served>;
}

/**
 * The engine against llama.cpp (node-llama-cpp's prebuilt CPU build) on the same synthetic model: the
 * ONNX folder and the GGUF `slm models synth --format both` writes from one seed (same dimensions, same
 * 4-bit weights). Same threads, same prompt token ids, same token counts (greedy, exactly `newTokens`
 * each); the runtimes take turns within each round (who goes first alternates), and the best round of
 * each figure counts, so load from other processes on a shared machine skews the comparison less.
 */
export async function runLlamaCppComparison(options: LlamaCppComparisonOptions): Promise<LlamaCppComparisonReport> {
  const prefillThreads = options.prefillThreads ?? 0;
  const threads = options.threads ?? defaultIntraOpThreads(prefillThreads);
  const promptTokens = options.promptTokens ?? 128;
  const longPromptTokens = options.longPromptTokens ?? 1024;
  const newTokens = options.newTokens ?? 64;
  const sequences = options.sequences ?? 16;
  const rounds = options.rounds ?? 3;
  for (const [name, value] of Object.entries({ threads, promptTokens, longPromptTokens, newTokens, sequences, rounds })) {
    if (!Number.isInteger(value) || value < 1)
      throw new InferenceError('INVALID_ARGUMENT', `${name} must be an integer >= 1, got ${value}`);
  }
  if (newTokens < 2) throw new InferenceError('INVALID_ARGUMENT', 'newTokens must be >= 2 (decode speed needs a second token)');
  const ggufPath = options.ggufPath ?? findGguf(options.modelDir);

  const engine = await InferenceEngine.load({
    ...benchEngineOptions(options),
    intraOpThreads: threads,
    prefillThreads,
    prefillChunkTokens: options.prefillChunkTokens,
    maxConcurrency: sequences,
    maxQueue: sequences,
  });
  let peer: LlamaCppPeer | undefined;
  try {
    const geometry = engine.modelFolder.geometry;
    const longest = Math.max(promptTokens, longPromptTokens) + newTokens;
    if (longest > geometry.contextLength)
      throw new InferenceError('INPUT_TOO_LONG', `${longest} tokens exceed the context of ${geometry.contextLength}`);
    peer = await LlamaCppPeer.load({
      modelPath: ggufPath,
      threads,
      batch1ContextTokens: longest,
      sequences,
      sequenceContextTokens: promptTokens + newTokens,
    });
    checkSameModel(geometry, peer.facts, ggufPath);

    const prompts = new PromptSource(geometry.vocabSize, engine.modelFolder.bosTokenId, options.seed ?? 1);
    const shortPrompt = prompts.next(promptTokens);
    const longPrompt = prompts.next(longPromptTokens);
    const sequencePrompts = Array.from({ length: sequences }, () => prompts.next(promptTokens));
    const ours = engineRuntime(engine, newTokens);
    const theirs = peerRuntime(peer, newTokens);
    for (const runtime of [ours, theirs]) await runtime.batch1(shortPrompt.slice(0, Math.min(8, promptTokens)));

    const best = { engine: emptyBest(), llamaCpp: emptyBest() };
    for (let round = 0; round < rounds; round++) {
      const order: Array<['engine' | 'llamaCpp', Runtime]> = [
        ['engine', ours],
        ['llamaCpp', theirs],
      ];
      if (round % 2 === 1) order.reverse();
      for (const [name, runtime] of order) keepBest(best[name], 'short', await runtime.batch1(shortPrompt));
      for (const [name, runtime] of order) keepBest(best[name], 'long', await runtime.batch1(longPrompt));
      for (const [name, runtime] of order) {
        const served = await serveTogether(runtime, sequencePrompts);
        const current = best[name].aggregate;
        if (!current || served.aggregateDecodeTokensPerSecond > current.aggregateDecodeTokensPerSecond) best[name].aggregate = served;
      }
    }
    const engineFigures = toFigures(best.engine);
    const peerFigures = toFigures(best.llamaCpp);
    const ratio = (a: number, b: number): number => round2(a / b);
    return {
      model: engine.info.modelId,
      dtype: engine.info.dtype,
      gguf: ggufPath,
      ggufBytes: peer.facts.sizeBytes,
      llamaCppRuntime: peer.runtime,
      threads,
      prefillThreads: engine.batching.prefillThreads,
      int8MinRows: engine.batching.int8MinRows,
      rounds,
      promptTokens,
      longPromptTokens,
      newTokens,
      sequences,
      engine: engineFigures,
      llamaCpp: peerFigures,
      prefillRatioVsLlamaCpp: {
        short: ratio(engineFigures.prefillTokensPerSecond.short, peerFigures.prefillTokensPerSecond.short),
        long: ratio(engineFigures.prefillTokensPerSecond.long, peerFigures.prefillTokensPerSecond.long),
      },
      decodeRatioVsLlamaCpp: {
        short: ratio(engineFigures.decodeTokensPerSecond.short, peerFigures.decodeTokensPerSecond.short),
        long: ratio(engineFigures.decodeTokensPerSecond.long, peerFigures.decodeTokensPerSecond.long),
      },
      aggregateRatioVsLlamaCpp: ratio(
        engineFigures.aggregate.aggregateDecodeTokensPerSecond,
        peerFigures.aggregate.aggregateDecodeTokensPerSecond,
      ),
    };
  } finally {
    await peer?.close();
    await engine.close();
  }
}

/** Sends every prompt at once and waits for all; TTFT per request, aggregate over the whole wall time. */
async function serveTogether(runtime: Runtime, prompts: number[][]): Promise<AggregateFigures> {
  const started = performance.now();
  const served = await Promise.all(prompts.map((prompt) => runtime.serve(prompt)));
  const wallSeconds = (performance.now() - started) / 1000;
  const completionTokens = served.reduce((sum, one) => sum + one.completionTokens, 0);
  const ttfts = served.map((one) => one.timeToFirstTokenMs);
  return {
    sequences: prompts.length,
    completionTokens,
    wallSeconds: round2(wallSeconds),
    aggregateDecodeTokensPerSecond: round1(completionTokens / wallSeconds),
    p50TimeToFirstTokenMs: round1(percentile(ttfts, 50)),
    p99TimeToFirstTokenMs: round1(percentile(ttfts, 99)),
  };
}

function engineRuntime(engine: InferenceEngine, newTokens: number): Runtime {
  const options = (count: number) => ({ maxNewTokens: count, minNewTokens: count, temperature: 0 });
  return {
    batch1: async (prompt) => {
      const count = prompt.length < 8 ? 2 : newTokens;
      const result = await engine.generate({ messages: [], promptTokenIds: prompt, options: options(count) }).result;
      return {
        prefillTokensPerSecond: (prompt.length * 1000) / result.timeToFirstTokenMs,
        decodeTokensPerSecond: result.decodeTokensPerSecond,
        timeToFirstTokenMs: result.timeToFirstTokenMs,
      };
    },
    // The result's TTFT is the first generated token's arrival: streamed chunks can lag behind it (the
    // detokenizer holds back incomplete UTF-8, common in random synthetic output).
    serve: async (prompt) => {
      const result = await engine.generate({ messages: [], promptTokenIds: prompt, options: options(newTokens) }).result;
      return { timeToFirstTokenMs: result.timeToFirstTokenMs, completionTokens: result.completionTokens };
    },
  };
}

function peerRuntime(peer: LlamaCppPeer, newTokens: number): Runtime {
  return {
    batch1: async (prompt) => {
      const count = prompt.length < 8 ? 2 : newTokens;
      const run = await peer.runBatch1(prompt, count);
      return {
        prefillTokensPerSecond: (prompt.length * 1000) / run.timeToFirstTokenMs,
        decodeTokensPerSecond: ((count - 1) * 1000) / run.decodeMs,
        timeToFirstTokenMs: run.timeToFirstTokenMs,
      };
    },
    serve: async (prompt) => {
      const start = performance.now();
      let firstAt: number | undefined;
      const completionTokens = await peer.serve(prompt, newTokens, () => void (firstAt ??= performance.now()));
      return { timeToFirstTokenMs: (firstAt ?? performance.now()) - start, completionTokens };
    },
  };
}

interface Best {
  short?: Batch1;
  long?: Batch1;
  aggregate?: AggregateFigures;
}

const emptyBest = (): Best => ({});

function keepBest(best: Best, which: 'short' | 'long', figures: Batch1): void {
  const current = best[which];
  best[which] = current
    ? {
        prefillTokensPerSecond: Math.max(current.prefillTokensPerSecond, figures.prefillTokensPerSecond),
        decodeTokensPerSecond: Math.max(current.decodeTokensPerSecond, figures.decodeTokensPerSecond),
        timeToFirstTokenMs: Math.min(current.timeToFirstTokenMs, figures.timeToFirstTokenMs),
      }
    : figures;
}

function toFigures(best: Best): PeerFigures {
  const short = best.short!;
  const long = best.long!;
  return {
    prefillTokensPerSecond: { short: round1(short.prefillTokensPerSecond), long: round1(long.prefillTokensPerSecond) },
    decodeTokensPerSecond: { short: round1(short.decodeTokensPerSecond), long: round1(long.decodeTokensPerSecond) },
    timeToFirstTokenMs: { short: round1(short.timeToFirstTokenMs), long: round1(long.timeToFirstTokenMs) },
    aggregate: best.aggregate!,
  };
}

/** Prompts of ordinary token ids (below BOS, where Llama-3 vocabularies start their special tokens), BOS first. */
class PromptSource {
  private readonly random: SeededRandom;
  private readonly start: number;
  private readonly span: number;

  constructor(
    vocabSize: number,
    private readonly bosTokenId: number | undefined,
    seed: number,
  ) {
    this.random = new SeededRandom(seed);
    const limit = Math.min(vocabSize, bosTokenId ?? vocabSize);
    this.start = limit > 2000 ? 1000 : Math.min(10, limit - 1);
    this.span = Math.max(1, Math.min(20000, limit - this.start));
  }

  next(length: number): number[] {
    const ids = Array.from({ length }, () => this.start + (this.random.nextUint32() % this.span));
    if (this.bosTokenId !== undefined) ids[0] = this.bosTokenId;
    return ids;
  }
}

/** The one `.gguf` in the model folder (the q4_0 one for a q4 folder when there are several). */
function findGguf(modelDir: string): string {
  let files: string[];
  try {
    files = readdirSync(modelDir).filter((name) => name.endsWith('.gguf'));
  } catch {
    throw new InferenceError('MODEL_LOAD_FAILED', `cannot read the model folder ${modelDir}`);
  }
  if (files.length === 0) {
    throw new InferenceError(
      'INVALID_ARGUMENT',
      `no .gguf in ${modelDir}: write one with \`slm models synth --format both\` or pass ggufPath`,
    );
  }
  const chosen = files.length === 1 ? files[0] : (files.find((name) => name.includes('q4_0')) ?? files.sort()[0]);
  return path.join(modelDir, chosen);
}

/** Refuses a GGUF of other dimensions than the folder: the comparison is only fair on the same work. */
function checkSameModel(geometry: ModelGeometry, facts: LlamaCppModelFacts, ggufPath: string): void {
  const pairs: Array<[string, number, number]> = [
    ['layers', geometry.numLayers, facts.layers],
    ['heads', geometry.numHeads, facts.heads],
    ['kv heads', geometry.numKvHeads, facts.kvHeads],
    ['hidden size', geometry.hiddenSize, facts.hiddenSize],
    ['vocabulary', geometry.vocabSize, facts.vocabSize],
  ];
  const different = pairs.filter(([, ours, theirs]) => ours !== theirs);
  if (different.length > 0) {
    throw new InferenceError(
      'INVALID_ARGUMENT',
      `${ggufPath} is another model: ${different.map(([name, ours, theirs]) => `${name} ${theirs} (folder: ${ours})`).join(', ')}`,
    );
  }
}
