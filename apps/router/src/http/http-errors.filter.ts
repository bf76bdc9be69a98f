import { z } from 'zod';
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { AppError, ErrorCode, echoInput } from '@slm/platform';
import { QUOTED_MESSAGE_MAX_CHARS } from './body-parsers';
import { sendError } from './error-body';
import { errorCodeOfHttpStatus } from './http-status-codes';
import { pathOf, type HttpRequest, type HttpResponse } from './http.types';

/** The error body of every route but the OpenAI-compatible ones, as `httpErrorBody` builds it. */
export const httpErrorBodySchema = z.object({
  error: z.object({
    code: z.enum(ErrorCode),
    message: z.string(),
    details: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('what the code needs said (ROUTE_REJECTED: the route decision and its scores)'),
    requestId: z.string().optional().describe('on an unexpected error (INTERNAL): the request id to quote, the cause is in the log'),
  }),
});

/**
 * The one mapping of errors to HTTP answers: our codes through httpStatusOf/httpErrorBody,
 * Nest's own HttpExceptions (unknown route, …) to the closest code, anything else a 500 that
 * sendError logs once (message, stack, request id, route) and answers with the request id to quote.
 */
@Catch()
export class HttpErrorsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<HttpRequest>();
    const res = http.getResponse<HttpResponse>();
    let error = exception;
    if (exception instanceof HttpException) {
      const code = errorCodeOfHttpStatus(exception.getStatus(), ErrorCode.INTERNAL);
      const message =
        exception.getStatus() === 404
          ? `no route ${req.method} ${echoInput(pathOf(req))}`
          : echoInput(exception.message, QUOTED_MESSAGE_MAX_CHARS);
      error = new AppError(code, message);
    } else if (isFastifyClientError(exception)) {
      // Fastify's own refusals (a malformed request line, a body on a route that takes none, …).
      error = new AppError(
        errorCodeOfHttpStatus(exception.statusCode, ErrorCode.INVALID_ARGUMENT),
        echoInput(exception.message, QUOTED_MESSAGE_MAX_CHARS),
      );
    }
    sendError(req, res, error);
  }
}

function isFastifyClientError(error: unknown): error is Error & { code: string; statusCode: number } {
  const { code, statusCode } = (error ?? {}) as { code?: unknown; statusCode?: unknown };
  return (
    error instanceof Error &&
    typeof code === 'string' &&
    code.startsWith('FST_') &&
    typeof statusCode === 'number' &&
    statusCode >= 400 &&
    statusCode < 500
  );
}
