import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * The process's root logger: JSON lines on stdout (pino), the level from LOG_LEVEL.
 * Child loggers carry a `component` field; request lines add requestId, domain, model,
 * token counts and milliseconds, never prompt or completion text at info level.
 * A line written inside a traced request or job carries its `traceId` and `spanId` (OpenTelemetry);
 * a request's own lines (access line, unexpected error) name its `requestId` themselves, from the
 * request's `RequestContext`, rather than from a child logger made per request.
 * `destination` replaces stdout (tests read the lines back).
 *
 * Stdout is written synchronously, as Node writes its own stdout to pipes and files: nothing is left to
 * flush at exit, and a reader that has gone (EPIPE: `slm up | tee` with the tee killed, a bench or test
 * harness that died) turns logging off. pino's asynchronous default flushes what is buffered at exit, and
 * sonic-boom 4 retries a broken pipe there forever: a service whose log reader had gone never exited, its
 * shutdown deadline included (the timers never ran again).
 */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options = { name, level, base: { pid: process.pid }, mixin: traceFields };
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}
export type { DestinationStream, Logger };

/**
 * The active span's ids for a log line: none when not tracing (the API's no-op context has no valid
 * span). A field the line sets itself wins.
 */
function traceFields(): { traceId?: string; spanId?: string } {
  const span = trace.getSpanContext(context.active());
  return span && isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : {};
}
