import { SYNTHETIC_MODEL_FOLDER, resolveWorkerModel } from '@slm/model-hub';
import { AppError, ErrorCode } from '@slm/platform';
import type { WorkerConfig } from './worker.config';

export { SYNTHETIC_MODEL_FOLDER };

/** Where a worker's model comes from. */
export type ModelLocation =
  | { kind: 'folder'; dir: string }
  /** Nothing configured and the default model is not pulled: a tiny random model stands in. */
  | { kind: 'synthetic'; dir: string; missingDefault: string };

/**
 * Resolves `<DOMAIN>_WORKER_MODEL` with model-hub's `resolveWorkerModel` (the function `slm models
 * list` reports with): a folder, a Hub id or an alias inside MODELS_DIR. A configured model that is
 * not there is an error (never silently replaced); only when nothing was configured and the default
 * is not pulled does the synthetic model stand in.
 * @param isModelFolder whether a folder holds a model (config.json); injectable for tests.
 */
export function locateModel(model: WorkerConfig['model'], isModelFolder?: (dir: string) => boolean): ModelLocation {
  const resolved = resolveWorkerModel(
    { configured: model.configured, defaultModel: model.defaultId, modelsDir: model.modelsDir },
    isModelFolder,
  );
  if (resolved.kind === 'missing') throw new AppError(ErrorCode.MODEL_LOAD_FAILED, resolved.problem);
  return resolved;
}
