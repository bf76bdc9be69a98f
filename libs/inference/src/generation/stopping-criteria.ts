import type { FinishReason } from '../inference.types';

/** Decides, after each token, whether generation is over and why. Token-level only (stop strings work on text). */
export interface StoppingCriterion {
  check(state: { generated: readonly number[]; totalLength: number; lastToken: number }): FinishReason | undefined;
}

export function eosStop(eosTokenIds: readonly number[]): StoppingCriterion {
  const ids = new Set(eosTokenIds);
  return { check: ({ lastToken }) => (ids.has(lastToken) ? 'stop' : undefined) };
}

export function maxNewTokensStop(maxNewTokens: number): StoppingCriterion {
  return { check: ({ generated }) => (generated.length >= maxNewTokens ? 'length' : undefined) };
}

export function contextLengthStop(contextLength: number): StoppingCriterion {
  return { check: ({ totalLength }) => (totalLength >= contextLength ? 'context_length' : undefined) };
}
