import * as path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  InferenceEngine,
  SYNTH_DTYPES,
  SYNTH_PRESETS,
  ggufFileName,
  runConcurrencyBench,
  runInferenceBench,
  runLlamaCppComparison,
  runPrefixCacheBench,
  runSamplesBench,
  synthesizeGguf,
  synthesizeModel,
  type SynthDtype,
  type SynthPreset,
  type BenchModelOptions,
} from '@slm/inference';
import { commandGroup, finiteNumber, integer } from './cli-options';

/**
 * `slm models synth`, `slm generate` and `slm bench inference`: make a synthetic model folder, run one
 * prompt through the inference engine, and measure it.
 */
export function registerInferenceCommands(program: Command): void {
  addSynthCommand(program);
  addGenerateCommand(program);
  addBenchInferenceCommand(program);
}

function addSynthCommand(program: Command): void {
  const models = commandGroup(program, 'models', 'model folders: synthetic models for tests and benchmarks');
  models
    .command('synth')
    .description('write a model folder (Hub layout) with seeded random weights and MobileLLM-R1 dimensions')
    .addOption(new Option('--preset <preset>', 'geometry').choices([...SYNTH_PRESETS]).makeOptionMandatory())
    .addOption(new Option('--dtype <dtype>', 'weights').choices([...SYNTH_DTYPES]).default('q4'))
    .requiredOption('--out <dir>', 'output folder (never inside the repository)')
    .option('--seed <n>', 'PRNG seed', integer(0), 42)
    .addOption(
      new Option(
        '--format <format>',
        'onnx: the Hub folder; gguf: only a GGUF for llama.cpp (same weights, Q4_0 for q4); both: the folder with the GGUF in it',
      )
        .choices(['onnx', 'gguf', 'both'])
        .default('onnx'),
    )
    .action(synthModel);
}

function addGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('generate a completion for one prompt (chat template applied), streamed to the terminal')
    .requiredOption('--model <dir>', 'model folder (Hub layout)')
    .requiredOption('--prompt <text>', 'user message')
    .option('--system <text>', 'system message')
    .option('--dtype <dtype>', 'graph to run (fp32, fp16, q4, q4f16, int8, uint8, q8, bnb4); default from the folder')
    .option('--max-new-tokens <n>', 'new tokens at most', integer(1))
    .option('--temperature <t>', 'sampling temperature; 0 = greedy', finiteNumber)
    .option('--top-p <p>', 'nucleus sampling mass in (0, 1]', finiteNumber)
    .option('--top-k <k>', 'keep the k most likely tokens; 0 = off', integer(0))
    .option('--seed <n>', 'sampling seed', integer(0))
    .option('--stop <text...>', 'stop strings')
    .option('--threads <n>', 'onnxruntime intra-op threads', integer(1))
    .option('--json', 'print one JSON object instead of streaming')
    .action(generateCompletion);
}

