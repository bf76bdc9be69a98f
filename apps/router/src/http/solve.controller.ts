import type { z } from 'zod';
import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { errorCodeOf } from '@slm/platform';
import { RequireScope } from '../auth/api-key.guard';
import { callerOf } from '../auth/api-keys.service';
import { ClientLimitsService, type Release } from '../limits/client-limits.service';
import { CountRequests, noteRequestOutcome } from '../metrics/request-metrics';
import { RoutingService } from '../routing/routing.service';
import { checkText, classifyRequestSchema, problemOfInput, solveRequestSchema } from '../solve/problem.schemas';
import { SolveService, serverTimingOf, type SolveEvent } from '../solve/solve.service';
import { errorBodyOf } from './error-body';
import type { HttpRequest, HttpResponse } from './http.types';
import { abortOnClose, startSse, wantsEventStream, writeSse } from './sse';
import { ZodValidationPipe } from './zod-validation.pipe';

/** REST ingress for backend pipelines: solve (JSON or server-sent events) and classify. */
@ApiTags('solve')
@RequireScope('solve')
@Controller()
export class SolveController {
  constructor(
    private readonly solver: SolveService,
    private readonly routing: RoutingService,
    private readonly limits: ClientLimitsService,
  ) {}

  @Post('/v1/solve')
  @HttpCode(200)
  @CountRequests('rest', 'solve', { latency: true })
  @ApiOperation({
    summary: 'Classify and solve one problem; `stream: true` or Accept: text/event-stream streams route, delta, result (or error) events.',
  })
  async solve(
    @Body(new ZodValidationPipe(solveRequestSchema)) input: z.output<typeof solveRequestSchema>,
    @Req() req: HttpRequest,
    @Res() res: HttpResponse,
  ): Promise<void> {
    let release: Release | undefined;
    let completionTokens = 0;
    try {
      const { stream: _stream, ...problemInput } = input;
      const problem = this.solver.prepare(problemOfInput(problemInput));
      release = this.limits.admit(callerOf(req));
      const signal = abortOnClose(res);
      if (!(input.stream ?? wantsEventStream(req))) {
        const { result, workerMs } = await this.solver.solve(problem, { signal, request: req.context });
        completionTokens = result.usage?.completionTokens ?? 0;
        res.header('server-timing', serverTimingOf(req.receivedAt ?? performance.now(), workerMs));
        res.code(200).send({ result });
        return;
      }
      const events = this.solver.solveStream(problem, { signal, request: req.context });
      const first = await events.next();
      // x-request-id is the request's correlation id (set on arrival); the problem's id is in the result event.
      startSse(res);
      if (!first.done) writeSse(res, payloadOf(first.value), first.value.event);
      try {
        for await (const event of events) {
          if (signal.aborted) break;
          if (event.event === 'result') completionTokens = event.result.usage?.completionTokens ?? 0;
          writeSse(res, payloadOf(event), event.event);
        }
      } catch (error) {
        // Headers are gone: the failure becomes the stream's last event, never a silent end.
        noteRequestOutcome(req, errorCodeOf(error));
        writeSse(res, errorBodyOf(req, error).error, 'error');
      }
      res.raw.end();
    } finally {
      release?.(completionTokens);
    }
  }

  @Post('/v1/classify')
  @HttpCode(200)
  @CountRequests('rest', 'classify')
  @ApiOperation({ summary: 'The route decision the router would take for a text (policy applied), without solving.' })
  classify(@Body(new ZodValidationPipe(classifyRequestSchema)) { text }: z.output<typeof classifyRequestSchema>): {
    route: ReturnType<RoutingService['decide']>;
  } {
    checkText(text, 'text');
    return { route: this.routing.decide(text) };
  }
}

function payloadOf(event: SolveEvent): unknown {
  switch (event.event) {
    case 'route':
      return event.route;
    case 'delta':
      return event.delta;
    case 'result':
      return event.result;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
