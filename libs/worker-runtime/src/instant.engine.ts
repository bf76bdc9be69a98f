import { setTimeout as sleep } from 'node:timers/promises';
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

  /**
   * @param capacity what `info` reports as the engine's limits; `latencyMs` (default 0) is how long
   * each answer takes, so a benchmark can run one replica slower than the others.
   */
  constructor(readonly capacity: { maxConcurrency: number; maxQueue: number; latencyMs?: number }) {}

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
    const latencyMs = cancelled ? 0 : (this.capacity.latencyMs ?? 0);
    // An abort ends the wait early: the answer is then cancelled, as the ONNX engine's would be.
    const answered = latencyMs > 0 ? sleep(latencyMs, undefined, { signal: request.signal }).catch(() => undefined) : Promise.resolve();
    const aborted = (): boolean => cancelled || (latencyMs > 0 && (request.signal?.aborted ?? false));
    const resultOf = (): GenerationResult => ({
      text: INSTANT_ENGINE_TEXT,
      reasoning,
      answer,
      tokenIds: [1, 2],
      promptTokens: request.messages.reduce((n, m) => n + m.content.length, 0),
      completionTokens: 2,
      queuedMs: 0,
      cachedPromptTokens: 0,
      timeToFirstTokenMs: latencyMs,
      totalMs: performance.now() - started,
      decodeTokensPerSecond: 0,
      finishReason: aborted() ? 'cancelled' : 'stop',
    });
    return {
      result: answered.then(resultOf),
      async *[Symbol.asyncIterator]() {
        await answered;
        if (!aborted()) yield* chunks;
      },
    };
  }

  async warmUp(): Promise<void> {}

  async close(): Promise<void> {}
}
