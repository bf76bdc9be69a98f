import type { GenerationHandle, GenerationRequest, GenerationResult, ModelInfo, TextGenerationEngine, TokenChunk } from './engine.types';

/** What the benchmark engine answers, whatever the question. */
export const INSTANT_ENGINE_TEXT = '<think>instant benchmark engine: no model ran</think>synthetic benchmark answer';

/**
 * A benchmark-only engine (`<DOMAIN>_WORKER_ENGINE=instant`): answers every request at once with
 * a fixed short text, so the router's throughput can be measured without model time. Its info
 * says `syntheticWeights: true` and model id `instant-benchmark`: nobody can mistake it for answers.
 */
export class InstantEngine implements TextGenerationEngine {
  readonly info: ModelInfo = {
    modelId: 'instant-benchmark',
    modelDir: '',
    parameterCount: 0,
    dtype: 'none',
    contextLength: 0,
    syntheticWeights: true,
  };

  constructor(readonly capacity: { maxConcurrency: number; maxQueue: number }) {}

  generate(request: GenerationRequest): GenerationHandle {
    const started = performance.now();
    const reasoning = 'instant benchmark engine: no model ran';
    const answer = 'synthetic benchmark answer';
    const chunks: TokenChunk[] = [
      // Like the ONNX engine's stream: channels without the think markers, so they join to the result's parts.
      { text: reasoning, tokenIds: [1], channel: 'reasoning' },
      { text: answer, tokenIds: [2], channel: 'answer' },
    ];
    const cancelled = request.signal?.aborted ?? false;
    const result: GenerationResult = {
      text: INSTANT_ENGINE_TEXT,
      reasoning,
      answer,
      tokenIds: [1, 2],
      promptTokens: request.messages.reduce((n, m) => n + m.content.length, 0),
      completionTokens: 2,
      queuedMs: 0,
      cachedPromptTokens: 0,
      timeToFirstTokenMs: 0,
      totalMs: performance.now() - started,
      decodeTokensPerSecond: 0,
      finishReason: cancelled ? 'cancelled' : 'stop',
    };
    return {
      result: Promise.resolve(result),
      async *[Symbol.asyncIterator]() {
        if (!cancelled) yield* chunks;
      },
    };
  }

  async warmUp(): Promise<void> {}

  async close(): Promise<void> {}
}
