import type { IncomingHttpHeaders } from 'node:http';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  isSpanContextValid,
  propagation,
  trace,
  type Attributes,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

/** The tracer of every slm-router span (one instrumentation scope; the service name tells the process). */
export const tracer = trace.getTracer('slm-router');

/**
 * Runs `work` inside a new active span (children made meanwhile hang under it) and ends it when the
 * work settles; an error is recorded on the span and rethrown. `root` starts a trace of its own,
 * tied by `links` to the traces it came from (one trace per queued problem, linked to its batch's).
 */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
  options: { links?: Link[]; root?: boolean } = {},
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes, ...options }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** {@link inSpan} for synchronous work. */
export function inSpanSync<T>(name: string, attributes: Attributes, work: (span: Span) => T): T {
  return tracer.startActiveSpan(name, { attributes }, (span) => {
    try {
      return work(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Starts a span that outlives one call (a stream): `run` makes it the active span for what it calls
 * (a gRPC call started there becomes its child); the caller ends it.
 */
export function startSpanIn(name: string, attributes: Attributes): { span: Span; run<T>(work: () => T): T } {
  const span = tracer.startSpan(name, { attributes });
  const active = trace.setSpan(context.active(), span);
  return { span, run: (work) => context.with(active, work) };
}

/** Marks a span failed with the error's message (and its code, where it has one). */
export function failSpan(span: Span, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' || typeof code === 'number') span.setAttribute('error.type', String(code));
}

/**
 * A span for a phase whose times are known only afterwards (the engine's queue, prefill and decode
 * run in another thread; a job's wait in its queue): `start`/`end` in epoch milliseconds.
 */
export function recordSpan(name: string, start: number, end: number, attributes: Attributes, parent: Span): void {
  const span = tracer.startSpan(name, { startTime: start, attributes }, trace.setSpan(context.active(), parent));
  span.end(Math.max(start, end));
}

/** A `performance.now()` reading as epoch milliseconds, what {@link recordSpan} takes. */
export function epochMs(performanceNow: number): number {
  return performance.timeOrigin + performanceNow;
}

/** Runs `work` with tracing suppressed: per-item work of a 100,000-problem batch must not make a span each. */
export function untraced<T>(work: () => T): T {
  return context.with(suppressTracing(context.active()), work);
}

/** The active trace context as W3C headers (`traceparent`, `tracestate`), to carry in a queue job; empty when not tracing. */
export function traceCarrier(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * A link to the trace a carrier came from (a batch's submission), for the span that starts a
 * problem's own trace; none when the carrier holds no valid context.
 */
export function linkFrom(carrier: Record<string, string> | undefined): Link[] {
  if (!carrier) return [];
  const spanContext = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, carrier));
  return spanContext && isSpanContextValid(spanContext) ? [{ context: spanContext }] : [];
}

/** The SERVER span of one incoming HTTP request (see {@link startHttpServerSpan}). */
export interface HttpServerSpan {
  /** The trace id (32 hex digits) when the span is valid, else undefined. */
  traceId: string | undefined;
  /** Runs `work` with the span active: what the request does meanwhile hangs under it. */
  run<T>(work: () => T): T;
  /** Ends the span with the response's status code (5xx marks it failed). */
  end(statusCode: number): void;
}

/**
 * Opens the SERVER span of an incoming HTTP request, `{method} {route}` (OpenTelemetry's HTTP semantic
 * conventions), as a child of the caller's W3C `traceparent` when there is one (the sampler decides the
 * rest, as for any span). The HTTP server instrumentation opens the same span, but binds the request's
 * and response's emitters to its context and builds every attribute it knows, sampled or not: on the
 * router, opening this one from a framework hook instead took 60–80 µs of CPU off each request
 * (docs/benchmarks.md).
 */
export function startHttpServerSpan(request: {
  method: string;
  /** The matched route's pattern (`/v1/batches/:id`); none for a path no route matches (the span is then named by the method alone). */
  route?: string;
  path: string;
  headers: IncomingHttpHeaders;
  clientAddress?: string;
}): HttpServerSpan {
  const parent = propagation.extract(ROOT_CONTEXT, request.headers);
  const span = tracer.startSpan(
    request.route ? `${request.method} ${request.route}` : request.method,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': request.method,
        ...(request.route ? { 'http.route': request.route } : {}),
        'url.path': request.path,
        ...(request.clientAddress ? { 'client.address': request.clientAddress } : {}),
        ...(request.headers['user-agent'] ? { 'user_agent.original': request.headers['user-agent'] } : {}),
      },
    },
    parent,
  );
  const active = trace.setSpan(parent, span);
  const spanContext = span.spanContext();
  return {
    traceId: isSpanContextValid(spanContext) ? spanContext.traceId : undefined,
    run: (work) => context.with(active, work),
    end: (statusCode) => {
      span.setAttribute('http.response.status_code', statusCode);
      if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}

/** The id of the active trace (32 hex digits), or undefined when nothing is traced. */
export function activeTraceId(): string | undefined {
  const spanContext = trace.getSpanContext(context.active());
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

export type { Span };
