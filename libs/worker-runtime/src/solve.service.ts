import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Result, RouteDecision } from '@slm/contracts';
import { errorCodeOf, type Logger } from '@slm/platform';
import { epochMs, inSpan, inSpanSync, recordSpan, type Span } from '@slm/telemetry';
import type { AnswerChecker, DomainPolicy } from './domain-policy';
import type { TokenChunk } from './engine.types';
import { ModelService } from './model.service';
import { runSelfConsistency } from './self-consistency';
import {
  buildEngineOptions,
  buildMessages,
  problemTextOf,
  protoFinishReason,
  sampleOptions,
  validateProblem,
  verificationPlan,
} from './solve-request';
import type { WorkerConfig } from './worker.config';
import { DOMAIN_POLICY, ROOT_LOGGER, WORKER_CONFIG } from './worker-runtime.tokens';

/** One problem to solve, from gRPC or a job. */
export interface SolveInput {
  /** Unvalidated: checked here, whatever the edge. */
  problem: unknown;
  route?: RouteDecision | null;
  /** A request id from the transport (gRPC metadata, job id) used when the problem has none. */
  fallbackRequestId?: string;
  /**
   * The caller's correlation id (gRPC `x-request-id` metadata): the `requestId` of this call's log
   * lines, with the problem's own id beside it as `problemRequestId` when they differ.
   */
  correlationId?: string;
}

export interface SolveHooks {
  /** Aborting stops generation within one decode step and frees the engine slot. */
  signal?: AbortSignal;
  /** Called with each chunk as it is decoded (awaited: a slow consumer slows generation). */
  onChunk?: (chunk: TokenChunk) => void | Promise<void>;
  /** When the request reached the worker (performance.now()); timings count from it. */
  arrivedAt?: number;
  /** Called once the engine has taken the request (not refused it), before its first token. */
  onAdmitted?: () => void;
}

/**
 * Solves one problem with the hosted model: validates it, applies the domain's prompt and
 * sampling defaults, runs the engine, extracts the answer and builds the contract's Result.
 * The edges (gRPC, queue) only translate transports and errors.
 */
