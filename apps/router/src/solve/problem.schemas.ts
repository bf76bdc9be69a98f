import { z } from 'zod';
import { WORKER_DOMAINS, domainNameOf, generationOptionsSchema, protoDomainOf, setGenerationOptions, type Problem } from '@slm/contracts';
import { AppError, ErrorCode, REQUEST_ID_RULE, checkRequestId, describeIssues, echoInput, requestIdSchema } from '@slm/platform';
import type { RouterConfig } from '../config/router.config';

export const chatMessageSchema = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() }).strict();

/** The fields of one problem in REST requests and batch lines: a `text` or a `messages` conversation. */
export const problemFields = {
  text: z.string().min(1).optional(),
  messages: z.array(chatMessageSchema).min(1).optional(),
  domain: z
    .enum(['auto', ...WORKER_DOMAINS])
    .optional()
    .describe('force a domain; auto (default) classifies'),
  options: generationOptionsSchema.optional(),
  requestId: requestIdSchema
    .optional()
    .describe(`echoed in the result and logs; the idempotency key in batches. ${REQUEST_ID_RULE}; omit it to have one generated`),
  metadata: z.record(z.string(), z.string()).optional(),
};

/** A problem object schema built from {@link problemFields} (plus extra fields) that takes exactly one input. */
export function withOneInput<T extends z.ZodRawShape & typeof problemFields>(shape: T) {
  return z.object(shape).strict().refine(hasOneInput, { message: 'exactly one of text or messages is required' });
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
  throw new AppError(
    ErrorCode.INVALID_ARGUMENT,
    `invalid ${what}: ${describeIssues(parsed.error, (path) => (path.length ? path.join('.') : what))}`,
  );
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text the models read is characters: no NUL (no character a caller types, an end of string to
 * C code downstream, the usual sign of a binary upload) and no unpaired surrogate (a JSON
 * `\ud800` escape that is no character, which protobuf would silently turn into U+FFFD).
 */
export function checkText(text: string, where: string): void {
  const nul = text.indexOf('\0');
  if (nul >= 0)
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `${where}: contains a NUL character (U+0000) at position ${nul + 1}; send text only`);
  const lone = LONE_SURROGATE.exec(text);
  if (lone) {
    const code = lone[0].charCodeAt(0).toString(16).toUpperCase();
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `${where}: contains an unpaired surrogate (U+${code}) at position ${lone.index + 1}, which is no character; send valid Unicode text`,
    );
  }
}

/** The proto Problem of a REST problem. */
export function problemOfInput(input: ProblemInput): Problem {
  return {
    ...(input.text !== undefined ? { text: input.text } : { conversation: { messages: input.messages ?? [] } }),
    domainOverride: input.domain === undefined || input.domain === 'auto' ? 'DOMAIN_UNSPECIFIED' : protoDomainOf(input.domain),
    options: input.options ?? {},
    requestId: input.requestId ?? '',
    metadata: input.metadata ?? {},
  };
}

/** The text the classifier reads: the text, or the last user message of a conversation. */
export function classifiedTextOf(problem: Problem): string {
  if (problem.text) return problem.text;
  const messages = problem.conversation?.messages ?? [];
  for (let i = messages.length - 1; i >= 0; i--)
    if (messages[i]?.role === 'user' && messages[i]?.content) return messages[i]?.content ?? '';
  return messages.map((m) => m.content ?? '').join('\n');
}

/**
 * The user turns of a conversation before its last one, oldest first and joined: what a follow-up
 * ("thanks", "why?", "and for n = 5?") is read with when it says nothing of its domain itself.
 * Undefined for a plain text and for a conversation with one user turn.
 */
export function earlierTurnsOf(problem: Problem): string | undefined {
  if (problem.text) return undefined;
  const turns = (problem.conversation?.messages ?? []).filter((m) => m.role === 'user' && m.content).map((m) => m.content ?? '');
  return turns.length > 1 ? turns.slice(0, -1).join('\n\n') : undefined;
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
    throw new AppError(
      ErrorCode.INPUT_TOO_LONG,
      `${where}: ${chars} characters, more than the limit of ${limits.maxProblemChars} (ROUTER_MAX_PROBLEM_CHARS)`,
    );
  }
  for (const m of messages) {
    if (!['system', 'user', 'assistant'].includes(m.role ?? ''))
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `${where}: message role must be system, user or assistant`);
  }
  // Without a user turn there is no question: the classifier would read the other turns and
  // route (or reject) something the caller never asked.
  if (!problem.text && !messages.some((m) => m.role === 'user' && (m.content ?? '').trim() !== '')) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `${where}: no user message: the conversation needs a user message with text`);
  }
  if (problem.text) checkText(problem.text, `${where}.text`);
  messages.forEach((m, index) => checkText(m.content ?? '', `${where}.messages[${index}].content`));
  if (problem.requestId) checkRequestId(problem.requestId, `${where}.requestId`);
  if (!isKnownDomain(problem.domainOverride)) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `${where}.domainOverride: unknown domain ${echoInput(String(problem.domainOverride))}; use ${OVERRIDE_CHOICES}`,
    );
  }
  // The deployment's own cap, below the contract's, is the one a caller can act on.
  const maxNewTokens = problem.options?.maxNewTokens;
  if (typeof maxNewTokens === 'number' && maxNewTokens > limits.maxNewTokensLimit) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `${where}.options.maxNewTokens: must be at most ${limits.maxNewTokensLimit} (ROUTER_MAX_NEW_TOKENS_LIMIT)`,
    );
  }
  const parsed = generationOptionsSchema.safeParse(setGenerationOptions(problem.options));
  if (!parsed.success)
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `invalid generation options: ${describeIssues(parsed.error, (path) => [`${where}.options`, ...path].join('.'))}`,
    );
  const options = parsed.data;
  (options.stop ?? []).forEach((stop, index) => checkText(stop, `${where}.options.stop[${index}]`));
  return problem;
}

/** Whether a caller sent a proto Domain value (by name or number); DOMAIN_OTHER is refused later, with its own message. */
function isKnownDomain(domain: Problem['domainOverride']): boolean {
  return domain === undefined || domain === null || domain === 'DOMAIN_UNSPECIFIED' || domain === 0 || domainNameOf(domain) !== undefined;
}

/** The overrides that reach a worker, as prose: `DOMAIN_UNSPECIFIED, DOMAIN_MATH, … or DOMAIN_SCIENCE`. */
const OVERRIDE_CHOICES = ((choices) => `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`)([
  'DOMAIN_UNSPECIFIED',
  ...WORKER_DOMAINS.map(protoDomainOf),
]);
