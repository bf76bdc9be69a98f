/**
 * The engine contract the worker runtime is written against: `@slm/inference`'s
 * TextGenerationEngine and its types (type-only: nothing of onnxruntime is loaded by importing
 * this; the ONNX engine itself is required lazily by engine.factory.ts).
 */
export type {
  ChatMessage,
  FinishReason,
  GenerationHandle,
  GenerationOptions as EngineGenerationOptions,
  GenerationRequest,
  GenerationResult,
  ModelInfo,
  TextGenerationEngine,
  TokenChunk,
} from '@slm/inference';
