/** Error codes of this library; the same strings as @slm/platform's ErrorCode, so the edges map them. */
export type InferenceErrorCode = 'MODEL_LOAD_FAILED' | 'INVALID_ARGUMENT' | 'INPUT_TOO_LONG' | 'QUEUE_FULL' | 'CANCELLED' | 'INTERNAL';

/** Every failure this library reports: a stable code plus a message that names the file or option. */
export class InferenceError extends Error {
  constructor(
    readonly code: InferenceErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'InferenceError';
  }
}
