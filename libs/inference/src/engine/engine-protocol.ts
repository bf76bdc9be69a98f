import type { InferenceErrorCode } from '../inference.errors';
import type { FinishReason } from '../inference.types';
import type { ResolvedGenerationConfig } from '../generation/token-generator';

/** What the engine passes to its worker thread at start. */
export interface EngineWorkerData {
  onnxPath: string;
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  positionOffset: number;
  intraOpThreads: number;
  interOpThreads: number;
  /** Sequences decoding together at most. */
  maxBatchSize: number;
  /** Prompt tokens prefilled between two decode steps at most. */
  prefillChunkTokens: number;
  /** Padded prompt tokens one batched prefill of several newcomers may run. */
  prefillTokenBudget: number;
  /** KV cache bytes all admitted sequences may reserve together (turned into tokens from the graph's KV dtype). */
  kvCacheBudgetBytes: number;
  /** Rewrite MatMulNBits accuracy_level unset/0 → 4 before loading (cached tuned copy). */
  tuneMatMulNBits: boolean;
  /** Where tuned graphs go when the model folder is read-only. */
  tunedGraphCacheDir?: string;
}

/** Main thread → worker. Only token ids and options cross threads, never logits. */
export type ToWorker =
  | { type: 'generate'; id: number; promptIds: number[]; config: ResolvedGenerationConfig }
  | { type: 'cancel'; id: number }
  | { type: 'close' };

/** Worker → main thread. */
export type FromWorker =
  | { type: 'ready'; kvDtype: string; inputNames: string[]; kvBytesPerToken: number; maxKvTokens: number; onnxPath: string; tunedNodes: number; maxBatchSize: number }
  | { type: 'loadFailed'; code: InferenceErrorCode; message: string }
  | { type: 'token'; id: number; token: number }
  | { type: 'done'; id: number; finishReason: FinishReason; prefillMs: number; decodeMs: number }
  | { type: 'failed'; id: number; code: InferenceErrorCode; message: string };
