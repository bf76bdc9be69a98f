import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * The process's root logger: JSON lines on stdout (pino), the level from LOG_LEVEL.
 * Child loggers carry a `component` field; request lines add requestId, domain, model,
 * token counts and milliseconds, never prompt or completion text at info level.
 * A line written inside a traced request or job carries its `traceId` and `spanId` (OpenTelemetry).
 * `destination` replaces stdout (tests read the lines back).
 */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options = { name, level, base: { pid: process.pid }, mixin: traceFields };
  return destination ? pino(options, destination) : pino(options);
}
export type { DestinationStream, Logger };

/** The active span's ids for a log line; nothing when not tracing (the API's no-op context has no valid span). */
function traceFields(): { traceId?: string; spanId?: string } {
  const span = trace.getSpanContext(context.active());
  return span && isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : {};
}
