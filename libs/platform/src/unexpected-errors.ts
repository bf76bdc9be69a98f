import { ErrorCode, errorCodeOf } from './app.errors';

/** The one method of a logger this needs: pino's and Nest's (through nestjs-pino) both fit. */
export interface ErrorLogger {
  error(fields: object, message: string): void;
}

const logged = new WeakSet<object>();

/**
 * Logs an unexpected error (code INTERNAL: a bug, or a failure nobody mapped) once, with its
 * message and stack (pino's `err` serializer) and where it happened; known errors are the caller's
 * business and are not logged here. An error object that travels through two catch blocks is still
 * logged once. `fields` name the request (its `requestId`) and where it happened.
 */
export function logUnexpectedError(logger: ErrorLogger, error: unknown, fields: { route: string; [key: string]: unknown }): void {
  if (errorCodeOf(error) !== ErrorCode.INTERNAL) return;
  if (typeof error === 'object' && error !== null) {
    if (logged.has(error)) return;
    logged.add(error);
  }
  logger.error({ err: error instanceof Error ? error : new Error(String(error)), ...fields }, 'unexpected error');
}

/** The caller-facing message of an unexpected error: the request id to quote instead of the cause. */
export function unexpectedErrorMessage(requestId: string): string {
  return `internal error (see the server log, request id ${requestId})`;
}
