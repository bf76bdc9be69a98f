import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, ErrorCode, correlationIdOf, runWithRequestContext, type Logger, type RequestContext } from '@slm/platform';
import type { LevelWithSilent } from 'pino';
import { pinoHttp } from 'pino-http';
import { activeTraceId } from '@slm/telemetry';
import { sendError } from './body-reader.middleware';
import { routeOf } from './error-body';
import type { HttpRequest, HttpResponse, NextFunction } from './http.types';
import { clientOf } from './sse';

/** Paths polled by probes and scrapers: their access lines are written at debug, not info. */
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Each request's context, and what is wrong with its caller's x-request-id (it then has a generated id). */
const contexts = new WeakMap<object, RequestContext & { problem?: string }>();

/**
 * The first middleware of every HTTP request (before the body is read, so refused bodies are
 * traced too): takes the caller's `x-request-id` or generates a UUID, echoes it in the
 * `x-request-id` response header (and the OpenTelemetry trace id in `x-trace-id` when tracing is on), gives the request its pino child logger (`requestId` on every
 * line; nestjs-pino hands it to Nest's Logger) and writes one access line when the response ends:
 * method, route, status, ms, domain and client. An invalid `x-request-id` is a 400.
 */
export function requestTracing(logger: Logger): (req: HttpRequest, res: HttpResponse, next: NextFunction) => void {
  const httpLogger = pinoHttp<IncomingMessage, ServerResponse, never>({
    logger,
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    genReqId: (req, res) => {
      const { requestId, problem } = correlationIdOf(req.headers['x-request-id']);
      contexts.set(req, { requestId, problem });
      res.setHeader('x-request-id', requestId);
      // The OpenTelemetry trace this request is part of (the caller's traceparent, else a new one), when tracing is on.
      const traceId = activeTraceId();
      if (traceId) res.setHeader('x-trace-id', traceId);
      return requestId;
    },
    customLogLevel: (req): LevelWithSilent => (PROBE_PATHS.has((req.url ?? '').split('?')[0]) ? 'debug' : 'info'),
    customSuccessObject: (req, res, fields: { responseTime: number }) => accessFields(req as HttpRequest, res, fields.responseTime),
    customErrorObject: (req, res, _error, fields: { responseTime: number }) => accessFields(req as HttpRequest, res, fields.responseTime),
    customSuccessMessage: (_req, res) => (res.writableEnded ? 'request completed' : 'request aborted'),
    customErrorMessage: (_req, res) => (res.writableEnded ? 'request completed' : 'request aborted'),
  });
  return (req, res, next) =>
    httpLogger(req, res, () => {
      const problem = contexts.get(req)?.problem;
      if (problem) return sendError(req, res, new AppError(ErrorCode.INVALID_ARGUMENT, `x-request-id header: ${problem}`));
      next();
    });
}

/**
 * Makes the request's context current for the handlers below. It runs after the body reader: the
 * body's 'end' event comes from the socket, outside any context entered before it.
 */
export function bindRequestContext(req: HttpRequest, _res: HttpResponse, next: NextFunction): void {
  const context = contexts.get(req);
  if (!context) return next();
  runWithRequestContext(context, next);
}

/** The access line's fields; a response the caller walked away from counts as 499 (client closed), as nginx logs it. */
function accessFields(req: HttpRequest, res: ServerResponse, ms: number) {
  const context = contexts.get(req);
  const status = res.writableEnded ? res.statusCode : 499;
  return { method: req.method, route: routeOf(req), status, ms, domain: context?.domain, client: clientOf(req) };
}
