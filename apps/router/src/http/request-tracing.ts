import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, onRequestHookHandler } from 'fastify';
import { AppError, ErrorCode, correlationIdOf, runWithRequestContext, type Logger, type RequestContext } from '@slm/platform';
import type { LevelWithSilent } from 'pino';
import { pinoHttp } from 'pino-http';
import { activeTraceId } from '@slm/telemetry';
import { routeOf, sendError } from './error-body';
import { pathOf, type HttpRequest } from './http.types';
import { clientOf } from './sse';

/** Paths polled by probes and scrapers: their access lines are written at debug, not info. */
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Each request's context and Fastify request (keyed by its IncomingMessage), and what is wrong with its caller's x-request-id. */
const contexts = new WeakMap<object, RequestContext & { problem?: string; request?: HttpRequest }>();

/**
 * Fastify's `genReqId`: the caller's `x-request-id` when it follows the rule, else a UUID (an
 * invalid one is refused by {@link requestTracing}). Fastify's `request.id` is the correlation id.
 */
export function requestIdOf(raw: IncomingMessage): string {
  const { requestId, problem } = correlationIdOf(raw.headers['x-request-id']);
  contexts.set(raw, { requestId, problem });
  return requestId;
}

/**
 * The first onRequest hook (before the body is read, so refused bodies are traced too): echoes the
 * request id in the `x-request-id` response header (and the OpenTelemetry trace id in `x-trace-id`
 * when tracing is on), gives the request its pino child logger (`requestId` on every line;
 * nestjs-pino hands it to Nest's Logger), makes the request's context current for what follows
 * and writes one access line when the response ends: method, route, status, ms, domain and
 * client. An invalid `x-request-id` is a 400.
 */
export function requestTracing(logger: Logger): onRequestHookHandler {
  const httpLogger = pinoHttp<IncomingMessage, ServerResponse, never>({
    logger,
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    customLogLevel: (req): LevelWithSilent => (PROBE_PATHS.has(pathOf(req)) ? 'debug' : 'info'),
    customSuccessObject: (req, res, fields: { responseTime: number }) => accessFields(req, res, fields.responseTime),
    customErrorObject: (req, res, _error, fields: { responseTime: number }) => accessFields(req, res, fields.responseTime),
    customSuccessMessage: (_req, res) => (res.writableEnded ? 'request completed' : 'request aborted'),
    customErrorMessage: (_req, res) => (res.writableEnded ? 'request completed' : 'request aborted'),
  });
  return (request, reply, done) => {
    const req = request as HttpRequest;
    req.receivedAt = performance.now();
    reply.raw.setHeader('x-request-id', req.id);
    // The OpenTelemetry trace this request is part of (the caller's traceparent, else a new one), when tracing is on.
    const traceId = activeTraceId();
    if (traceId) reply.raw.setHeader('x-trace-id', traceId);
    // pino-http takes the id of the raw request (its child logger's `requestId`).
    (req.raw as IncomingMessage & { id?: string }).id = req.id;
    httpLogger(req.raw, reply.raw);
    // The request's logger is pino-http's child (`requestId` bound): middie hands Fastify's to the
    // Nest middleware, and nestjs-pino's writes Nest's lines of this request through it.
    const child = (req.raw as IncomingMessage & { log?: FastifyBaseLogger }).log;
    if (child) req.log = child;
    const context = contexts.get(req.raw);
    if (!context) return done();
    context.request = req;
    if (context.problem) return sendError(req, reply, new AppError(ErrorCode.INVALID_ARGUMENT, `x-request-id header: ${context.problem}`));
    // The rest of the request (body parser, guard, handler) runs in its context.
    runWithRequestContext(context, done);
  };
}

/** The access line's fields; a response the caller walked away from counts as 499 (client closed), as nginx logs it. */
function accessFields(raw: IncomingMessage, res: ServerResponse, ms: number) {
  const context = contexts.get(raw);
  const req = context?.request;
  const status = res.writableEnded ? res.statusCode : 499;
  return {
    method: raw.method,
    route: req ? routeOf(req) : pathOf(raw),
    status,
    ms,
    domain: context?.domain,
    client: clientOf(req, raw.socket.remoteAddress),
  };
}
