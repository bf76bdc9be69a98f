import { Injectable, SetMetadata, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { errorCodeOf } from '@slm/platform';
import { tap, type Observable } from 'rxjs';
import { RouterMetricsService } from './router-metrics.service';

const REQUEST_METRIC = 'slm:requestMetric';

/** How a route's requests are counted. */
interface RequestMetric {
  /** `rest` or `openai`. */
  ingress: string;
  /** The operation label (`solve`, `chat_completions`, `batch_submit` …). */
  operation: string;
  /** Whether the request's duration is observed too (the solving routes). Default false. */
  latency: boolean;
}

/** Outcomes a handler noted for requests whose answer had started before they failed (a stream's last event). */
const outcomes = new WeakMap<object, string>();

/**
 * Counts each request of the route in `slm_router_requests_total` (with its outcome code and
 * domain), and with `latency` observes its duration: {@link RequestMetricsInterceptor} does it
 * once for every HTTP route, validation failures included.
 */
export const CountRequests = (ingress: string, operation: string, options: { latency?: boolean } = {}) =>
  SetMetadata(REQUEST_METRIC, { ingress, operation, latency: options.latency ?? false } satisfies RequestMetric);

/** A failure after the answer started (SSE): the handler notes its code, since it cannot throw. */
export function noteRequestOutcome(request: object, code: string): void {
  outcomes.set(request, code);
}

/** The one place HTTP requests are counted (gRPC counts its own calls). */
@Injectable()
export class RequestMetricsInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly metrics: RouterMetricsService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const metric = this.reflector.get<RequestMetric | undefined>(REQUEST_METRIC, context.getHandler());
    if (!metric || context.getType() !== 'http') return next.handle();
    const started = performance.now();
    const request = context.switchToHttp().getRequest<object>();
    const record = (code: string) => {
      if (metric.latency) this.metrics.recordRequest(metric.ingress, metric.operation, code, started);
      else this.metrics.countRequest(metric.ingress, metric.operation, code);
    };
    return next.handle().pipe(
      tap({
        complete: () => record(outcomes.get(request) ?? 'OK'),
        error: (error: unknown) => record(errorCodeOf(error)),
      }),
    );
  }
}