function addBenchInferenceCommand(program: Command): void {
  const bench = commandGroup(program, 'bench', 'benchmarks that print JSON');
  bench
    .command('inference')
    .description(
      'batch-1 prefill/decode speed of the inference engine on a model folder (vs a bare session.run loop); ' +
        'with --concurrency N, N clients sending requests back to back through continuous batching',
    )
    .requiredOption('--model <dir>', 'model folder (Hub layout)')
    .option('--dtype <dtype>', 'graph to run; default from the folder')
    .option('--prompt-tokens <n>', 'prompt length', integer(1), 128)
    .option('--new-tokens <n>', 'tokens to generate', integer(2), 64)
    .option('--threads <n>', 'onnxruntime intra-op threads (every runtime)', integer(1))
    .option('--rounds <n>', 'rounds in which every runtime runs once (best round counts)', integer(1), 3)
    .option('--no-bare-loop', 'skip the bare session.run reference loop')
    .option('--no-compile-graph', "run the export's graph as it is (no load-time graph compiler: logits for every prompt position)")
    .option(
      '--no-fused-attention',
      "keep the export's attention (each decode step copies the KV cache) instead of fusing it over shared buffers",
    )
    .option('--int8-min-rows <n>', 'steps of at least n rows (prompt tokens, batched sequences) on the int8 graph; 0: none', integer(0))
    .option('--vs-transformers-js', 'also measure @huggingface/transformers on the same folder')
    .option(
      '--vs-llama-cpp',
      'compare with llama.cpp (node-llama-cpp) on the GGUF of the same model, interleaved: prefill at --prompt-tokens and ' +
        '--long-prompt-tokens, batch-1 decode after each, and --sequences concurrent sequences (aggregate decode, TTFT p50/p99)',
    )
    .option('--gguf <file>', 'with --vs-llama-cpp: the GGUF (default: the one .gguf in the model folder)')
    .option('--long-prompt-tokens <n>', 'with --vs-llama-cpp: the long prompt', integer(1), 1024)
    .option('--sequences <n>', 'with --vs-llama-cpp: concurrent sequences of the aggregate runs', integer(1), 16)
    .option('--concurrency <n>', 'N concurrent clients (seeded mix of prompt and output lengths) instead of batch-1 runs', integer(1))
    .option('--requests-per-client <n>', 'with --concurrency: requests each client sends back to back', integer(1), 2)
    .option('--max-batch-size <n>', 'with --concurrency: engine batch size (default N)', integer(1))
    .option('--prefill-chunk-tokens <n>', 'with --concurrency or --vs-llama-cpp: prompt tokens prefilled between decode steps', integer(1))
    .option(
      '--prefill-threads <n>',
      "with --concurrency, --prefix-cache or --vs-llama-cpp: the engine's prefill thread (intra-op threads; 0: none; --vs-llama-cpp default 0, so both use --threads)",
      integer(0),
    )
    .option('--seed <n>', 'with --concurrency or --vs-llama-cpp: seed of the request mix or prompt ids', integer(0), 1)
    .option('--prompt-range <min:max>', 'with --concurrency: prompt lengths drawn from this range (default 32:256)', range)
    .option('--new-tokens-range <min:max>', 'with --concurrency: output lengths drawn from this range (default 64:512)', range)
    .option(
      '--prefix-cache',
      'a batch of --problems problems sharing a --header-tokens header, all at once, with the prefix cache and without: TTFT p50/p99 and prefixCacheHitRate',
    )
    .option('--problems <n>', 'with --prefix-cache: problems in the batch', integer(1), 64)
    .option('--header-tokens <n>', 'with --prefix-cache: tokens of the shared header', integer(1), 200)
    .option(
      '--samples <k,...>',
      'what k self-consistency samples of one problem cost, per k (1 always included): k samples (temperature 0.6, seeds 1..k, ' +
        'exactly --new-tokens each) submitted together to one engine vs the same k one after another; latencyMs, latencyVsK1, speedupVsSequential ' +
        '(--prompt-tokens, --new-tokens, --threads, --prefill-threads and --seed apply)',
      sampleCounts,
    )
    .option('--json', 'print JSON (the only format)')
    .action(benchInference);
}

/** `slm models synth`: a model folder with seeded random weights (and/or its GGUF). */
async function synthModel(options: {
  preset: SynthPreset;
  dtype: SynthDtype;
  out: string;
  seed: number;
  format: 'onnx' | 'gguf' | 'both';
}): Promise<void> {
  const started = performance.now();
  const written: string[] = [];
  if (options.format !== 'gguf') {
    await synthesizeModel({ preset: options.preset, dtype: options.dtype, outDir: options.out, seed: options.seed });
    written.push(options.out);
  }
  if (options.format !== 'onnx') {
    const gguf = await synthesizeGguf({
      preset: options.preset,
      dtype: options.dtype,
      outFile: path.join(options.out, ggufFileName(options.dtype)),
      seed: options.seed,
    });
    written.push(`${gguf.file} (${gguf.weightType}, ${(gguf.bytes / 1e6).toFixed(1)} MB)`);
  }
  console.log(
    `wrote ${options.preset} (${options.dtype}): ${written.join(', ')} in ${Math.round(performance.now() - started)} ms (synthetic weights)`,
  );
}

/** `slm generate`: one prompt through the inference engine, streamed (Ctrl-C stops the generation). */
async function generateCompletion(options: GenerateOptions): Promise<void> {
  const engine = await InferenceEngine.load({ modelDir: options.model, dtype: options.dtype, intraOpThreads: options.threads });
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const messages = [
      ...(options.system ? [{ role: 'system' as const, content: options.system }] : []),
      { role: 'user' as const, content: options.prompt },
    ];
    const handle = engine.generate({
      messages,
      signal: controller.signal,
      options: {
        maxNewTokens: options.maxNewTokens,
        temperature: options.temperature,
        topP: options.topP,
        topK: options.topK,
        seed: options.seed,
        stop: options.stop,
      },
    });
    if (!options.json) for await (const chunk of handle) process.stdout.write(chunk.text);
    const result = await handle.result;
    if (options.json) {
      const { tokenIds, text, promptTokens, completionTokens, timeToFirstTokenMs, decodeTokensPerSecond, finishReason } = result;
      console.log(
        JSON.stringify({ tokenIds, text, promptTokens, completionTokens, timeToFirstTokenMs, decodeTokensPerSecond, finishReason }),
      );
    } else {
      process.stdout.write('\n');
      console.error(
        `[${result.finishReason}] ${result.promptTokens} prompt + ${result.completionTokens} new tokens, ` +
          `first token ${result.timeToFirstTokenMs.toFixed(0)} ms, ${result.decodeTokensPerSecond.toFixed(1)} tokens/s` +
          (engine.info.syntheticWeights ? ' (synthetic weights: the text is meaningless)' : ''),
      );
    }
  } finally {
    process.off('SIGINT', onSigint);
    await engine.close();
  }
}

