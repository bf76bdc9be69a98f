import type { InferenceErrorCode } from '../inference.errors';
import type { FinishReason } from '../inference.types';
import type { DecoderSessionOptions } from '../generation/decoder-session';
import type { ResolvedGenerationConfig } from '../generation/token-generator';

/** What the engine passes to its worker thread at start. */
export interface EngineWorkerData {
  onnxPath: string;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  positionOffset: number;
  intraOpThreads: number;
  interOpThreads: number;
  /** Intra-op threads of the prefill thread's session; 0: prompts are prefilled between decode steps. */
  prefillThreads: number;
  /** Sequences decoding together at most. */
  maxBatchSize: number;
  /** Prompt tokens prefilled between two decode steps at most. */
  prefillChunkTokens: number;
  /** Padded prompt tokens one batched prefill of several newcomers may run. */
  prefillTokenBudget: number;
  /** KV cache bytes all admitted sequences may reserve together (turned into tokens from the graph's KV dtype). */
  kvCacheBudgetBytes: number;
  /** Bytes of prompt-prefix keys and values the prefill thread keeps for reuse; 0: no prefix cache. */
  prefixCacheBytes: number;
  /** Rewrite MatMulNBits accuracy_level unset/0 → 4 before loading (cached tuned copy). */
  tuneMatMulNBits: boolean;
  /** Run the load-time graph compiler (graph-compiler.ts): last-position logits, plus the tuning above. */
  compileGraph: boolean;
  /** With compileGraph: fuse attention over shared KV buffers (EngineOptions.fusedAttention). */
  fusedAttention: boolean;
  /** With compileGraph: steps of at least this many rows run on an int8 graph; 0: none (EngineOptions.int8MinRows). */
  int8MinRows: number;
  /** Where tuned and compiled graphs go when the model folder is read-only. */
  tunedGraphCacheDir?: string;
}

/** Main thread → worker. Only token ids and options cross threads, never logits. */
export type ToWorker =
  | { type: 'generate'; id: number; promptIds: number[]; config: ResolvedGenerationConfig }
  | { type: 'cancel'; id: number }
  | { type: 'close' };

/** Worker → main thread. */
export type FromWorker =
  | {
      type: 'ready';
      kvDtype: string;
      inputNames: string[];
      kvBytesPerToken: number;
      maxKvTokens: number;
      onnxPath: string;
      tunedNodes: number;
      /** Prefill computes the last position's logits only (compiled graph, or num_logits_to_keep fed 1). */
      lastPositionLogits: boolean;
      /** Why the graph compiler kept the export's LM head, when it did. */
      compileFallback?: string;
      /** The graph runs fused attention over shared KV buffers. */
      fusedAttention: boolean;
      /** Why attention was left as the export has it, when fusing was asked for. */
      fusedAttentionFallback?: string;
      /** The int8 graph steps of many rows run on (EngineOptions.int8MinRows); undefined when every step runs on `onnxPath`. */
      int8OnnxPath?: string;
      /** Why there is no int8 graph, when one was asked for. */
      int8Fallback?: string;
      maxBatchSize: number;
      /** The prefill thread's intra-op threads in effect: 0 when it was not asked for or failed to start. */
      prefillThreads: number;
      /** Why the prefill thread failed to start, if it did. */
      prefillFailure?: string;
    }
  | { type: 'loadFailed'; code: InferenceErrorCode; message: string }
  /** The tokens of one scheduler step: `tokens[i]` is request `ids[i]`'s next token. */
  | { type: 'tokens'; ids: number[]; tokens: number[] }
  | { type: 'done'; id: number; finishReason: FinishReason; prefillMs: number; decodeMs: number; cachedPromptTokens: number }
  | { type: 'failed'; id: number; code: InferenceErrorCode; message: string };

/** What the engine thread passes to its prefill thread at start: its decoder session's options, and a chunk size. */
export interface PrefillWorkerData extends DecoderSessionOptions {
  /** Prompt tokens per run (bounds the attention's transient memory on long prompts). */
  chunkTokens: number;
  /** Prompt prefixes reused across requests (see PrefixCache); absent: every prompt is prefilled whole. */
  prefixCache?: { blockTokens: number; budgetBytes: number };
}

/** Engine thread → prefill thread. */
export type ToPrefill = { type: 'prefill'; id: number; promptIds: number[] } | { type: 'close' };

/**
 * Prefill thread → engine thread. `kv` holds the prompt's `present.*` data, layer by layer, key then value
 * (`kvDims` = `[1, kv_heads, length, head_dim]` each, in the graph's KV dtype); `logits` the last position's row.
 */
export type FromPrefill =
  | { type: 'ready' }
  | { type: 'loadFailed'; message: string }
  | {
      type: 'prefilled';
      id: number;
      logits: Float32Array;
      kv: (Float32Array | Uint16Array)[];
      kvDims: number[];
      length: number;
      ms: number;
      cachedTokens: number;
    }
  | { type: 'failed'; id: number; message: string };
