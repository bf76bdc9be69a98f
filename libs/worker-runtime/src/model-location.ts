import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError, ErrorCode } from '@slm/platform';
import type { WorkerConfig } from './worker.config';

/** Folder of the generated stand-in model, inside MODELS_DIR. */
export const SYNTHETIC_MODEL_FOLDER = 'synthetic-tiny';

/** Where a worker's model comes from. */
export type ModelLocation =
  | { kind: 'folder'; dir: string }
  /** Nothing configured and the default model is not pulled: a tiny random model stands in. */
  | { kind: 'synthetic'; dir: string; missingDefault: string };

const HUB_ID = /^[\w.-]+\/[\w.-]+$/;

/**
 * Resolves `<DOMAIN>_WORKER_MODEL`: an existing folder is used as is; a Hub id is looked up as
 * `MODELS_DIR/<id>`. A configured model that is not there is an error (never silently replaced);
 * only when nothing was configured and the default is not pulled does the synthetic model stand in.
 */
export function locateModel(model: WorkerConfig['model'], exists: (dir: string) => boolean = isDirectory): ModelLocation {
  const modelsDir = path.resolve(model.modelsDir);
  if (model.configured !== undefined) {
    const asFolder = path.resolve(model.configured);
    if (exists(asFolder)) return { kind: 'folder', dir: asFolder };
    if (HUB_ID.test(model.configured) && exists(path.join(modelsDir, model.configured))) return { kind: 'folder', dir: path.join(modelsDir, model.configured) };
    throw new AppError(
      ErrorCode.MODEL_LOAD_FAILED,
      `model "${model.configured}" not found: neither a folder nor ${path.join(modelsDir, model.configured)}` +
        (HUB_ID.test(model.configured) ? ` (download it with \`slm models pull ${model.configured}\`)` : ''),
    );
  }
  const defaultDir = path.join(modelsDir, model.defaultId);
  if (exists(defaultDir)) return { kind: 'folder', dir: defaultDir };
  return { kind: 'synthetic', dir: path.join(modelsDir, SYNTHETIC_MODEL_FOLDER), missingDefault: defaultDir };
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
