import * as ort from 'onnxruntime-node';
import { InferenceEngine } from '../engine/inference.engine';
import { InferenceError } from '../inference.errors';
import { loadTransformersJsModel } from './transformers-js-model';
import { argmax } from '../generation/sampler';
import { TextTokenizer } from '../model/text-tokenizer';
import { type BenchModelOptions, benchEngineOptions } from './bench-model';

export interface InferenceBenchOptions extends BenchModelOptions {
  /** Prompt length in tokens. Default 128. */
  promptTokens?: number;
  /** New tokens per run. Default 64. */
  newTokens?: number;
  /** onnxruntime intra-op threads for every runtime measured. Default: the engine's default. */
  threads?: number;
  /** Also time a bare `session.run` greedy loop over the same graph. Default true. */
  bareLoop?: boolean;
  /** Also time @huggingface/transformers on the same folder. Default false. */
  vsTransformersJs?: boolean;
  /** Rounds in which every runtime runs once; the best round of each is reported. Default 3. */
  rounds?: number;
  /** Run the engine on the compiled graph (EngineOptions.compileGraph). Default true. */
  compileGraph?: boolean;
}

export interface RuntimeFigures {
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  timeToFirstTokenMs: number;
}

export interface InferenceBenchReport extends RuntimeFigures {
  model: string;
  dtype: string;
  promptTokens: number;
  newTokens: number;
  threads: number;
  rounds: number;
  /** The engine's prefill computed the last position's logits only (see EngineOptions.compileGraph). */
  lastPositionLogits: boolean;
  /** The engine ran fused attention over shared KV buffers (see EngineOptions.fusedAttention). */
  fusedAttention: boolean;
  /** Steps of at least this many rows ran on the int8 graph (0: none; see EngineOptions.int8MinRows). */
  int8MinRows: number;
  /** Max resident set of this process after the engine's first measured run (worker thread included). */
  peakRssMb: number;
  bareSessionRun?: RuntimeFigures & { decodeRatioVsBare: number };
  transformersJs?: RuntimeFigures;
  decodeRatioVsTransformersJs?: number;
}

/**
 * Measures batch-1 prefill and decode speed of the engine and, optionally, of references on the same
 * folder. The runtimes take turns for `rounds` rounds and the best round of each counts, so load from
 * other processes on a shared machine skews the comparison less.
 */