@Injectable()
export class SolveService {
  private readonly log: Logger;
  /** Execution checks, when the policy has them and the config allows them. */
  private readonly checker: AnswerChecker | undefined;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(DOMAIN_POLICY) private readonly policy: DomainPolicy,
    private readonly model: ModelService,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: SolveService.name, domain: policy.domain });
    const execute = config.verification.execute;
    if (policy.createChecker) this.checker = execute ? policy.createChecker(execute) : executionDisabled(config.envPrefix);
  }

  /**
   * One traced solve: a `chat <model>` span (OpenTelemetry GenAI conventions) with the engine's
   * phases under it — admission (the wait for a slot), prefill, decode — and the answer extraction.
   */
  solve(input: SolveInput, hooks: SolveHooks = {}): Promise<Result> {
    return inSpan('chat', { 'gen_ai.operation.name': 'chat', 'slm.domain': this.policy.domain }, (span) =>
      this.solveIn(span, input, hooks),
    );
  }

  private async solveIn(span: Span, input: SolveInput, hooks: SolveHooks): Promise<Result> {
    const arrivedAt = hooks.arrivedAt ?? performance.now();
    const problem = validateProblem(input.problem);
    const requestId = problem.requestId || input.fallbackRequestId || randomUUID();
    const engine = this.model.engine;
    span.updateName(`chat ${engine.info.modelId}`);
    span.setAttributes({ 'gen_ai.request.model': engine.info.modelId, 'slm.request_id': requestId });
    const correlation =
      input.correlationId && input.correlationId !== requestId
        ? { requestId: input.correlationId, problemRequestId: requestId }
        : { requestId };
    const log = this.log.child({ ...correlation, model: engine.info.modelId });
    const plan = verificationPlan(problem, this.config, this.checker !== undefined);
    const messages = buildMessages(problem, this.policy, this.config);
    const options = buildEngineOptions(problem, this.config);
    const metadata = { ...(problem.metadata ?? {}) };
    const problemText = problemTextOf(problem);
    let firstTokenAt: number | undefined;
    const generateAt = performance.now();
    let outcome;
    try {
      outcome = await runSelfConsistency({
        samples: plan.samples,
        signal: hooks.signal,
        onAdmitted: hooks.onAdmitted,
        // generate() throws QUEUE_FULL / INVALID_ARGUMENT / INPUT_TOO_LONG synchronously: admission
        // control answers at once, before any await, for every sample.
        start: (index, signal) => engine.generate({ messages, options: sampleOptions(options, index), signal }),
        // The caller sees the first sample's tokens as they come (the others run unseen beside it).
        finish: async (index, handle) => {
          if (index === 0) {
            for await (const chunk of handle) {
              firstTokenAt ??= performance.now();
              if (hooks.onChunk) await hooks.onChunk(chunk);
            }
          }
          return handle.result;
        },
        extract: (generated) =>
          inSpanSync('answer extraction', {}, (extraction) => {
            const found = this.policy.extract({
              answer: generated.answer,
              reasoning: generated.reasoning,
              finishReason: generated.finishReason,
              problemText,
              metadata,
            });
            extraction.setAttribute('slm.answer.extracted', found.value !== '');
            return found;
          }),
        // One sample needs no vote key (a math key parses the answer).
        key: plan.samples > 1 && this.policy.answerKey ? (answer) => this.policy.answerKey!(answer) : (answer) => answer.value,
        check: plan.check ? (answer, signal) => this.checker!.check(problemText, answer, signal) : undefined,
      });
    } catch (error) {
      log.info({ code: errorCodeOf(error) }, 'request refused');
      throw error;
    }
    const { chosen, verification } = outcome;
    const generated = chosen.generated;
    const extracted = chosen.extracted;
    const finishedAt = performance.now();
    const prefillAt = generateAt + generated.queuedMs;
    const firstAt = generateAt + generated.timeToFirstTokenMs;
    recordSpan('admission', epochMs(generateAt), epochMs(prefillAt), { 'slm.engine.queued_ms': generated.queuedMs }, span);
    if (generated.completionTokens > 0) {
      recordSpan('prefill', epochMs(prefillAt), epochMs(firstAt), { 'gen_ai.usage.input_tokens': generated.promptTokens }, span);
      const decode = {
        'gen_ai.usage.output_tokens': generated.completionTokens,
        'slm.decode.tokens_per_second': generated.decodeTokensPerSecond,
      };
      recordSpan('decode', epochMs(firstAt), epochMs(generateAt + generated.totalMs), decode, span);
    }
    span.setAttributes({
      'gen_ai.response.model': engine.info.modelId,
      'gen_ai.response.finish_reasons': [generated.finishReason],
      'gen_ai.usage.input_tokens': generated.promptTokens,
      'gen_ai.usage.output_tokens': outcome.completionTokens,
    });
    const verified = plan.samples > 1 || plan.check;
    if (verified)
      span.setAttributes({
        'slm.verification.method': verification.method,
        'slm.verification.samples': verification.samples,
        'slm.verification.vote_share': verification.voteShare,
      });
    const result: Result = {
      requestId,
      text: generated.text,
      reasoning: generated.reasoning,
      answer: generated.answer,
      extracted,
      route: input.route ?? null,
      model: engine.info.modelId,
      // As OpenAI counts n choices: the prompt once, every sample's completion.
      usage: { promptTokens: generated.promptTokens, completionTokens: outcome.completionTokens },
      timing: {
        timeToFirstTokenMs: (firstTokenAt ?? finishedAt) - arrivedAt,
        totalMs: finishedAt - arrivedAt,
        decodeTokensPerSecond: generated.decodeTokensPerSecond,
      },
      finishReason: protoFinishReason(generated.finishReason),
      syntheticWeights: engine.info.syntheticWeights,
      metadata,
      verification: verified ? verification : null,
    };
    log.info(
      {
        promptTokens: generated.promptTokens,
        completionTokens: outcome.completionTokens,
        ...(verified
          ? {
              samples: verification.samples,
              voteShare: verification.voteShare,
              examplesPassed: verification.examplesPassed,
              examplesTotal: verification.examplesTotal,
            }
          : {}),
        ms: Math.round(finishedAt - arrivedAt),
        finishReason: generated.finishReason,
        extracted: extracted.value !== '',
        syntheticWeights: engine.info.syntheticWeights,
      },
      'solved',
    );
    return result;
  }
}

/** The checker of a worker that may not run code: every check says so instead of passing silently. */
function executionDisabled(envPrefix: string): AnswerChecker {
  const skippedReason = `execution checks are disabled on this worker (${envPrefix}EXECUTE=false)`;
  return { check: async () => ({ examplesPassed: 0, examplesTotal: 0, examples: [], skippedReason }) };
}
