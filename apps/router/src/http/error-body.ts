import { Logger } from '@nestjs/common';
import {
  ErrorCode,
  echoInput,
  errorCodeOf,
  httpErrorBody,
  httpStatusOf,
  logUnexpectedError,
  retryAfterSecondsOf,
  unexpectedErrorMessage,
} from '@slm/platform';
import { noteRequestOutcome } from '../metrics/request-metrics';
import { pathOf, type HttpRequest, type HttpResponse } from './http.types';
import { isOpenAiPath, openAiErrorBody } from './openai-errors';

const logger = new Logger('HttpErrors');

/** An HTTP error body: ours (`{error: {code, message, details?, requestId?}}`) or OpenAI's. */
export type HttpErrorBody = { error: { code: string; message: string; requestId?: string; [key: string]: unknown } };

/** The request's correlation id (Fastify's `request.id`, the caller's x-request-id or a generated UUID). */
export function requestIdOf(req: HttpRequest): string {
  return String(req.id ?? '');
}

/** The matched route pattern (`/v1/batches/:batchId`), else the path as sent (query dropped, bounded). */
export function routeOf(req: HttpRequest): string {
  const pattern = req.is404 ? undefined : req.routeOptions?.url;
  return typeof pattern === 'string' ? pattern : echoInput(pathOf(req));
}

/**
 * The body of an error answer (whole response or a stream's last event), in OpenAI's shape on the
 * OpenAI-compatible paths. An unexpected error (INTERNAL) is logged here, once, with its stack,
 * request id and route, and its body names the request id to quote instead of the cause.
 */
export function errorBodyOf(req: HttpRequest, error: unknown): HttpErrorBody {
  const requestId = requestIdOf(req);
  const unexpected = errorCodeOf(error) === ErrorCode.INTERNAL;
  if (unexpected) logUnexpectedError(logger, error, { requestId: requestId || undefined, method: req.method, route: routeOf(req) });
  if (isOpenAiPath(req.url ?? '')) return openAiErrorBody(error, requestId || undefined);
  const body: HttpErrorBody = httpErrorBody(error);
  if (unexpected && requestId) body.error = { ...body.error, message: unexpectedErrorMessage(requestId), requestId };
  return body;
}

/** Answers an error in our JSON shape (OpenAI's on the OpenAI-compatible paths); see {@link errorBodyOf}. */
export function sendError(req: HttpRequest, reply: HttpResponse, error: unknown): void {
  noteRequestOutcome(req, errorCodeOf(error));
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.end();
    return;
  }
  const status = httpStatusOf(error);
  reply.code(status).header('connection', status === 413 ? 'close' : 'keep-alive');
  const retryAfter = retryAfterSecondsOf(error);
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  if (status === 401) reply.header('www-authenticate', 'Bearer');
  reply.type('application/json; charset=utf-8').send(errorBodyOf(req, error));
}
