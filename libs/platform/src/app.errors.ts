/**
 * Every error a caller can see carries one of these codes. Each area owns its codes; the
 * edges (gRPC, HTTP, queue) map them with {@link grpcStatusOf} / {@link httpStatusOf}.
 */
export const ErrorCode = {
  /** The request is malformed or a field is out of range. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** The prompt does not fit the model's context. */
  INPUT_TOO_LONG: 'INPUT_TOO_LONG',
  /** The request body or upload exceeds the size limit. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The named resource (batch, model) does not exist. */
  NOT_FOUND: 'NOT_FOUND',
  /** A requestId or idempotency key the caller already used for a different problem or batch. */
  CONFLICT: 'CONFLICT',
  /** The engine's queue is full: retry later. */
  QUEUE_FULL: 'QUEUE_FULL',
  /** The caller is over one of its limits (requests per minute, concurrency, tokens per minute, batch problems in flight): retry after `details.retryAfterSeconds`. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** No API key, or one that is malformed, unknown, revoked or expired. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The API key is valid but lacks the scope the operation needs. */
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  /** The caller's deadline passed before the work finished. */
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  /** The caller cancelled the request. */
  CANCELLED: 'CANCELLED',
  /** The router declined the problem (e.g. classified "other" with a reject policy). */
  ROUTE_REJECTED: 'ROUTE_REJECTED',
  /** No healthy worker replica serves the domain. */
  NO_HEALTHY_REPLICA: 'NO_HEALTHY_REPLICA',
  /** Redis is unreachable: queue-based features are unavailable. */
  REDIS_UNAVAILABLE: 'REDIS_UNAVAILABLE',
  /** The model is still loading or warming up. */
  MODEL_NOT_READY: 'MODEL_NOT_READY',
  /** The model folder could not be loaded. */
  MODEL_LOAD_FAILED: 'MODEL_LOAD_FAILED',
  /** A bug or an unexpected failure; the cause is logged, not returned. */
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error that is safe to show to the caller: a stable code and a message that says what is wrong. */
export class AppError<C extends ErrorCode = ErrorCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
    /** Structured detail for the caller (e.g. the classifier's scores on a rejected route). */
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

const knownCodes = new Set<string>(Object.values(ErrorCode));

/** True for one of our codes (a string read off the wire or out of a job's failure). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && knownCodes.has(value);
}

/**
 * Reads the code of any error: an AppError, or another library's error that carries one of our
 * codes (libs/inference throws its own errors with the same codes, without depending on this lib).
 */
export function errorCodeOf(error: unknown): ErrorCode {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && knownCodes.has(code) ? (code as ErrorCode) : ErrorCode.INTERNAL;
}

/** The message to show the caller: the error's own for known codes, a generic one for bugs. */
export function publicMessageOf(error: unknown): string {
  if (errorCodeOf(error) === ErrorCode.INTERNAL) return 'internal error (see the server log)';
  return error instanceof Error ? error.message : String(error);
}

/** How many characters of caller input an error message quotes (see {@link echoInput}). */
export const ECHO_MAX_CHARS = 64;

/**
 * Caller input as an error message may quote it: at most `max` characters (default
 * {@link ECHO_MAX_CHARS}), then "…"; control characters and lone surrogates written as `\uXXXX`.
 * Every message that repeats what a caller sent goes through here, so a 10,000-character id
 * comes back as 65 characters and a CR/LF never breaks a log line.
 */
export function echoInput(value: unknown, max = ECHO_MAX_CHARS): string {
  let echoed = '';
  let count = 0;
  for (const char of String(value)) {
    if (count === max) return `${echoed}…`;
    echoed += isUnprintable(char) ? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}` : char;
    count++;
  }
  return echoed;
}

function isUnprintable(char: string): boolean {
  const code = char.charCodeAt(0);
  // C0 controls, DEL and C1 controls; a lone surrogate is one code unit in 0xD800-0xDFFF.
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || (char.length === 1 && code >= 0xd800 && code <= 0xdfff);
}
