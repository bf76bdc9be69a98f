export type {
  ChatMessage,
  EngineOptions,
  FinishReason,
  GenerationHandle,
  GenerationOptions,
  GenerationRequest,
  GenerationResult,
  ModelInfo,
  TextGenerationEngine,
  TokenChunk,
} from './inference.types';
export { InferenceError, type InferenceErrorCode } from './inference.errors';
export { InferenceEngine } from './engine/inference.engine';
export { synthesizeModel, type SynthesizeModelOptions } from './synth/synthesize-model';
export { ggufFileName, synthesizeGguf, type SynthesizeGgufOptions, type SynthesizedGguf } from './synth/synthesize-gguf';
export { SYNTH_DTYPES, SYNTH_PRESETS, type SynthDtype, type SynthPreset } from './synth/model-presets';
export { loadModelFolder, type ModelFolder } from './model/model-folder';
export { TextTokenizer } from './model/text-tokenizer';
export { StreamingDetokenizer } from './model/streaming-detokenizer';
export { DecoderSession } from './generation/decoder-session';
export { KvCache, type KvRow } from './generation/kv-cache';
export { BatchScheduler, type BatchSchedulerOptions, type SchedulerEvents, type TokenEvent } from './engine/batch-scheduler';
export { tuneMatMulNBits, type TuneResult } from './onnx/matmul-nbits-tuning';
export { compileDecoderGraph, type CompiledGraph, type GraphCompileOptions } from './onnx/graph-compiler';
export { TokenGenerator, type ResolvedGenerationConfig } from './generation/token-generator';
export { type LogitsProcessor, minNewTokens, repetitionPenalty, temperatureScaling, topK, topP } from './generation/logits-processors';
export { Sampler } from './generation/sampler';
export { StopStringMatcher } from './generation/stop-string-matcher';
export { ThinkSplitter, promptOpensThinking, splitThinking } from './generation/think-splitter';
export type { BenchModelOptions } from './bench/bench-model';
export { runInferenceBench, type InferenceBenchOptions, type InferenceBenchReport } from './bench/inference-bench';
export {
  runLlamaCppComparison,
  type LlamaCppComparisonOptions,
  type LlamaCppComparisonReport,
  type AggregateFigures,
  type PeerFigures,
} from './bench/llama-cpp-comparison';
export {
  runConcurrencyBench,
  type ConcurrencyBenchOptions,
  type ConcurrencyBenchReport,
  type ServingFigures,
} from './bench/concurrency-bench';
export {
  runPrefixCacheBench,
  type PrefixCacheBenchOptions,
  type PrefixCacheBenchReport,
  type PrefixCacheRun,
} from './bench/prefix-cache-bench';
export { runSamplesBench, type SamplesBenchOptions, type SamplesBenchReport, type SamplesFigures } from './bench/samples-bench';
export type { BatchingLimits } from './engine/inference.engine';
