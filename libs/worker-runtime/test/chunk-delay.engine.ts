import { setTimeout } from 'node:timers/promises';
import type { EngineFactory } from '../src/engine.factory';
import type { GenerationHandle, GenerationRequest, TextGenerationEngine } from '../src/engine.types';

/**
 * Tests only: the engines of `factory`, each streamed chunk followed by a `delayMs` pause (none once
 * the request is aborted), so a test reliably finds a job mid-generation — the worker's own config
 * has no such knob. Pass it as `engineFactory` to startWorker/bootstrapWorker.
 */
export function withChunkDelay(factory: EngineFactory, delayMs: number): EngineFactory {
  return async (config, log) => new ChunkDelayEngine(await factory(config, log), delayMs);
}

class ChunkDelayEngine implements TextGenerationEngine {
  readonly kvCacheUse?: () => { budgetTokens: number; reservedTokens: number };

  constructor(
    private readonly engine: TextGenerationEngine,
    private readonly delayMs: number,
  ) {
    if (engine.kvCacheUse) this.kvCacheUse = () => engine.kvCacheUse!();
  }

  get info(): TextGenerationEngine['info'] {
    return this.engine.info;
  }

  get capacity(): TextGenerationEngine['capacity'] {
    return this.engine.capacity;
  }

  get warnings(): TextGenerationEngine['warnings'] {
    return this.engine.warnings;
  }

  generate(request: GenerationRequest): GenerationHandle {
    const handle = this.engine.generate(request);
    const delayMs = this.delayMs;
    return {
      result: handle.result,
      async *[Symbol.asyncIterator]() {
        for await (const chunk of handle) {
          yield chunk;
          if (!request.signal?.aborted) await setTimeout(delayMs);
        }
      },
    };
  }

  warmUp(): Promise<void> {
    return this.engine.warmUp();
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
