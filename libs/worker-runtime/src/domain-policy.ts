import type { ExampleCheck, ExtractedAnswer, WorkerDomain } from '@slm/contracts';
import type { ExtractionInput } from './answer-text';

/** What the problem asks, as a policy sees it when it builds the system prompt. */
export interface PromptContext {
  /** The user's text (the last user turn of a conversation). */
  problemText: string;
  /** The problem's metadata (e.g. `language`). */
  metadata: Readonly<Record<string, string>>;
}

/**
 * What makes a worker a math, code or science worker. The plumbing (gRPC, queue, engine,
 * shutdown) is the same for all three; each app passes its policy to {@link bootstrapWorker}.
 */
export interface DomainPolicy {
  /** The domain served; names the env prefix (`MATH_WORKER_…`) and the queue. */
  readonly domain: WorkerDomain;
  /** Hub id of the default model, looked up as `MODELS_DIR/<id>`. */
  readonly defaultModelId: string;
  /** Default system prompt (`<DOMAIN>_WORKER_SYSTEM_PROMPT` replaces it). */
  readonly systemPrompt: string;
  /** Sampling defaults applied to options the caller leaves unset. */
  readonly temperature: number;
  readonly topP: number;
  readonly maxNewTokens: number;
  /**
   * The system prompt for one problem. `configured` is the prompt from the config (the default
   * above unless overridden); a policy may fill placeholders in it (code: `{language}`).
   */
  systemPromptFor(configured: string, context: PromptContext): string;
  /** Pulls the final answer out of the model's output; never throws. */
  extract(input: ExtractionInput): Required<ExtractedAnswer>;
  /** Samples of a problem asked to verify that sets no `samples` (`<DOMAIN>_WORKER_VERIFY_SAMPLES` replaces it). */
  readonly verifySamples: number;
  /**
   * The key under which a vote counts an answer, so that equivalent spellings are one answer
   * (math: `1/2`, `0.5`, `\frac{1}{2}`); never throws. Default: the extracted value itself.
   */
  answerKey?(answer: Required<ExtractedAnswer>): string;
  /**
   * Execution checks (code): built once at startup when the worker's config enables them
   * (`<DOMAIN>_WORKER_EXECUTE=true`); a policy without this has no such variables.
   */
  createChecker?(limits: { timeoutMs: number; memoryMb: number }): AnswerChecker;
}

/** What an execution check of one answer found. */
export interface AnswerCheck {
  examplesPassed: number;
  examplesTotal: number;
  examples: ExampleCheck[];
  /** Why nothing ran: no examples, a language that is not executed. */
  skippedReason?: string;
}

/** Runs an extracted answer against what the problem itself gives (a code problem's examples). */
export interface AnswerChecker {
  check(problemText: string, answer: Required<ExtractedAnswer>, signal?: AbortSignal): Promise<AnswerCheck>;
}
