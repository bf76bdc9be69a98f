import { stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { downloadFile, type DownloadedFile } from './file-downloader';
import type { HubClient } from './hub-client';
import { HubError, HubErrorCode } from './hub.errors';
import { DEFAULT_DTYPE, knownLicenceOf, resolveRepoId, type LicenceNotice } from './known-models';
import { readManifest, writeManifest, type ModelManifest } from './model-manifest';
import { selectWorkerFiles, type HubTreeEntry } from './model-files';

/** What to pull and where. */
export interface PullOptions {
  /** An alias (mobilellm-r1-950m, mobilellm-r1-360m) or a Hub id (org/name). */
  model: string;
  /** Weight variant: `onnx/model_<dtype>.onnx`. Default "q4". */
  dtype?: string;
  /** Branch, tag or commit. Default "main". */
  revision?: string;
  /** The model directory; the model lands in `<modelsDir>/<org>/<name>/`. */
  modelsDir: string;
  /** Told what happens, e.g. to draw progress. Default: nothing. */
  onEvent?: (event: PullEvent) => void;
}

/** What a pull reports while it runs. */
export type PullEvent =
  | { type: 'listed'; repo: string; revision: string; folder: string; files: HubTreeEntry[]; totalBytes: number }
  | { type: 'file-start'; path: string; size: number; index: number; count: number }
  | { type: 'file-resume'; path: string; offset: number }
  | { type: 'file-progress'; path: string; bytes: number; total: number }
  | { type: 'file-skip'; path: string; size: number }
  | { type: 'file-done'; file: DownloadedFile };

/** The result of a pull. */
export interface PullResult {
  repo: string;
  folder: string;
  manifest: ModelManifest;
  downloadedBytes: number;
}

/** The plain folder a Hub repo is mirrored into: `<modelsDir>/<org>/<name>`. */
export function modelFolderOf(modelsDir: string, repo: string): string {
  return join(resolve(modelsDir), ...repo.split('/'));
}

/** The licence to show before downloading: known for MobileLLM-R1, else the Hub card's (best effort). */
export async function licenceOf(client: HubClient, repo: string): Promise<LicenceNotice | undefined> {
  const known = knownLicenceOf(repo);
  if (known) return known;
  const info = await client.modelInfo(repo);
  if (!info?.licence) return undefined;
  const name = info.licence === 'other' && info.licenceName ? info.licenceName : info.licence;
  return {
    name,
    summary: `as declared on the model card${info.gated ? ' (gated: accept it on the Hub first)' : ''}`,
    url: client.repoUrl(repo),
  };
}

/**
 * Pulls the files a worker needs (config, tokenizer, chat template, one ONNX weight variant and its
 * external data) into `<modelsDir>/<org>/<name>/`, verifying each, pinning every file to the commit
 * the revision resolved to, and records what it did in `slm-model.json`. Files already there and
 * unchanged (same git object id in the manifest, same size) are skipped; interrupted ones resume.
 */
export async function pullModel(client: HubClient, options: PullOptions): Promise<PullResult> {
  const repo = resolveRepoId(options.model);
  const revision = options.revision ?? 'main';
  const dtype = options.dtype ?? DEFAULT_DTYPE;
  if (!/^[\w.\-/]+$/.test(revision))
    throw new HubError(HubErrorCode.INVALID_ARGUMENT, `revision "${revision}" is not a branch, tag or commit name`);
  const emit = options.onEvent ?? (() => undefined);
  const folder = modelFolderOf(options.modelsDir, repo);

  const files = selectWorkerFiles(await client.listFiles(repo, revision), dtype);
  emit({ type: 'listed', repo, revision, folder, files, totalBytes: files.reduce((sum, file) => sum + file.size, 0) });

  const previous = await readManifest(folder);
  const manifest: ModelManifest = {
    format: 1,
    repo,
    revision,
    commit: undefined,
    endpoint: client.endpoint,
    dtypes: previous?.repo === repo ? [...new Set([...previous.dtypes, dtype])] : [dtype],
    files: previous?.repo === repo ? { ...previous.files } : {},
    licence: (knownLicenceOf(repo) ?? undefined)?.name ?? previous?.licence,
    synthetic: false,
    pulledAt: new Date().toISOString(),
  };
  let pinned = /^[0-9a-f]{40}$/.test(revision) ? revision : undefined;
  let downloadedBytes = 0;
  for (const [index, entry] of files.entries()) {
    const destination = safeDestination(folder, entry.path);
    if (await isUnchanged(destination, entry, manifest)) {
      emit({ type: 'file-skip', path: entry.path, size: entry.size });
      continue;
    }
    emit({ type: 'file-start', path: entry.path, size: entry.size, index, count: files.length });
    const file = await downloadFile(client, {
      repo,
      revision: pinned ?? revision,
      entry,
      destination,
      onResume: (path, offset) => emit({ type: 'file-resume', path, offset }),
      onProgress: (progress) => emit({ type: 'file-progress', ...progress }),
    });
    pinned ??= file.commit;
    downloadedBytes += file.size;
    manifest.files[entry.path] = { size: file.size, sha256: file.sha256, oid: entry.oid };
    // Written after every file so an interrupted pull still knows what it verified.
    await writeManifest(folder, { ...manifest, commit: pinned ?? previous?.commit });
    emit({ type: 'file-done', file });
  }
  manifest.commit = pinned ?? previous?.commit;
  await writeManifest(folder, manifest);
  return { repo, folder, manifest, downloadedBytes };
}

async function isUnchanged(destination: string, entry: HubTreeEntry, manifest: ModelManifest): Promise<boolean> {
  const recorded = manifest.files[entry.path];
  if (!recorded || recorded.oid !== entry.oid || recorded.size !== entry.size) return false;
  try {
    return (await stat(destination)).size === entry.size;
  } catch {
    return false;
  }
}

/** Joins a listed path under the folder, refusing paths that would escape it. */
function safeDestination(folder: string, path: string): string {
  const destination = resolve(folder, path);
  const inside = relative(folder, destination);
  if (!inside || inside.startsWith('..') || isAbsolute(inside)) {
    throw new HubError(HubErrorCode.HUB_BAD_RESPONSE, `the listing names a path outside the model folder: ${path}`);
  }
  return destination;
}
