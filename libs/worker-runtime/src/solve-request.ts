import { z } from 'zod';
import {
  generationOptionsSchema,
  setGenerationOptions,
  type FinishReason as ProtoFinishReason,
  type Problem,
  type RouteDecision,
} from '@slm/contracts';
import { AppError, ErrorCode, describeIssues, requestIdSchema } from '@slm/platform';
import type { DomainPolicy } from './domain-policy';
import type { ChatMessage, EngineGenerationOptions, FinishReason } from './engine.types';
import type { WorkerConfig } from './worker.config';

const messageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant'], { message: 'role must be "system", "user" or "assistant"' }),
  content: z.string({ message: 'content must be a string' }),
});

/** The one schema of generation options (the router's too), read from the options a proto or job object really sets. */
const optionsSchema = z.preprocess(setGenerationOptions, generationOptionsSchema);

/**
 * A problem as it arrives over gRPC (proto-loader objects, unset `optional` fields absent) or in
 * a job's JSON. Unknown fields (proto-loader's virtual oneof names) are ignored.
 */
export const problemSchema = z
  .object({
    text: z.string().optional(),
    conversation: z.object({ messages: z.array(messageSchema) }).nullish(),
    options: optionsSchema,
    // Empty is proto3's "unset": the worker then takes the transport's id or generates one.
    requestId: z
      .string()
      .optional()
      .transform((id) => id || undefined)
      .pipe(requestIdSchema.optional()),
    metadata: z.record(z.string(), z.string()).optional(),
  })
  .superRefine((problem, ctx) => {
    const hasText = problem.text !== undefined && problem.text !== '';
    const hasConversation = !!problem.conversation;
    if (hasText && hasConversation) ctx.addIssue({ code: 'custom', message: 'give either text or conversation, not both' });
    else if (!hasText && !hasConversation) ctx.addIssue({ code: 'custom', message: 'text or conversation is required' });
    else if (hasText && problem.text?.trim() === '') ctx.addIssue({ code: 'custom', path: ['text'], message: 'text is blank' });
    else if (hasConversation && !problem.conversation?.messages.some((m) => m.role === 'user' && m.content.trim() !== '')) {
      ctx.addIssue({ code: 'custom', path: ['conversation', 'messages'], message: 'the conversation has no non-empty user message' });
    }
  });
export type ValidProblem = z.output<typeof problemSchema>;

/** Checks a problem; bad input becomes INVALID_ARGUMENT listing every problem found. */
export function validateProblem(problem: unknown): ValidProblem {
  const parsed = problemSchema.safeParse(problem ?? undefined);
  if (parsed.success) return parsed.data;
  throw new AppError(
    ErrorCode.INVALID_ARGUMENT,
    describeIssues(parsed.error, (path) => ['problem', ...path].join('.')),
  );
}

/** The text a policy reads as "the question": the plain text or the last user turn. */
export function problemTextOf(problem: ValidProblem): string {
  if (problem.text) return problem.text;
  const users = (problem.conversation?.messages ?? []).filter((m) => m.role === 'user');
  return users[users.length - 1]?.content ?? '';
}

/**
 * The chat the model sees: the domain's system prompt, then the user's text or conversation.
 * A conversation that brings its own system message keeps it instead (the proto promises so).
 */
export function buildMessages(problem: ValidProblem, policy: DomainPolicy, config: WorkerConfig): ChatMessage[] {
  const turns: ChatMessage[] = problem.conversation
    ? problem.conversation.messages.map((m) => ({ role: m.role, content: m.content }))
    : [{ role: 'user', content: problem.text ?? '' }];
  if (turns.some((m) => m.role === 'system')) return turns;
  const system = policy.systemPromptFor(config.generation.systemPrompt, {
    problemText: problemTextOf(problem),
    metadata: problem.metadata ?? {},
  });
  return system === '' ? turns : [{ role: 'system', content: system }, ...turns];
}

/** The engine's options: what the caller set, the domain's defaults for the rest. */
export function buildEngineOptions(problem: ValidProblem, config: WorkerConfig): EngineGenerationOptions {
  const given = problem.options ?? {};
  const options: EngineGenerationOptions = {
    maxNewTokens: given.maxNewTokens ?? config.generation.maxNewTokens,
    temperature: given.temperature ?? config.generation.temperature,
    topP: given.topP ?? config.generation.topP,
  };
  if (given.topK !== undefined) options.topK = given.topK;
  if (given.seed !== undefined) options.seed = given.seed;
  if (given.stop && given.stop.length > 0) options.stop = [...given.stop];
  if (given.repetitionPenalty !== undefined) options.repetitionPenalty = given.repetitionPenalty;
  return options;
}

/** How one problem is verified: how many samples vote, and whether its answer is run against the problem's examples. */
export interface VerificationPlan {
  samples: number;
  check: boolean;
}

/**
 * The problem's own `samples` and `verify`, the worker's defaults for what it leaves unset: a
 * problem asked to verify gets the verify default of samples, and the execution check where the
 * policy has one (a worker whose config disables execution reports that instead of running).
 */
export function verificationPlan(problem: ValidProblem, config: WorkerConfig, hasChecker: boolean): VerificationPlan {
  const verify = problem.options?.verify ?? config.verification.verify;
  const samples = problem.options?.samples ?? (verify ? config.verification.verifySamples : config.verification.samples);
  const temperature = problem.options?.temperature ?? config.generation.temperature;
  if (samples > 1 && temperature === 0) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `problem.options: ${samples} samples need a temperature above 0 (greedy decoding gives the same answer every time); set options.samples to 1 or a temperature`,
    );
  }
  return { samples, check: verify && hasChecker };
}

/** Sample `index`'s options: a caller's seed moves by the index, so k samples differ and still reproduce. */
export function sampleOptions(options: EngineGenerationOptions, index: number): EngineGenerationOptions {
  if (index === 0 || options.seed === undefined) return options;
  return { ...options, seed: (options.seed + index) >>> 0 };
}

const PROTO_FINISH_REASON: Record<FinishReason, ProtoFinishReason> = {
  stop: 'FINISH_REASON_STOP',
  stop_sequence: 'FINISH_REASON_STOP_SEQUENCE',
  length: 'FINISH_REASON_LENGTH',
  context_length: 'FINISH_REASON_CONTEXT_LENGTH',
  cancelled: 'FINISH_REASON_CANCELLED',
};

/** The proto enum name of an engine finish reason. */
export function protoFinishReason(reason: FinishReason): ProtoFinishReason {
  return PROTO_FINISH_REASON[reason];
}

/** A route decision echoed back; a caller that sent none gets an empty one. */
export type Route = RouteDecision | null | undefined;

/** Compile-time exhaustiveness for switches over unions. */
export function assertUnreachable(value: never): never {
  throw new Error(`unexpected value ${String(value)}`);
}

/** The Problem type re-exported for callers of {@link validateProblem}. */
export type { Problem };
