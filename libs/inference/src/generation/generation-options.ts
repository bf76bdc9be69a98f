import { InferenceError } from '../inference.errors';
import type { GenerationOptions } from '../inference.types';
import type { ResolvedGenerationConfig } from './token-generator';

const DEFAULT_MAX_NEW_TOKENS = 256;

/** Checks every option (one message listing each bad one) and fills defaults from generation_config.json. */
export function resolveGenerationOptions(
  options: GenerationOptions | undefined,
  generationConfig: Record<string, unknown>,
  eosTokenIds: number[],
  contextLength: number,
): ResolvedGenerationConfig & { stop: string[] } {
  const o = options ?? {};
  const problems: string[] = [];
  const num = (key: string): number | undefined => {
    const value = generationConfig[key];
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  };
  const check = (ok: boolean, message: string): void => {
    if (!ok) problems.push(message);
  };
  if (typeof o !== 'object' || o === null) throw new InferenceError('INVALID_ARGUMENT', 'options must be an object');
  const maxNewTokens = o.maxNewTokens ?? num('max_new_tokens') ?? DEFAULT_MAX_NEW_TOKENS;
  check(Number.isInteger(maxNewTokens) && maxNewTokens >= 1, `maxNewTokens must be an integer >= 1, got ${o.maxNewTokens}`);
  const minNew = o.minNewTokens ?? 0;
  check(Number.isInteger(minNew) && minNew >= 0, `minNewTokens must be an integer >= 0, got ${o.minNewTokens}`);
  const sampleByDefault = generationConfig.do_sample !== false;
  const temperature = o.temperature ?? (sampleByDefault ? (num('temperature') ?? 0) : 0);
  check(
    typeof temperature === 'number' && Number.isFinite(temperature) && temperature >= 0,
    `temperature must be a number >= 0, got ${o.temperature}`,
  );
  const topP = o.topP ?? num('top_p') ?? 1;
  check(typeof topP === 'number' && topP > 0 && topP <= 1, `topP must be in (0, 1], got ${o.topP}`);
  const topK = o.topK ?? num('top_k') ?? 0;
  check(Number.isInteger(topK) && topK >= 0, `topK must be an integer >= 0, got ${o.topK}`);
  const repetitionPenalty = o.repetitionPenalty ?? num('repetition_penalty') ?? 1;
  check(
    typeof repetitionPenalty === 'number' && Number.isFinite(repetitionPenalty) && repetitionPenalty > 0,
    `repetitionPenalty must be a number > 0, got ${o.repetitionPenalty}`,
  );
  const seed = o.seed ?? Math.floor(Math.random() * 0x100000000);
  check(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff, `seed must be an unsigned 32-bit integer, got ${o.seed}`);
  const stop = o.stop ?? [];
  check(
    Array.isArray(stop) && stop.length <= 16 && stop.every((s) => typeof s === 'string' && s.length > 0),
    'stop must be an array of at most 16 non-empty strings',
  );
  if (problems.length > 0) throw new InferenceError('INVALID_ARGUMENT', `invalid generation options: ${problems.join('; ')}`);
  return { maxNewTokens, minNewTokens: minNew, temperature, topP, topK, seed, repetitionPenalty, stop, eosTokenIds, contextLength };
}
