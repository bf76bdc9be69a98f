import * as path from 'node:path';
import { InferenceError } from '../inference.errors';

/**
 * Loads a model folder with transformers.js (the dev dependency the benchmarks compare against),
 * offline, with the same thread settings as our engine. Returns the model and its Tensor class.
 */
export async function loadTransformersJsModel(dir: string, dtype: string, threads: number) {
  let transformers: typeof import('@huggingface/transformers');
  try {
    transformers = await import('@huggingface/transformers');
  } catch {
    throw new InferenceError('INVALID_ARGUMENT', '--vs-transformers-js needs the dev dependency @huggingface/transformers');
  }
  const { AutoModelForCausalLM, Tensor, env } = transformers;
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(dir);
  const model = await AutoModelForCausalLM.from_pretrained(path.basename(dir), {
    dtype: dtype === 'q8' ? 'q8' : (dtype as 'fp32'),
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
  return { model, Tensor };
}
