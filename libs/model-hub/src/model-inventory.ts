import { WORKER_DOMAINS, envPrefixOf, type WorkerDomain } from '@slm/contracts';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { DEFAULT_WORKER_MODELS, resolveRepoId } from './known-models';
import { readManifest } from './model-manifest';
import { dtypeOfOnnxPath, onnxPathOfDtype } from './model-files';
import { resolveWorkerModel } from './model-resolution';

/** A model folder found in the model directory. */
export interface LocalModel {
  /** Path relative to the model directory with `/`, e.g. onnx-community/MobileLLM-R1-950M-ONNX. */
  id: string;
  folder: string;
  /** Weight variants present (`onnx/model_<dtype>.onnx`). */
  dtypes: string[];
  /** Bytes of every file in the folder. */
  sizeBytes: number;
  /** True when the weights are random (`slm models synth`). */
  synthetic: boolean;
  /** Commit (or revision) recorded by `slm models pull`, when pulled. */
  revision?: string;
  /** True while `.part` files remain (an interrupted pull: run it again to resume). */
  incomplete: boolean;
}

/** The config.json key `slm models synth` writes into synthetic (random-weight) models (libs/inference). */
export const SYNTHETIC_CONFIG_KEY = 'slm_synthetic';

/**
 * Every model folder (one holding a config.json) up to two levels below the model directory:
 * `<org>/<name>` as pulled, or a single folder name.
 */
export async function listLocalModels(modelsDir: string): Promise<LocalModel[]> {
  const root = resolve(modelsDir);
  const models: LocalModel[] = [];
  for (const first of await subfolders(root)) {
    if (await isModelFolder(first)) {
      models.push(await describe(root, first));
      continue;
    }
    for (const second of await subfolders(first)) {
      if (await isModelFolder(second)) models.push(await describe(root, second));
    }
  }
  return models.sort((a, b) => a.id.localeCompare(b.id));
}

/** Which model a worker loads, and whether it is in the model directory. */
export interface WorkerAssignment {
  domain: WorkerDomain;
  /** The configured value (a folder or a Hub id), or the domain's default Hub id. */
  model: string;
  /** `<DOMAIN>_WORKER_DTYPE`, or undefined: the worker then picks from config.json / the files present. */
  dtype?: string;
  /** "env" when `<DOMAIN>_WORKER_MODEL` set it, else "default". */
  source: 'env' | 'default';
  /** The folder the worker would load. */
  folder: string;
  /** True when the folder has config.json and the dtype's ONNX file (any ONNX file without a dtype). */
  present: boolean;
  /**
   * What the worker does when the model is not present: a default that is not pulled falls back to
   * the synthetic stand-in (random weights); a configured model that is missing, or a model folder
   * without the weights asked for, makes the worker fail at start-up.
   */
  whenMissing: 'synthetic' | 'fail';
  /** Why the value cannot be used, if it cannot. */
  problem?: string;
}

/**
 * The model each worker uses, resolved by the worker runtime's own function (`resolveWorkerModel`):
 * `<DOMAIN>_WORKER_MODEL` is an existing folder, or a Hub id or alias (mobilellm-r1-950m) looked up
 * as `<modelsDir>/<org>/<name>`; unset, the domain's default (math and code: MobileLLM-R1-950M,
 * science: 360M). `<DOMAIN>_WORKER_DTYPE` picks the weight file. Reads only the `env` it is given.
 */
export async function workerAssignments(env: Readonly<Record<string, string | undefined>>, modelsDir: string): Promise<WorkerAssignment[]> {
  return Promise.all(
    WORKER_DOMAINS.map(async (domain): Promise<WorkerAssignment> => {
      const prefix = envPrefixOf(domain);
      const configured = env[`${prefix}MODEL`]?.trim() || undefined;
      const dtype = env[`${prefix}DTYPE`]?.trim() || undefined;
      const source = configured ? 'env' : 'default';
      const model = configured ?? resolveRepoId(DEFAULT_WORKER_MODELS[domain]);
      const resolved = resolveWorkerModel({ configured, defaultModel: DEFAULT_WORKER_MODELS[domain], modelsDir });
      switch (resolved.kind) {
        case 'missing':
          // A valid name that is not pulled has no "problem": `slm models list` says how to pull it.
          if (resolved.dir !== undefined)
            return { domain, model, dtype, source, folder: resolved.dir, present: false, whenMissing: 'fail' };
          return { domain, model, dtype, source, folder: resolve(model), present: false, whenMissing: 'fail', problem: resolved.problem };
        case 'synthetic':
          return { domain, model, dtype, source, folder: resolved.missingDefault, present: false, whenMissing: 'synthetic' };
        case 'folder': {
          // The folder is there, so the worker loads it: missing weights make it fail, not fall back.
          const onnx = dtype === undefined ? undefined : onnxPathOfDtype(dtype);
          if (dtype !== undefined && !onnx)
            return {
              domain,
              model,
              dtype,
              source,
              folder: resolved.dir,
              present: false,
              whenMissing: 'fail',
              problem: `unknown dtype "${dtype}"`,
            };
          const present = onnx ? await exists(join(resolved.dir, onnx)) : (await describe(resolved.dir, resolved.dir)).dtypes.length > 0;
          return {
            domain,
            model,
            dtype,
            source,
            folder: resolved.dir,
            present,
            whenMissing: configured || !present ? 'fail' : 'synthetic',
          };
        }
      }
    }),
  );
}

async function describe(root: string, folder: string): Promise<LocalModel> {
  const files = await filesUnder(folder);
  const manifest = await readManifest(folder);
  const config = await readJson(join(folder, 'config.json'));
  const markedSynthetic = config?.[SYNTHETIC_CONFIG_KEY] !== undefined && config?.[SYNTHETIC_CONFIG_KEY] !== null;
  return {
    id: relative(root, folder).split(sep).join('/'),
    folder,
    dtypes: files.flatMap((file) => dtypeOfOnnxPath(relative(folder, file.path).split(sep).join('/')) ?? []).sort(),
    sizeBytes: files.reduce((sum, file) => sum + file.size, 0),
    synthetic: manifest?.synthetic === true || markedSynthetic,
    revision: manifest?.commit ?? manifest?.revision,
    incomplete: files.some((file) => file.path.endsWith('.part')),
  };
}

async function filesUnder(folder: string): Promise<{ path: string; size: number }[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  return Promise.all(files.map(async (path) => ({ path, size: (await stat(path)).size })));
}

async function subfolders(folder: string): Promise<string[]> {
  try {
    const entries = await readdir(folder, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => join(folder, entry.name));
  } catch {
    return [];
  }
}

async function isModelFolder(folder: string): Promise<boolean> {
  return exists(join(folder, 'config.json'));
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
