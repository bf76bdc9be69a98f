import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { errorCodeOf } from '@slm/platform';
import { RequireScope } from '../auth/api-key.guard';
import { callerOf } from '../auth/api-keys.service';
import { ClientLimitsService, type Release } from '../limits/client-limits.service';
import { RouterMetricsService } from '../metrics/router-metrics.service';
import { RoutingService } from '../routing/routing.service';
import { checkText, classifyRequestSchema, parseInput, problemOfInput, solveRequestSchema } from '../solve/problem.schemas';
import { SolveService, serverTimingOf, type SolveEvent } from '../solve/solve.service';
import { sendError } from './body-reader.middleware';
import { errorBodyOf } from './error-body';
import type { HttpRequest, HttpResponse } from './http.types';
import { abortOnClose, startSse, wantsEventStream, writeSse } from './sse';

/** REST ingress for backend pipelines: solve (JSON or server-sent events) and classify. */
@ApiTags('solve')
@RequireScope('solve')
@Controller()
export class SolveController {
  constructor(
    private readonly solver: SolveService,
    private readonly routing: RoutingService,
    private readonly limits: ClientLimitsService,
    private readonly metrics: RouterMetricsService,
  ) {}

  @Post('/v1/solve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Classify and solve one problem; `stream: true` or Accept: text/event-stream streams route, delta, result (or error) events.' })
  async solve(@Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    const started = performance.now();
    let code = 'OK';
    let release: Release | undefined;
    let completionTokens = 0;
    try {
      const input = parseInput(solveRequestSchema, req.body);
      const { stream: _stream, ...problemInput } = input;
      const problem = this.solver.prepare(problemOfInput(problemInput));
      release = await this.limits.admit(callerOf(req));
      const signal = abortOnClose(res);
      if (!(input.stream ?? wantsEventStream(req))) {
        const { result, workerMs } = await this.solver.solve(problem, { signal });
        completionTokens = result.usage?.completionTokens ?? 0;
        res.setHeader('server-timing', serverTimingOf(req.receivedAt ?? started, workerMs));
        res.status(200).json({ result });
        return;
      }
      const events = this.solver.solveStream(problem, { signal });
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
        code = errorCodeOf(error);
        writeSse(res, errorBodyOf(req, error).error, 'error');
      }
      res.end();
    } catch (error) {
      code = errorCodeOf(error);
      sendError(req, res, error);
    } finally {
      release?.(completionTokens);
      this.metrics.recordRequest('rest', 'solve', code, started);
    }
  }

  @Post('/v1/classify')
  @HttpCode(200)
  @ApiOperation({ summary: 'The route decision the router would take for a text (policy applied), without solving.' })
  classify(@Req() req: HttpRequest): { route: ReturnType<RoutingService['decide']> } {
    const { text } = parseInput(classifyRequestSchema, req.body);
    checkText(text, 'text');
    this.metrics.countRequest('rest', 'classify', 'OK');
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
