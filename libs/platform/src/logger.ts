import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';
import { currentRequestContext } from './request-context';

/**
 * The process's root logger: JSON lines on stdout (pino), the level from LOG_LEVEL.
 * Child loggers carry a `component` field; request lines add requestId, domain, model,
 * token counts and milliseconds, never prompt or completion text at info level.
 * A line written inside a traced request or job carries its `traceId` and `spanId` (OpenTelemetry);
 * one written while a request is served (see {@link runWithRequestContext}) carries its `requestId`,
 * read from the request's context rather than bound to a child logger made per request.
 * `destination` replaces stdout (tests read the lines back).
 */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options = { name, level, base: { pid: process.pid }, mixin: requestFields };
  return destination ? pino(options, destination) : pino(options);
}
export type { DestinationStream, Logger };

/**
 * The request's id and the active span's ids for a log line: nothing outside a request, and no span
 * ids when not tracing (the API's no-op context has no valid span). A field the line sets itself wins.
 */
function requestFields(): { requestId?: string; traceId?: string; spanId?: string } {
  const requestId = currentRequestContext()?.requestId;
  const span = trace.getSpanContext(context.active());
  if (span && isSpanContextValid(span)) return { requestId, traceId: span.traceId, spanId: span.spanId };
  return requestId === undefined ? {} : { requestId };
}
