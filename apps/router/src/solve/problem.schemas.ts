import { z } from 'zod';
import type { Problem } from '@slm/contracts';
import { AppError, ErrorCode } from '@slm/platform';
import type { RouterConfig } from '../config/router.config';

/** Sampling and stopping controls, as REST callers send them (camelCase, all optional). */
export const generationOptionsSchema = z
  .object({
    maxNewTokens: z.number().int().min(1),
    temperature: z.number().min(0).max(10),
    topP: z.number().gt(0).max(1),
    topK: z.number().int().min(0),
    seed: z.number().int().min(0).max(0xffffffff),
    stop: z.array(z.string().min(1)).max(16),
    repetitionPenalty: z.number().gt(0).max(10),
  })
  .partial()
  .strict();

export const chatMessageSchema = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() }).strict();

/** The fields of one problem in REST requests and batch lines: a `text` or a `messages` conversation. */
export const problemFields = {
  text: z.string().min(1).optional(),
  messages: z.array(chatMessageSchema).min(1).optional(),
  domain: z.enum(['auto', 'math', 'code', 'science']).optional().describe('force a domain; auto (default) classifies'),
  options: generationOptionsSchema.optional(),
  requestId: z.string().max(200).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
};

/** A problem object schema built from {@link problemFields} (plus extra fields) that takes exactly one input. */
export function withOneInput<T extends z.ZodRawShape & typeof problemFields>(shape: T) {
  return z
    .object(shape)
    .strict()
    .refine(hasOneInput, { message: 'exactly one of text or messages is required' });
}

function hasOneInput(problem: object): boolean {
  const { text, messages } = problem as { text?: unknown; messages?: unknown };
  return (text === undefined) !== (messages === undefined);
}

export const problemSchema = withOneInput(problemFields);
export type ProblemInput = z.infer<typeof problemSchema>;

export const solveRequestSchema = withOneInput({ ...problemFields, stream: z.boolean().optional() });

export const classifyRequestSchema = z.object({ text: z.string().min(1) }).strict();

/** Parses a body with a schema, turning every problem into one INVALID_ARGUMENT message. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'request'): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : what}: ${issue.message}`);
  throw new AppError(ErrorCode.INVALID_ARGUMENT, `invalid ${what}: ${problems.join('; ')}`);
}

/** The proto Problem of a REST problem. */
export function problemOfInput(input: ProblemInput): Problem {
  return {
    ...(input.text !== undefined ? { text: input.text } : { conversation: { messages: input.messages ?? [] } }),
    domainOverride: input.domain === 'math' ? 'DOMAIN_MATH' : input.domain === 'code' ? 'DOMAIN_CODE' : input.domain === 'science' ? 'DOMAIN_SCIENCE' : 'DOMAIN_UNSPECIFIED',
    options: input.options ?? {},
    requestId: input.requestId ?? '',
    metadata: input.metadata ?? {},
  };
}

/** The text the classifier reads: the text, or the last user message of a conversation. */
export function classifiedTextOf(problem: Problem): string {
  if (problem.text) return problem.text;
  const messages = problem.conversation?.messages ?? [];
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'user' && messages[i]?.content) return messages[i]?.content ?? '';
  return messages.map((m) => m.content ?? '').join('\n');
}

/**
 * Checks the limits every entry point shares (REST, gRPC, batches): some input, its length,
 * and the generation bounds. gRPC requests skip zod, so the shape checks are repeated here.
 */
export function checkProblem(problem: Problem | null | undefined, limits: RouterConfig['limits'], where = 'problem'): Problem {
  if (!problem) throw new AppError(ErrorCode.INVALID_ARGUMENT, `${where}: missing`);
  const messages = problem.conversation?.messages ?? [];
  const chars = (problem.text ?? '').length + messages.reduce((sum, m) => sum + (m.content ?? '').length, 0);
  if (!problem.text && messages.length === 0) throw new AppError(ErrorCode.INVALID_ARGUMENT, `${where}: text or messages is required`);
  if (chars === 0) throw new AppError(ErrorCode.INVALID_ARGUMENT, `${where}: the problem is empty`);
  if (chars > limits.maxProblemChars) {
    throw new AppError(ErrorCode.INPUT_TOO_LONG, `${where}: ${chars} characters, more than the limit of ${limits.maxProblemChars} (ROUTER_MAX_PROBLEM_CHARS)`);
  }
  for (const m of messages) {
    if (!['system', 'user', 'assistant'].includes(m.role ?? '')) throw new AppError(ErrorCode.INVALID_ARGUMENT, `${where}: message role must be system, user or assistant`);
  }
  const maxNewTokens = problem.options?.maxNewTokens;
  if (maxNewTokens !== undefined && maxNewTokens !== null && (maxNewTokens < 1 || maxNewTokens > limits.maxNewTokensLimit)) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `${where}: maxNewTokens must be between 1 and ${limits.maxNewTokensLimit} (ROUTER_MAX_NEW_TOKENS_LIMIT)`);
  }
  return problem;
}
