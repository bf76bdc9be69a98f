import { ErrorCode, errorCodeOf, isErrorCode, publicMessageOf } from './app.errors';

/** Why a queued job failed, as the router reads it back: one of our codes and the message for people. */
export interface JobFailure {
  code: ErrorCode;
  message: string;
}

/**
 * The message of the Error a queue processor fails a job with: a small JSON object
 * `{"code":"INVALID_ARGUMENT","message":"…"}`. BullMQ 5 keeps only a failed job's error message
 * (`failedReason`, also what the `failed` event carries) and its stack; there is no field for
 * structured data, so the message itself is the structure. The message is the public one
 * (INTERNAL hides its cause, which the worker logs).
 */
export function jobFailureReason(error: unknown): string {
  const failure: JobFailure = { code: errorCodeOf(error), message: publicMessageOf(error) };
  return JSON.stringify(failure);
}

/**
 * Reads a job's `failedReason`: the JSON object of {@link jobFailureReason}; any other text (one
 * BullMQ wrote itself, such as a stalled job's, or a processor that threw a plain Error) is an
 * INTERNAL failure with that text as its message. The code is never parsed out of the text.
 */
export function jobFailureOf(reason: string | undefined): JobFailure {
  const text = reason ?? '';
  const parsed = text.startsWith('{') ? parseJson(text) : undefined;
  const { code, message } = (parsed ?? {}) as { code?: unknown; message?: unknown };
  if (isErrorCode(code) && typeof message === 'string') return { code, message };
  return { code: ErrorCode.INTERNAL, message: text || 'job failed' };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
