import type { WorkerDomain } from '@slm/contracts';
import { HubError, HubErrorCode } from './hub.errors';

/** Short names accepted by `slm models pull` and `<DOMAIN>_WORKER_MODEL`, and the Hub repos they stand for. */
export const MODEL_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  'mobilellm-r1-950m': 'onnx-community/MobileLLM-R1-950M-ONNX',
  'mobilellm-r1-360m': 'onnx-community/MobileLLM-R1-360M-ONNX',
});

/** The model each worker hosts unless `<DOMAIN>_WORKER_MODEL` says otherwise (configuration, not code). */
export const DEFAULT_WORKER_MODELS: Readonly<Record<WorkerDomain, string>> = Object.freeze({
  math: 'mobilellm-r1-950m',
  code: 'mobilellm-r1-950m',
  science: 'mobilellm-r1-360m',
});

/** The weight variant `slm models pull` fetches unless `--dtype` says otherwise (the one public apps use). */
export const DEFAULT_DTYPE = 'q4';

/** What a user must know before downloading a model's weights. */
export interface LicenceNotice {
  name: string;
  /** One line on what the licence allows. */
  summary: string;
  url?: string;
}

const MOBILELLM_R1_LICENCE: LicenceNotice = {
  name: 'FAIR Noncommercial Research License v1',
  summary: 'research and other non-commercial use only; read the licence before using the weights',
  url: 'https://huggingface.co/facebook/MobileLLM-R1-950M (model card and licence)',
};

/** Licences known without asking the Hub (the Hub's card metadata for re-exports is often just "other"). */
export function knownLicenceOf(repo: string): LicenceNotice | undefined {
  return /mobilellm-r1/i.test(repo) ? MOBILELLM_R1_LICENCE : undefined;
}

const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/**
 * Turns an alias or a Hub id ("org/name") into a Hub repo id.
 * @throws HubError INVALID_ARGUMENT for anything else.
 */
export function resolveRepoId(aliasOrRepo: string): string {
  const aliased = MODEL_ALIASES[aliasOrRepo.toLowerCase()];
  if (aliased) return aliased;
  if (REPO_ID.test(aliasOrRepo) && !aliasOrRepo.includes('..')) return aliasOrRepo;
  throw new HubError(
    HubErrorCode.INVALID_ARGUMENT,
    `"${aliasOrRepo}" is neither a known model (${Object.keys(MODEL_ALIASES).join(', ')}) nor a Hub id like org/name`,
  );
}
