import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The file `slm models pull` writes into each model folder, beside the model's own files. */
export const MANIFEST_FILE = 'slm-model.json';

/** What `slm-model.json` records: where the files came from and what they were verified against. */
export interface ModelManifest {
  format: 1;
  /** Hub repo id, e.g. onnx-community/MobileLLM-R1-950M-ONNX. */
  repo: string;
  /** The revision asked for (branch, tag or commit). */
  revision: string;
  /** The commit it resolved to (`X-Repo-Commit`); every file was fetched at this commit. */
  commit?: string;
  endpoint: string;
  /** The weight variants pulled into this folder. */
  dtypes: string[];
  /** Per repo path: size, sha256 of the content, git object id from the listing. */
  files: Record<string, { size: number; sha256: string; oid: string }>;
  /** The licence shown before the download. */
  licence?: string;
  /** True for models written by `slm models synth` (random weights). */
  synthetic?: boolean;
  /** ISO time of the last pull. */
  pulledAt: string;
}

/** Reads a folder's manifest, or undefined when there is none or it is unreadable. */
export async function readManifest(folder: string): Promise<ModelManifest | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(folder, MANIFEST_FILE), 'utf8')) as ModelManifest;
    return parsed && typeof parsed === 'object' && typeof parsed.repo === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the manifest atomically (a reader never sees half a file). */
export async function writeManifest(folder: string, manifest: ModelManifest): Promise<void> {
  const path = join(folder, MANIFEST_FILE);
  await writeFile(`${path}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}