/** `slm bench inference`: the measurement the flags pick, as JSON. */
async function benchInference(options: BenchOptions): Promise<void> {
  const report = await inferenceBenchReport(options);
  console.log(JSON.stringify(report, null, options.json ? undefined : 2));
}

/** --samples, else --prefix-cache, else --vs-llama-cpp, else --concurrency, else the batch-1 runs. */
function inferenceBenchReport(options: BenchOptions): Promise<unknown> {
  if (options.samples) return samplesBench(options, options.samples);
  if (options.prefixCache) return prefixCacheBench(options);
  if (options.vsLlamaCpp) return llamaCppComparison(options);
  if (options.concurrency !== undefined) return concurrencyBench(options, options.concurrency);
  return runInferenceBench({
    ...benchModel(options),
    promptTokens: options.promptTokens,
    newTokens: options.newTokens,
    threads: options.threads,
    bareLoop: options.bareLoop,
    compileGraph: options.compileGraph,
    rounds: options.rounds,
    vsTransformersJs: options.vsTransformersJs,
  });
}

/** The model every engine bench loads, as the flags give it. */
function benchModel(options: BenchOptions): BenchModelOptions {
  return { modelDir: options.model, dtype: options.dtype, fusedAttention: options.fusedAttention, int8MinRows: options.int8MinRows };
}

function samplesBench(options: BenchOptions, samples: number[]): Promise<unknown> {
  return runSamplesBench({
    ...benchModel(options),
    samples,
    promptTokens: options.promptTokens,
    newTokens: options.newTokens,
    threads: options.threads,
    prefillThreads: options.prefillThreads,
    seed: options.seed,
  });
}

function prefixCacheBench(options: BenchOptions): Promise<unknown> {
  return runPrefixCacheBench({
    ...benchModel(options),
    problems: options.problems,
    headerTokens: options.headerTokens,
    maxBatchSize: options.maxBatchSize,
    threads: options.threads,
    prefillThreads: options.prefillThreads,
    seed: options.seed,
  });
}

function llamaCppComparison(options: BenchOptions): Promise<unknown> {
  return runLlamaCppComparison({
    ...benchModel(options),
    ggufPath: options.gguf,
    threads: options.threads,
    promptTokens: options.promptTokens,
    longPromptTokens: options.longPromptTokens,
    newTokens: options.newTokens,
    sequences: options.sequences,
    rounds: options.rounds,
    prefillThreads: options.prefillThreads,
    prefillChunkTokens: options.prefillChunkTokens,
    seed: options.seed,
  });
}

function concurrencyBench(options: BenchOptions, concurrency: number): Promise<unknown> {
  return runConcurrencyBench({
    ...benchModel(options),
    concurrency,
    requestsPerClient: options.requestsPerClient,
    maxBatchSize: options.maxBatchSize,
    prefillChunkTokens: options.prefillChunkTokens,
    prefillThreads: options.prefillThreads,
    threads: options.threads,
    seed: options.seed,
    promptTokens: options.promptRange,
    newTokens: options.newTokensRange,
    vsTransformersJs: options.vsTransformersJs,
  });
}

interface GenerateOptions {
  model: string;
  prompt: string;
  system?: string;
  dtype?: string;
  maxNewTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  stop?: string[];
  threads?: number;
  json?: boolean;
}

interface BenchOptions {
  model: string;
  dtype?: string;
  promptTokens: number;
  newTokens: number;
  threads?: number;
  rounds: number;
  bareLoop: boolean;
  compileGraph: boolean;
  fusedAttention: boolean;
  int8MinRows?: number;
  vsTransformersJs?: boolean;
  vsLlamaCpp?: boolean;
  gguf?: string;
  longPromptTokens: number;
  sequences: number;
  concurrency?: number;
  requestsPerClient: number;
  maxBatchSize?: number;
  prefillChunkTokens?: number;
  prefillThreads?: number;
  seed: number;
  promptRange?: [number, number];
  newTokensRange?: [number, number];
  prefixCache?: boolean;
  problems: number;
  headerTokens: number;
  samples?: number[];
  json?: boolean;
}

/** `1,4,8`: self-consistency sample counts, each in 1..16 as `Problem.options.samples`. */
function sampleCounts(value: string): number[] {
  return value.split(',').map((k) => integer(1, 16)(k));
}

function range(value: string): [number, number] {
  const match = /^(\d+):(\d+)$/.exec(value.trim());
  if (!match || Number(match[1]) < 1 || Number(match[2]) < Number(match[1]))
    throw new InvalidArgumentError('expected min:max with 1 <= min <= max');
  return [Number(match[1]), Number(match[2])];
}