export async function runInferenceBench(options: InferenceBenchOptions): Promise<InferenceBenchReport> {
  const promptTokens = options.promptTokens ?? 128;
  const newTokens = options.newTokens ?? 64;
  const rounds = options.rounds ?? 3;
  for (const [name, value] of Object.entries({ promptTokens, newTokens, rounds })) {
    if (!Number.isInteger(value) || value < 1)
      throw new InferenceError('INVALID_ARGUMENT', `${name} must be an integer >= 1, got ${value}`);
  }
  const engine = await InferenceEngine.load({
    ...benchEngineOptions(options),
    intraOpThreads: options.threads,
    maxQueue: 0,
    compileGraph: options.compileGraph,
  });
  // Every runtime measured gets the engine's decode threads.
  const threads = engine.batching.intraOpThreads;
  const closers: Array<() => Promise<void>> = [() => engine.close()];
  try {
    const folder = engine.modelFolder;
    const prompt = benchPrompt(new TextTokenizer(folder), promptTokens);
    if (prompt.length + newTokens > folder.geometry.contextLength) {
      throw new InferenceError('INPUT_TOO_LONG', `prompt + new tokens exceed the context of ${folder.geometry.contextLength}`);
    }
    const runEngine = async (): Promise<RuntimeFigures> => {
      const result = await engine.generate({ messages: [], promptTokenIds: prompt, options: { maxNewTokens: newTokens, temperature: 0 } })
        .result;
      return {
        prefillTokensPerSecond: (prompt.length * 1000) / result.timeToFirstTokenMs,
        decodeTokensPerSecond: result.decodeTokensPerSecond,
        timeToFirstTokenMs: result.timeToFirstTokenMs,
      };
    };
    await engine.generate({ messages: [], promptTokenIds: prompt.slice(0, 8), options: { maxNewTokens: 2, temperature: 0 } }).result;
    let ours = await runEngine();
    // Peak RSS of the engine alone, before any reference runtime is loaded into this process.
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const runners: Array<{ name: 'bare' | 'tjs'; run: () => Promise<RuntimeFigures> }> = [];
    if (options.bareLoop ?? true) {
      const bare = await bareSessionLoop(folder.onnxPath, folder.geometry, prompt, newTokens, threads);
      closers.push(bare.close);
      runners.push({ name: 'bare', run: bare.run });
    }
    if (options.vsTransformersJs) {
      const tjs = await transformersJs(folder.dir, engine.info.dtype, prompt, newTokens, threads);
      closers.push(tjs.close);
      runners.push({ name: 'tjs', run: tjs.run });
    }
    const best: Partial<Record<'bare' | 'tjs', RuntimeFigures>> = {};
    for (let round = 0; round < rounds; round++) {
      if (round > 0) ours = bestOf(ours, await runEngine());
      for (const runner of runners) {
        const figures = await runner.run();
        best[runner.name] = best[runner.name] ? bestOf(best[runner.name]!, figures) : figures;
      }
    }
    const report: InferenceBenchReport = {
      model: engine.info.modelId,
      dtype: engine.info.dtype,
      promptTokens: prompt.length,
      newTokens,
      threads,
      rounds,
      lastPositionLogits: engine.batching.lastPositionLogits,
      fusedAttention: engine.batching.fusedAttention,
      int8MinRows: engine.batching.int8MinRows,
      ...ours,
      peakRssMb,
    };
    if (best.bare)
      report.bareSessionRun = { ...best.bare, decodeRatioVsBare: ours.decodeTokensPerSecond / best.bare.decodeTokensPerSecond };
    if (best.tjs) {
      report.transformersJs = best.tjs;
      report.decodeRatioVsTransformersJs = ours.decodeTokensPerSecond / best.tjs.decodeTokensPerSecond;
    }
    return report;
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

function bestOf(a: RuntimeFigures, b: RuntimeFigures): RuntimeFigures {
  return {
    prefillTokensPerSecond: Math.max(a.prefillTokensPerSecond, b.prefillTokensPerSecond),
    decodeTokensPerSecond: Math.max(a.decodeTokensPerSecond, b.decodeTokensPerSecond),
    timeToFirstTokenMs: Math.min(a.timeToFirstTokenMs, b.timeToFirstTokenMs),
  };
}

/** A natural-looking prompt of exactly `length` ids (BOS first). */
function benchPrompt(tokenizer: TextTokenizer, length: number): number[] {
  const text = 'Please reason step by step, and put your final answer within \\boxed{}. What is the sum of the first hundred primes? ';
  const ids: number[] = [];
  const first = tokenizer.encode('x', true);
  if (first.length > 1) ids.push(first[0]);
  while (ids.length < length) ids.push(...tokenizer.encode(text, false));
  return ids.slice(0, length);
}

/** The floor: a greedy loop calling session.run directly on this thread, nothing else. */
async function bareSessionLoop(
  onnxPath: string,
  geometry: { numLayers: number; numKvHeads: number; headDim: number },
  prompt: number[],
  newTokens: number,
  threads: number,
): Promise<{ run: () => Promise<RuntimeFigures>; close: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(onnxPath, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const run = async (count: number): Promise<{ ttft: number; decode: number }> => {
    let past: Record<string, ort.Tensor> = {};
    for (let i = 0; i < geometry.numLayers; i++) {
      for (const part of ['key', 'value']) {
        past[`past_key_values.${i}.${part}`] = new ort.Tensor('float32', new Float32Array(0), [
          1,
          geometry.numKvHeads,
          0,
          geometry.headDim,
        ]);
      }
    }
    let tokens = prompt;
    let length = 0;
    const start = performance.now();
    let firstAt = start;
    for (let step = 0; step < count; step++) {
      const total = length + tokens.length;
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [1, tokens.length]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
        ...past,
      };
      if (session.inputNames.includes('position_ids')) {
        feeds.position_ids = new ort.Tensor(
          'int64',
          BigInt64Array.from(tokens, (_, k) => BigInt(length + k)),
          [1, tokens.length],
        );
      }
      const out = await session.run(feeds);
      const logits = out.logits as ort.Tensor;
      const vocab = logits.dims[2];
      const next = argmax((logits.data as Float32Array).subarray((logits.dims[1] - 1) * vocab));
      past = {};
      for (let i = 0; i < geometry.numLayers; i++) {
        for (const part of ['key', 'value']) past[`past_key_values.${i}.${part}`] = out[`present.${i}.${part}`] as ort.Tensor;
      }
      length = total;
      tokens = [next];
      if (step === 0) firstAt = performance.now();
    }
    return { ttft: firstAt - start, decode: performance.now() - firstAt };
  };
  await run(2);
  return {
    run: async () => {
      const { ttft, decode } = await run(newTokens);
      return figures(prompt.length, newTokens, ttft, decode);
    },
    close: () => session.release(),
  };
}

async function transformersJs(
  dir: string,
  dtype: string,
  prompt: number[],
  newTokens: number,
  threads: number,
): Promise<{ run: () => Promise<RuntimeFigures>; close: () => Promise<void> }> {
  const { model, Tensor } = await loadTransformersJsModel(dir, dtype, threads);
  const generate = async (ids: number[], count: number): Promise<number> => {
    const start = performance.now();
    await model.generate({
      input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      attention_mask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
      max_new_tokens: count,
      min_new_tokens: count,
      do_sample: false,
    } as never);
    return performance.now() - start;
  };
  await generate(prompt.slice(0, 8), 2);
  return {
    run: async () => {
      const ttft = await generate(prompt, 1);
      const total = await generate(prompt, newTokens);
      return figures(prompt.length, newTokens, ttft, total - ttft);
    },
    close: async () => {
      await model.dispose();
    },
  };
}

function figures(promptTokens: number, newTokens: number, ttftMs: number, decodeMs: number): RuntimeFigures {
  return {
    prefillTokensPerSecond: (promptTokens * 1000) / ttftMs,
    decodeTokensPerSecond: ((newTokens - 1) * 1000) / decodeMs,
    timeToFirstTokenMs: ttftMs,
  };
}
