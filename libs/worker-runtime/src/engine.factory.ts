import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '@slm/platform';
import { AppError, ErrorCode } from '@slm/platform';
import type { TextGenerationEngine } from './engine.types';
import { InstantEngine } from './instant.engine';
import { locateModel } from './model-location';
import { assertUnreachable } from './solve-request';
import type { WorkerConfig } from './worker.config';

/** Builds the engine a worker hosts (tests pass their own). */
export type EngineFactory = (config: WorkerConfig, log: Logger) => Promise<TextGenerationEngine>;

/** `@slm/inference`, loaded lazily so the instant engine and unit tests never load onnxruntime. */
type InferenceModule = typeof import('@slm/inference');

/** The default factory: the ONNX model of the config, or the benchmark engine. */
export const createEngine: EngineFactory = async (config, log) => {
  switch (config.model.engine) {
    case 'instant':
      log.warn({ engine: 'instant' }, 'BENCHMARK ENGINE: every answer is a fixed synthetic text, no model runs (never use in production)');
      return new InstantEngine({
        maxConcurrency: config.engine.maxConcurrency,
        maxQueue: config.engine.maxQueue,
        latencyMs: config.engine.instantLatencyMs,
      });
    case 'onnx':
      return loadOnnxEngine(config, log);
    default:
      return assertUnreachable(config.model.engine);
  }
};

async function loadOnnxEngine(config: WorkerConfig, log: Logger): Promise<TextGenerationEngine> {
  const location = locateModel(config.model);
  const inference = loadInference();
  if (location.kind === 'synthetic') {
    log.warn(
      { modelDir: location.dir, missing: location.missingDefault },
      `NO MODEL: ${location.missingDefault} is not there and ${config.envPrefix}MODEL is unset, so a tiny synthetic model with RANDOM WEIGHTS ` +
        'answers: every answer is meaningless (results carry syntheticWeights=true). Pull the real model with `slm models pull`.',
    );
    await ensureSyntheticModel(location.dir, inference);
  }
  log.info({ modelDir: location.dir, dtype: config.model.dtype ?? '(model default)' }, 'loading model');
  return inference.InferenceEngine.load({
    modelDir: location.dir,
    ...(config.model.dtype ? { dtype: config.model.dtype } : {}),
    maxConcurrency: config.engine.maxConcurrency,
    maxQueue: config.engine.maxQueue,
    ...(config.engine.intraOpThreads ? { intraOpThreads: config.engine.intraOpThreads } : {}),
    ...(config.engine.prefillThreads !== undefined ? { prefillThreads: config.engine.prefillThreads } : {}),
    ...(config.engine.prefixCacheMb !== undefined ? { prefixCacheMb: config.engine.prefixCacheMb } : {}),
    ...(config.engine.int8MinRows !== undefined ? { int8MinRows: config.engine.int8MinRows } : {}),
  });
}

function loadInference(): InferenceModule {
  try {
    // Loaded on demand: onnxruntime-node is heavy and the instant engine does not need it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@slm/inference') as InferenceModule;
  } catch (error) {
    throw new AppError(
      ErrorCode.MODEL_LOAD_FAILED,
      `cannot load @slm/inference: ${error instanceof Error ? error.message : String(error)}`,
      undefined,
      { cause: error },
    );
  }
}

/**
 * Writes the synthetic model once. Several workers may start together on one MODELS_DIR, so it
 * is written to a private folder and renamed into place; the loser of the race keeps the winner's.
 */
async function ensureSyntheticModel(dir: string, inference: InferenceModule): Promise<void> {
  if (fs.existsSync(path.join(dir, 'config.json'))) return;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const scratch = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await inference.synthesizeModel({ preset: 'tiny', dtype: 'fp32', outDir: scratch, seed: 0 });
  try {
    fs.renameSync(scratch, dir);
  } catch (error) {
    fs.rmSync(scratch, { recursive: true, force: true });
    if (!fs.existsSync(path.join(dir, 'config.json'))) throw error;
  }
}
