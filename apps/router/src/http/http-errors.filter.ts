import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { AppError, ErrorCode, echoInput, errorCodeOf } from '@slm/platform';
import { QUOTED_MESSAGE_MAX_CHARS, sendError } from './body-reader.middleware';
import type { HttpRequest, HttpResponse } from './http.types';

const CODE_OF_HTTP: Record<number, ErrorCode> = {
  400: ErrorCode.INVALID_ARGUMENT,
  404: ErrorCode.NOT_FOUND,
  405: ErrorCode.INVALID_ARGUMENT,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  415: ErrorCode.INVALID_ARGUMENT,
  429: ErrorCode.RATE_LIMITED,
};

/**
 * The one mapping of errors to HTTP answers: our codes through httpStatusOf/httpErrorBody,
 * Nest's own HttpExceptions (unknown route, …) to the closest code, anything else a logged 500.
 */
@Catch()
export class HttpErrorsFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<HttpRequest>();
    const res = http.getResponse<HttpResponse>();
    let error = exception;
    if (exception instanceof HttpException) {
      const code = CODE_OF_HTTP[exception.getStatus()] ?? ErrorCode.INTERNAL;
      const message = exception.getStatus() === 404 ? `no route ${req.method} ${echoInput(req.path)}` : echoInput(exception.message, QUOTED_MESSAGE_MAX_CHARS);
      error = new AppError(code, message);
    }
    if (errorCodeOf(error) === ErrorCode.INTERNAL) this.logger.error({ err: exception, path: req.path }, 'unexpected error');
    sendError(req, res, error);
  }
}
