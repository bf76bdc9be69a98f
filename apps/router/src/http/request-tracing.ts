import type { IncomingMessage, ServerResponse } from 'node:http';
import type { onRequestHookHandler } from 'fastify';
import { AppError, ErrorCode, correlationIdOf, type Logger, type RequestContext } from '@slm/platform';
import { httpServerSpansByHook, startHttpServerSpan, type HttpServerSpan } from '@slm/telemetry';
import { routeOf, sendError } from './error-body';
import { pathOf, type HttpRequest } from './http.types';
import { clientOf } from './sse';

/** Paths polled by probes and scrapers: their access lines are written at debug, not info. */
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Each request's context (keyed by its IncomingMessage, from `genReqId` to the hook), and what is wrong with its caller's x-request-id. */
const contexts = new WeakMap<object, { context: RequestContext; problem?: string }>();

/**
 * Fastify's `genReqId`: the caller's `x-request-id` when it follows the rule, else a UUID (an
 * invalid one is refused by {@link requestTracing}). Fastify's `request.id` is the correlation id.
 */
export function requestIdOf(raw: IncomingMessage): string {
  const { requestId, problem } = correlationIdOf(raw.headers['x-request-id']);
  contexts.set(raw, { context: { requestId }, problem });
  return requestId;
}

/**
 * The first onRequest hook (before the body is read, so refused bodies are traced too): when tracing is
 * on, opens the request's OpenTelemetry server span (a child of the caller's `traceparent`; probes and
 * scrapes are not traced) and echoes its trace id in `x-trace-id`; echoes the request id in the
 * `x-request-id` response header, puts the request's context on it (`req.context`: the handlers pass it
 * on, the solve service notes the domain there) and writes one access line when the response ends:
 * method, route, status, ms, domain and client. An invalid `x-request-id` is a 400.
 */
export function requestTracing(logger: Logger): onRequestHookHandler {
  return (request, reply, done) => {
    const req = request as HttpRequest;
    req.receivedAt = performance.now();
    reply.raw.setHeader('x-request-id', req.id);
    const span = serverSpanOf(req);
    if (span?.traceId) reply.raw.setHeader('x-trace-id', span.traceId);
    // 'close' comes once, whether the answer was sent whole or the caller walked away.
    reply.raw.once('close', () => {
      span?.end(reply.raw.writableEnded ? reply.raw.statusCode : 499);
      writeAccessLine(logger, req, reply.raw);
    });
    const arrived = contexts.get(req.raw);
    req.context = arrived?.context;
    const rest = () => {
      if (arrived?.problem)
        return sendError(req, reply, new AppError(ErrorCode.INVALID_ARGUMENT, `x-request-id header: ${arrived.problem}`));
      done();
    };
    if (span) span.run(rest);
    else rest();
  };
}

/** The request's server span when tracing is on, except for probes and scrapes. */
function serverSpanOf(req: HttpRequest): HttpServerSpan | undefined {
  const path = pathOf(req.raw);
  if (!httpServerSpansByHook() || PROBE_PATHS.has(path)) return undefined;
  return startHttpServerSpan({
    method: req.method,
    route: req.is404 ? undefined : routeOf(req),
    path,
    headers: req.raw.headers,
    clientAddress: req.raw.socket.remoteAddress,
  });
}

/** The access line; a response the caller walked away from counts as 499 (client closed), as nginx logs it. */
function writeAccessLine(logger: Logger, req: HttpRequest, res: ServerResponse): void {
  const level = PROBE_PATHS.has(pathOf(req.raw)) ? 'debug' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  const completed = res.writableEnded;
  logger[level](
    {
      requestId: req.id,
      method: req.method,
      route: routeOf(req),
      status: completed ? res.statusCode : 499,
      ms: Math.round(performance.now() - (req.receivedAt ?? 0)),
      domain: req.context?.domain,
      client: clientOf(req, req.raw.socket.remoteAddress),
    },
    completed ? 'request completed' : 'request aborted',
  );
}
