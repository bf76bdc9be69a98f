import { z } from 'zod';

/**
 * The bounds of every generation option, one set for every surface: REST, the OpenAI-compatible
 * endpoint, gRPC, batch items, and the workers (gRPC and queue). A limit that differed between two
 * of them would let a caller reach through the laxer one.
 */
export const GENERATION_LIMITS = Object.freeze({
  /** The MobileLLM-R1 context window: no model of the family can generate more. Deployments cap lower (ROUTER_MAX_NEW_TOKENS_LIMIT). */
  maxNewTokens: 32_768,
  /** As OpenAI's API: above 2 sampling is close to uniform noise over 128k tokens. */
  temperature: 2,
  /** Past 10 a penalty only forbids every token already seen (including digits and punctuation). */
  repetitionPenalty: 10,
  /** The vocabulary size of the family (128,256): a larger k keeps every token anyway. */
  topK: 128_256,
  stopSequences: 16,
  /** Longer stop strings never end a small model's answer: they are a mistake or an attack on the matcher. */
  stopSequenceChars: 256,
  /** Self-consistency samples of one problem: past 16 the vote rarely changes and one problem would hold 16 engine slots. */
  samples: 16,
});

/**
 * One generation option each, in camelCase, with its bound (messages leave the naming to the
 * issue's path). Shared by the REST schema and the OpenAI request schema, which spells the same
 * options in snake_case.
 */
export const generationOptionFields = {
  maxNewTokens: z
    .number()
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(GENERATION_LIMITS.maxNewTokens, `must be at most ${GENERATION_LIMITS.maxNewTokens}`),
  temperature: z
    .number('must be a finite number')
    .min(0, 'must be >= 0')
    .max(GENERATION_LIMITS.temperature, `must be at most ${GENERATION_LIMITS.temperature}`),
  topP: z.number('must be a finite number').gt(0, 'must be in (0, 1]').max(1, 'must be in (0, 1]'),
  topK: z
    .number()
    .int('must be an integer')
    .min(0, 'must be >= 0 (0 disables it)')
    .max(GENERATION_LIMITS.topK, `must be at most ${GENERATION_LIMITS.topK}`),
  seed: z
    .number()
    .int('must be an integer')
    .min(0, 'must be an unsigned 32-bit integer')
    .max(0xffffffff, 'must be an unsigned 32-bit integer'),
  stop: z
    .array(
      z
        .string()
        .min(1, 'must not be empty')
        .max(GENERATION_LIMITS.stopSequenceChars, `must be at most ${GENERATION_LIMITS.stopSequenceChars} characters`),
    )
    .max(GENERATION_LIMITS.stopSequences, `must hold at most ${GENERATION_LIMITS.stopSequences} sequences`),
  repetitionPenalty: z
    .number('must be a finite number')
    .gt(0, 'must be > 0 (1 disables it)')
    .max(GENERATION_LIMITS.repetitionPenalty, `must be at most ${GENERATION_LIMITS.repetitionPenalty}`),
  samples: z
    .number()
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(GENERATION_LIMITS.samples, `must be at most ${GENERATION_LIMITS.samples}`),
  verify: z.boolean('must be true or false'),
};

/** Sampling and stopping controls: every field optional, unknown fields refused. */
export const generationOptionsSchema = z.object(generationOptionFields).partial().strict();
export type GenerationOptionsInput = z.infer<typeof generationOptionsSchema>;

/**
 * The options a proto-loader object (or a job's JSON of one) really carries: the set fields only,
 * without the loader's virtual oneof names (`_temperature`) or an empty `stop`, so that
 * {@link generationOptionsSchema} reads a gRPC request exactly as a REST body.
 */
export function setGenerationOptions(options: unknown): unknown {
  if (options === null || options === undefined) return {};
  if (typeof options !== 'object' || Array.isArray(options)) return options;
  const set: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (key.startsWith('_') || value === undefined || value === null) continue;
    if (key === 'stop' && Array.isArray(value) && value.length === 0) continue;
    set[key] = value;
  }
  return set;
}
