import { z } from 'zod';

/**
 * Validates `env` against a zod schema once, at start-up. Every problem is reported in one
 * message (`invalid configuration: VAR: reason; VAR2: reason`), and the result is frozen.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined> = process.env): Readonly<z.output<S>> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigError(problems);
  }
  return deepFreeze(parsed.data);
}

/** Thrown by {@link loadConfig}: lists every invalid variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** A TCP port from an env string: an integer in 1..65535 (0 allowed for "pick a free port"). */
export const portSchema = z.coerce.number().int().min(0).max(65535);

/** A positive integer from an env string. */
export const positiveIntSchema = z.coerce.number().int().positive();

/** A boolean from an env string: true/false/1/0/yes/no. */
export const booleanSchema = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
