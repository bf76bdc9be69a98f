import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  domainNameOf,
  listWorkerDomains,
  workerDomainOf,
  type Problem,
  type Result__Output,
  type RouteDecision__Output,
  type TokenDelta__Output,
} from '@slm/contracts';
import { AppError, ErrorCode, type RequestContext } from '@slm/platform';
import { ROUTER_CONFIG, type RouterConfig } from '../config/router.config';
import { DispatchService } from '../dispatch/dispatch.service';
import { RouterMetricsService } from '../metrics/router-metrics.service';
import { RoutingService } from '../routing/routing.service';
import { checkProblem, classifiedTextOf, earlierTurnsOf } from './problem.schemas';

/** One event of a streamed solution: the route first, then deltas, then exactly one result. */
export type SolveEvent =
  | { event: 'route'; route: RouteDecision__Output }
  | { event: 'delta'; delta: TokenDelta__Output }
  | { event: 'result'; result: Result__Output };

/** A solved problem, and how long its worker call took (the rest of a request is the router's own time). */
export interface Solved {
  result: Result__Output;
  workerMs: number;
}

/**
 * The `Server-Timing` value of a solved request (also sent as gRPC trailing metadata): `router`, the
 * router's own time since `receivedAt` (parsing, classification, policy, dispatch, everything but the
 * worker call), and `worker`, the worker call itself. The overhead callers see, as LiteLLM reports its own.
 */
export function serverTimingOf(receivedAt: number, workerMs: number): string {
  const routerMs = Math.max(0, performance.now() - receivedAt - workerMs);
  return `router;dur=${routerMs.toFixed(3)}, worker;dur=${workerMs.toFixed(3)}`;
}

/** How a caller's request is bounded. */
export interface SolveContext {
  /** The caller's deadline, if any; the configured request timeout caps it. */
  deadline?: Date;
  /** Fired when the caller goes away. */
  signal?: AbortSignal;
  /** The edge's context of the request: its correlation id goes to the worker, the routed domain is noted on it. */
  request?: RequestContext;
}

/** Classifies a problem, applies the policy and solves it on the chosen domain's workers. */
@Injectable()
export class SolveService {
  constructor(
    private readonly routing: RoutingService,
    private readonly dispatch: DispatchService,
    private readonly metrics: RouterMetricsService,
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
  ) {}

  /** Validates the problem's limits and gives it a request id. */
  prepare(problem: Problem | null | undefined): Problem & { requestId: string } {
    const checked = checkProblem(problem, this.config.limits);
    return { ...checked, requestId: checked.requestId || randomUUID() };
  }

  /** The route decision for a problem, the no-healthy-replica fallback included; the domain is noted on `request`. */
  route(problem: Problem, request?: RequestContext): RouteDecision__Output {
    const override = workerDomainOf(problem.domainOverride);
    if (domainNameOf(problem.domainOverride) === 'other') {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `domainOverride DOMAIN_OTHER has no worker; use ${listWorkerDomains()}`);
    }
    let decision = this.routing.decide(classifiedTextOf(problem), override, earlierTurnsOf(problem));
    const domain = workerDomainOf(decision.domain);
    // Noted first: a NO_HEALTHY_REPLICA refusal is counted under the domain that had no replica.
    if (domain && request) request.domain = domain;
    if (domain && !this.dispatch.pool(domain).hasEligible()) decision = this.routing.rerouteUnavailable(decision);
    const routed = workerDomainOf(decision.domain) ?? 'other';
    this.metrics.routeDecisions.inc({
      domain: routed,
      kind: decision.overridden ? 'overridden' : decision.fallback ? 'fallback' : 'classified',
    });
    if (request) request.domain = routed;
    return decision;
  }

  async solve(problem: Problem & { requestId: string }, context: SolveContext = {}): Promise<Solved> {
    const route = this.route(problem, context.request);
    const pool = this.dispatch.pool(this.domainOf(route));
    const started = performance.now();
    // The worker is not sent the route only to echo it back: the router's own decision goes in the result.
    const result = await pool.generate({ problem }, this.callContext(problem, context));
    return { result: { ...result, route }, workerMs: performance.now() - started };
  }

  /**
   * Streams a solution. Route and admission are decided on the first `next()`, before any event:
   * a full queue or no healthy replica rejects it, so the caller answers 429 / 503 (gRPC
   * RESOURCE_EXHAUSTED / UNAVAILABLE) before committing a status line, as a unary call does.
   */
  async *solveStream(problem: Problem & { requestId: string }, context: SolveContext = {}): AsyncGenerator<SolveEvent> {
    const route = this.route(problem, context.request);
    const domain = this.domainOf(route);
    const started = performance.now();
    const stream = await this.dispatch.pool(domain).openStream({ problem }, this.callContext(problem, context));
    try {
      yield { event: 'route', route };
      let last: number | undefined;
      for await (const event of stream.events) {
        if (event.delta) {
          const now = performance.now();
          if (last === undefined) this.metrics.timeToFirstToken.observe({ domain }, (now - started) / 1000);
          else this.metrics.interTokenLatency.observe({ domain }, (now - last) / 1000);
          last = now;
          yield { event: 'delta', delta: event.delta };
        } else if (event.result) {
          yield { event: 'result', result: { ...event.result, route } };
          return;
        }
      }
    } finally {
      stream.close();
    }
    throw new AppError(ErrorCode.INTERNAL, `the ${domain} worker ended its stream without a result`);
  }

  private domainOf(route: RouteDecision__Output) {
    const domain = workerDomainOf(route.domain);
    if (!domain) throw new AppError(ErrorCode.ROUTE_REJECTED, 'problem classified as other and no fallback domain is configured');
    return domain;
  }

  private callContext(problem: Problem & { requestId: string }, context: SolveContext) {
    const cap = Date.now() + this.config.limits.requestTimeoutMs;
    const deadline = context.deadline && context.deadline.getTime() < cap ? context.deadline : new Date(cap);
    // The worker's log lines carry the caller's correlation id (x-request-id); the problem keeps its own requestId.
    return { deadline, requestId: context.request?.requestId ?? problem.requestId, signal: context.signal };
  }
}
