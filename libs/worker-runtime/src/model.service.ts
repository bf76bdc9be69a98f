import { Inject, Injectable } from '@nestjs/common';
import { protoDomainOf, type GetInfoResponse } from '@slm/contracts';
import { AppError, ErrorCode, type Logger } from '@slm/platform';
import type { DomainPolicy } from './domain-policy';
import type { EngineFactory } from './engine.factory';
import type { TextGenerationEngine } from './engine.types';
import type { WorkerConfig } from './worker.config';
import { DOMAIN_POLICY, ENGINE_FACTORY, ROOT_LOGGER, WORKER_CONFIG } from './worker-runtime.tokens';

type LoadState = 'loading' | 'ready' | 'failed';

/** Owns the worker's engine: loads and warms it up, reports its state, closes it last. */
@Injectable()
export class ModelService {
  private readonly log: Logger;
  private engineInstance: TextGenerationEngine | undefined;
  private state: LoadState = 'loading';
  private loadError = '';

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(DOMAIN_POLICY) private readonly policy: DomainPolicy,
    @Inject(ENGINE_FACTORY) private readonly factory: EngineFactory,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: ModelService.name, domain: policy.domain });
  }

  /** Loads and warms up the engine; on failure the state is 'failed' and the error is rethrown. */
  async load(): Promise<TextGenerationEngine> {
    const started = performance.now();
    try {
      const engine = await this.factory(this.config, this.log);
      this.engineInstance = engine;
      await engine.warmUp();
      this.state = 'ready';
      const { info, capacity } = engine;
      this.log.info(
        {
          model: info.modelId,
          dtype: info.dtype,
          parameters: info.parameterCount,
          syntheticWeights: info.syntheticWeights,
          ...capacity,
          ms: Math.round(performance.now() - started),
        },
        'model ready',
      );
      for (const warning of engine.warnings ?? []) this.log.warn({ model: info.modelId }, warning);
      if (info.syntheticWeights) this.log.warn({ model: info.modelId }, 'SYNTHETIC WEIGHTS: answers from this worker are meaningless');
      return engine;
    } catch (error) {
      this.state = 'failed';
      this.loadError = error instanceof Error ? error.message : String(error);
      this.log.error({ err: error }, 'model load failed');
      throw error;
    }
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  /** The engine, or MODEL_NOT_READY / MODEL_LOAD_FAILED for callers that came too early. */
  get engine(): TextGenerationEngine {
    if (this.state === 'ready' && this.engineInstance) return this.engineInstance;
    if (this.state === 'failed') throw new AppError(ErrorCode.MODEL_LOAD_FAILED, `the model failed to load: ${this.loadError}`);
    throw new AppError(ErrorCode.MODEL_NOT_READY, 'the model is still loading');
  }

  /** GetInfo's answer in every state. */
  describe(): GetInfoResponse {
    const engine = this.engineInstance;
    const base: GetInfoResponse = {
      domain: protoDomainOf(this.policy.domain),
      loadState: this.state === 'ready' ? 'LOAD_STATE_READY' : this.state === 'failed' ? 'LOAD_STATE_FAILED' : 'LOAD_STATE_LOADING',
      loadError: this.loadError,
    };
    if (!engine) return base;
    return {
      ...base,
      modelId: engine.info.modelId,
      parameterCount: String(engine.info.parameterCount),
      dtype: engine.info.dtype,
      contextLength: engine.info.contextLength,
      syntheticWeights: engine.info.syntheticWeights,
      maxConcurrency: engine.capacity.maxConcurrency,
      maxQueue: engine.capacity.maxQueue,
      ...(engine.kvCacheUse ? kvCacheFields(engine.kvCacheUse()) : {}),
    };
  }

  async close(): Promise<void> {
    const engine = this.engineInstance;
    this.engineInstance = undefined;
    if (this.state === 'ready') this.state = 'loading';
    await engine?.close();
  }
}

function kvCacheFields({
  budgetTokens,
  reservedTokens,
}: {
  budgetTokens: number;
  reservedTokens: number;
}): Pick<GetInfoResponse, 'kvCacheTokens' | 'kvCacheReservedTokens'> {
  return { kvCacheTokens: budgetTokens, kvCacheReservedTokens: reservedTokens };
}
