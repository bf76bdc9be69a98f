import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  WORKER_DOMAINS,
  domainNameOf,
  isWorkerDomain,
  protoDomainOf,
  type FinishReason__Output,
  type Problem,
  type Result__Output,
  type RouteDecision__Output,
  type WorkerDomain,
} from '@slm/contracts';
import { AppError, ErrorCode, echoInput, errorCodeOf } from '@slm/platform';
import { ROUTER_CONFIG, type RouterConfig } from '../config/router.config';
import { RequireScope } from '../auth/api-key.guard';
import { callerOf } from '../auth/api-keys.service';
import { ClientLimitsService, type Release } from '../limits/client-limits.service';
import { CountRequests, noteRequestOutcome } from '../metrics/request-metrics';
import { SolveService, serverTimingOf } from '../solve/solve.service';
import { errorBodyOf } from './error-body';
import type { HttpRequest, HttpResponse } from './http.types';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from './openai.schemas';
import { abortOnClose, startSse, writeSse } from './sse';
import { ZodValidationPipe } from './zod-validation.pipe';

/** The OpenAI-compatible API: chat completions (routed by the model name) and the model list. */
@ApiTags('openai')
@RequireScope('solve')
@Controller('/v1')
export class OpenAiController {
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(
    private readonly solver: SolveService,
    private readonly limits: ClientLimitsService,
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
  ) {}

