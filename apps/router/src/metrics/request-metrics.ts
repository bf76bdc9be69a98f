import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { ErrorCode } from '@slm/platform';
import { errorCodeOfHttpStatus } from '../http/http-status-codes';
import type { HttpRequest } from '../http/http.types';
import { RouterMetricsService } from './router-metrics.service';

/** How a route's requests are counted (its Fastify route config, set by {@link CountRequests}). */
interface RequestMetric {
  /** `rest` or `openai`. */
  ingress: string;
  /** The operation label (`solve`, `chat_completions`, `batch_submit` …). */
  operation: string;
  /** Whether the request's duration is observed too (the solving routes). */
  latency: boolean;
}

/** Outcome codes of answered errors, noted where the error body is written (see {@link noteRequestOutcome}). */
const outcomes = new WeakMap<object, string>();

/**
 * Counts each request of the route in `slm_router_requests_total` (with its outcome code and
 * domain), and with `latency` observes its duration: {@link countRequests} does it once for every
 * HTTP route, refusals before the handler (authentication, validation, limits) included.
 */
export const CountRequests = (ingress: string, operation: string, options: { latency?: boolean } = {}) =>
  RouteConfig({ requestMetric: { ingress, operation, latency: options.latency ?? false } satisfies RequestMetric });

/** The outcome of an answered request that was not OK: where an error body is written, or a stream's last event. */
export function noteRequestOutcome(request: object, code: string): void {
  outcomes.set(request, code);
}

/**
 * The one place HTTP requests are counted (gRPC counts its own calls): an onRequest hook, after the
 * request tracing, that records the request when its response closes. A plain hook rather than a
 * Nest interceptor: it sees every refusal, and costs no observable chain per request.
 */
export function countRequests(metrics: RouterMetricsService): onRequestHookHandler {
  return (request, reply, done) => {
    const metric = (request.routeOptions.config as { requestMetric?: RequestMetric }).requestMetric;
    if (metric) {
      const started = performance.now();
      reply.raw.once('close', () => {
        const code = outcomeOf(request, reply.raw);
        // Noted on the request's context (set by the request tracing hook) once it is routed.
        const domain = (request as HttpRequest).context?.domain ?? 'none';
        if (metric.latency) metrics.recordRequest(metric.ingress, metric.operation, code, started, domain);
        else metrics.countRequest(metric.ingress, metric.operation, code, domain);
      });
    }
    done();
  };
}

function outcomeOf(request: FastifyRequest, response: { writableEnded: boolean; statusCode: number }): string {
  const noted = outcomes.get(request);
  if (noted) return noted;
  if (!response.writableEnded) return ErrorCode.CANCELLED;
  // An error answer nobody noted (Fastify's own refusals): its code from its status.
  const status = response.statusCode;
  if (status < 400) return 'OK';
  return errorCodeOfHttpStatus(status, status < 500 ? ErrorCode.INVALID_ARGUMENT : ErrorCode.INTERNAL);
}
