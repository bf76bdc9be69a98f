import { Logger } from '@nestjs/common';
import { ErrorCode, echoInput, errorCodeOf, httpErrorBody, logUnexpectedError, unexpectedErrorMessage } from '@slm/platform';
import type { HttpRequest } from './http.types';
import { isOpenAiPath, openAiErrorBody } from './openai-errors';

const logger = new Logger('HttpErrors');

/** An HTTP error body: ours (`{error: {code, message, details?, requestId?}}`) or OpenAI's. */
export type HttpErrorBody = { error: { code: string; message: string; requestId?: string; [key: string]: unknown } };

/** The request's correlation id (pino-http's `req.id`, set by the request tracing middleware). */
export function requestIdOf(req: HttpRequest): string {
  return String((req as { id?: unknown }).id ?? '');
}

/** The matched route pattern (`/v1/batches/:batchId`), else the path as sent (query dropped, bounded). */
export function routeOf(req: HttpRequest): string {
  const pattern = (req as { route?: { path?: unknown } }).route?.path;
  return typeof pattern === 'string' ? pattern : echoInput((req.url ?? '').split('?')[0]);
}

/**
 * The body of an error answer (whole response or a stream's last event), in OpenAI's shape on the
 * OpenAI-compatible paths. An unexpected error (INTERNAL) is logged here, once, with its stack,
 * request id and route, and its body names the request id to quote instead of the cause.
 */
export function errorBodyOf(req: HttpRequest, error: unknown): HttpErrorBody {
  const requestId = requestIdOf(req);
  const unexpected = errorCodeOf(error) === ErrorCode.INTERNAL;
  if (unexpected) logUnexpectedError(logger, error, { method: req.method, route: routeOf(req) });
  if (isOpenAiPath(req.url ?? '')) return openAiErrorBody(error, requestId || undefined);
  const body: HttpErrorBody = httpErrorBody(error);
  if (unexpected && requestId) body.error = { ...body.error, message: unexpectedErrorMessage(requestId), requestId };
  return body;
}
