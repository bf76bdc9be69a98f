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
 *
 * Stdout is written synchronously, as Node writes its own stdout to pipes and files: nothing is left to
 * flush at exit, and a reader that has gone (EPIPE: `slm up | tee` with the tee killed, a bench or test
 * harness that died) turns logging off. pino's asynchronous default flushes what is buffered at exit, and
 * sonic-boom 4 retries a broken pipe there forever: a service whose log reader had gone never exited, its
 * shutdown deadline included (the timers never ran again).
 */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options = { name, level, base: { pid: process.pid }, mixin: requestFields };
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
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