  @Get('/models')
  @ApiOperation({ summary: 'OpenAI model list: auto (classify), math, code, science and configured aliases.' })
  models() {
    const ids = ['auto', ...WORKER_DOMAINS, ...Object.keys(this.config.modelAliases)];
    return { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: this.created, owned_by: 'slm-router' })) };
  }

  @Post('/chat/completions')
  @HttpCode(200)
  @CountRequests('openai', 'chat_completions', { latency: true })
  @ApiOperation({
    summary: 'OpenAI chat completions; model auto routes by classification, math|code|science or an alias forces the route.',
  })
  async completions(
    @Body(new ZodValidationPipe(chatCompletionRequestSchema)) request: ChatCompletionRequest,
    @Req() req: HttpRequest,
    @Res() res: HttpResponse,
  ): Promise<void> {
    let release: Release | undefined;
    let completionTokens = 0;
    try {
      const problem = this.solver.prepare(this.problemOf(request));
      release = this.limits.admit(callerOf(req));
      const signal = abortOnClose(res);
      const id = `chatcmpl-${problem.requestId}`;
      const created = Math.floor(Date.now() / 1000);
      if (!request.stream) {
        const { result, workerMs } = await this.solver.solve(problem, { signal, request: req.context });
        completionTokens = result.usage?.completionTokens ?? 0;
        this.setRouteHeaders(res, result.route ?? undefined);
        res.header('server-timing', serverTimingOf(req.receivedAt ?? performance.now(), workerMs));
        res.code(200).send({
          id,
          object: 'chat.completion',
          created,
          model: result.model || request.model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: result.answer, ...(result.reasoning ? { reasoning_content: result.reasoning } : {}) },
              finish_reason: finishReasonOf(result.finishReason),
              logprobs: null,
            },
          ],
          usage: usageOf(result),
          route: result.route,
          extracted: result.extracted,
          ...(result.verification ? { verification: result.verification } : {}),
        });
        return;
      }
      const events = this.solver.solveStream(problem, { signal, request: req.context });
      const first = await events.next();
      const route = !first.done && first.value.event === 'route' ? first.value.route : undefined;
      this.setRouteHeaders(res, route);
      startSse(res);
      const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
        writeSse(res, {
          id,
          object: 'chat.completion.chunk',
          created,
          model: request.model,
          choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
          ...extra,
        });
      chunk({ role: 'assistant', content: '' }, null, { route });
      try {
        for await (const event of events) {
          if (signal.aborted) break;
          if (event.event === 'delta') {
            chunk(
              event.delta.channel === 'CHANNEL_REASONING' ? { reasoning_content: event.delta.text } : { content: event.delta.text },
              null,
            );
          } else if (event.event === 'result') {
            completionTokens = event.result.usage?.completionTokens ?? 0;
            const verification = event.result.verification ? { verification: event.result.verification } : {};
            chunk({}, finishReasonOf(event.result.finishReason), { route: event.result.route, ...verification });
            if (request.stream_options?.include_usage) {
              writeSse(res, {
                id,
                object: 'chat.completion.chunk',
                created,
                model: request.model,
                choices: [],
                usage: usageOf(event.result),
              });
            }
          }
        }
        writeSse(res, '[DONE]');
      } catch (error) {
        // OpenAI's streams report a late failure as an error object, then stop (no [DONE]).
        noteRequestOutcome(req, errorCodeOf(error));
        writeSse(res, errorBodyOf(req, error));
      }
      res.raw.end();
    } finally {
      release?.(completionTokens);
    }
  }

  private problemOf(request: ChatCompletionRequest): Problem {
    const domain = this.domainOfModel(request.model);
    const maxNewTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined;
    const stop = request.stop === null || request.stop === undefined ? [] : Array.isArray(request.stop) ? request.stop : [request.stop];
    return {
      conversation: {
        messages: request.messages.map((m) => ({
          role: m.role === 'developer' ? 'system' : m.role,
          content: typeof m.content === 'string' ? m.content : '',
        })),
      },
      domainOverride: domain === 'auto' ? 'DOMAIN_UNSPECIFIED' : protoDomainOf(domain),
      options: {
        ...(maxNewTokens !== undefined ? { maxNewTokens } : {}),
        ...(request.temperature !== null && request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.top_p !== null && request.top_p !== undefined ? { topP: request.top_p } : {}),
        ...(request.seed !== null && request.seed !== undefined ? { seed: request.seed } : {}),
        ...(request.n !== null && request.n !== undefined ? { samples: request.n } : {}),
        ...(request.verify !== null && request.verify !== undefined ? { verify: request.verify } : {}),
        stop,
      },
      metadata: request.user ? { user: request.user } : {},
    };
  }

  private domainOfModel(model: string): WorkerDomain | 'auto' {
    if (model === 'auto') return 'auto';
    if (isWorkerDomain(model)) return model;
    const alias = this.config.modelAliases[model];
    if (alias) return alias;
    throw new AppError(
      ErrorCode.NOT_FOUND,
      `model ${echoInput(model)} does not exist; use ${['auto', ...WORKER_DOMAINS].join(', ')}${Object.keys(this.config.modelAliases)
        .map((a) => `, ${a}`)
        .join('')}`,
    );
  }

  private setRouteHeaders(res: HttpResponse, route: RouteDecision__Output | undefined): void {
    if (!route) return;
    res.header('x-slm-route-domain', domainNameOf(route.domain) ?? 'unspecified');
    res.header('x-slm-route-confidence', route.confidence.toFixed(4));
    res.header('x-slm-route-overridden', String(route.overridden));
    res.header('x-slm-route-fallback', String(route.fallback));
    res.header('x-slm-route-low-confidence', String(route.lowConfidence));
    if (route.fallbackReason) res.header('x-slm-route-fallback-reason', route.fallbackReason);
  }
}

function finishReasonOf(reason: FinishReason__Output): 'stop' | 'length' {
  switch (reason) {
    case 'FINISH_REASON_LENGTH':
    case 'FINISH_REASON_CONTEXT_LENGTH':
      return 'length';
    case 'FINISH_REASON_STOP':
    case 'FINISH_REASON_STOP_SEQUENCE':
    case 'FINISH_REASON_CANCELLED':
    case 'FINISH_REASON_UNSPECIFIED':
      return 'stop';
    default: {
      const unreachable: never = reason;
      return unreachable;
    }
  }
}

function usageOf(result: Result__Output) {
  const prompt = result.usage?.promptTokens ?? 0;
  const completion = result.usage?.completionTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
