import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HubError } from './hub.errors';
import { resolveRepoId } from './known-models';

/** Folder of the generated stand-in model, inside the model directory. */
export const SYNTHETIC_MODEL_FOLDER = 'synthetic-tiny';

/** What a worker's model setting names. */
export interface WorkerModelSetting {
  /** `<DOMAIN>_WORKER_MODEL` as given (a folder, a Hub id or an alias); undefined when unset. */
  configured: string | undefined;
  /** The domain's default model (a Hub id or an alias), looked up inside `modelsDir`. */
  defaultModel: string;
  /** The model directory (`MODELS_DIR`). */
  modelsDir: string;
}

/** Where a worker's model comes from. */
export type WorkerModelResolution =
  /** A model folder to load. */
  | { kind: 'folder'; dir: string }
  /** Nothing configured and the default model is not pulled: a tiny random model stands in. */
  | { kind: 'synthetic'; dir: string; missingDefault: string }
  /** A configured model that is not there (or not a valid name): the worker refuses to start. */
  | { kind: 'missing'; dir: string | undefined; problem: string };

/**
 * The one resolution of `<DOMAIN>_WORKER_MODEL`, shared by the worker runtime (which loads the
 * result) and `slm models list` (which reports it), so the two can never disagree:
 * - an existing folder is used as is;
 * - a Hub id (`org/name`) or an alias (`mobilellm-r1-950m`) is looked up as `<modelsDir>/<org>/<name>`;
 * - a configured model that is not there is `missing` (never silently replaced);
 * - unset, the default is looked up the same way, and only when it is not pulled does the synthetic
 *   stand-in answer.
 * "There" means a folder holding config.json (`isModelFolder`, injectable for tests).
 */
export function resolveWorkerModel(
  setting: WorkerModelSetting,
  isModelFolder: (dir: string) => boolean = hasConfigJson,
): WorkerModelResolution {
  const modelsDir = resolve(setting.modelsDir);
  if (setting.configured === undefined) {
    const defaultDir = inModelsDir(modelsDir, resolveRepoId(setting.defaultModel));
    if (isModelFolder(defaultDir)) return { kind: 'folder', dir: defaultDir };
    return { kind: 'synthetic', dir: join(modelsDir, SYNTHETIC_MODEL_FOLDER), missingDefault: defaultDir };
  }
  const asFolder = resolve(setting.configured);
  if (isModelFolder(asFolder)) return { kind: 'folder', dir: asFolder };
  let repo: string;
  try {
    repo = resolveRepoId(setting.configured);
  } catch (error) {
    return {
      kind: 'missing',
      dir: undefined,
      problem: `model "${setting.configured}" is neither a folder nor a Hub id: ${error instanceof HubError ? error.message : String(error)}`,
    };
  }
  const dir = inModelsDir(modelsDir, repo);
  if (isModelFolder(dir)) return { kind: 'folder', dir };
  return {
    kind: 'missing',
    dir,
    problem: `model "${setting.configured}" not found: neither a folder nor ${dir} (download it with \`slm models pull ${setting.configured}\`)`,
  };
}

function inModelsDir(modelsDir: string, repo: string): string {
  return join(modelsDir, ...repo.split('/'));
}

function hasConfigJson(dir: string): boolean {
  try {
    return statSync(join(dir, 'config.json')).isFile();
  } catch {
    return false;
  }
}
