import { ErrorCode } from '@slm/platform';

/** Our error code for an HTTP error status someone else chose (Nest's and Fastify's own refusals). */
const CODE_OF_HTTP: Readonly<Record<number, ErrorCode>> = {
  400: ErrorCode.INVALID_ARGUMENT,
  404: ErrorCode.NOT_FOUND,
  405: ErrorCode.INVALID_ARGUMENT,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  415: ErrorCode.INVALID_ARGUMENT,
  429: ErrorCode.RATE_LIMITED,
};

/** The error code of an HTTP status, else `fallback`. */
export function errorCodeOfHttpStatus(status: number, fallback: ErrorCode): ErrorCode {
  return CODE_OF_HTTP[status] ?? fallback;
}
