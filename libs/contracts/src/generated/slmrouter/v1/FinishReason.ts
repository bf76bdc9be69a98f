// Original file: proto/slmrouter/v1/common.proto

/**
 * Why generation stopped.
 */
export const FinishReason = {
  /**
   * Not set (only in partial results).
   */
  FINISH_REASON_UNSPECIFIED: 'FINISH_REASON_UNSPECIFIED',
  /**
   * The model emitted one of its end-of-sequence tokens.
   */
  FINISH_REASON_STOP: 'FINISH_REASON_STOP',
  /**
   * The output reached one of the request's stop sequences.
   */
  FINISH_REASON_STOP_SEQUENCE: 'FINISH_REASON_STOP_SEQUENCE',
  /**
   * The output reached max_new_tokens.
   */
  FINISH_REASON_LENGTH: 'FINISH_REASON_LENGTH',
  /**
   * Prompt plus output reached the model's context length.
   */
  FINISH_REASON_CONTEXT_LENGTH: 'FINISH_REASON_CONTEXT_LENGTH',
  /**
   * The caller cancelled the request.
   */
  FINISH_REASON_CANCELLED: 'FINISH_REASON_CANCELLED',
} as const;

/**
 * Why generation stopped.
 */
export type FinishReason =
  /**
   * Not set (only in partial results).
   */
  | 'FINISH_REASON_UNSPECIFIED'
  | 0
  /**
   * The model emitted one of its end-of-sequence tokens.
   */
  | 'FINISH_REASON_STOP'
  | 1
  /**
   * The output reached one of the request's stop sequences.
   */
  | 'FINISH_REASON_STOP_SEQUENCE'
  | 2
  /**
   * The output reached max_new_tokens.
   */
  | 'FINISH_REASON_LENGTH'
  | 3
  /**
   * Prompt plus output reached the model's context length.
   */
  | 'FINISH_REASON_CONTEXT_LENGTH'
  | 4
  /**
   * The caller cancelled the request.
   */
  | 'FINISH_REASON_CANCELLED'
  | 5

/**
 * Why generation stopped.
 */
export type FinishReason__Output = typeof FinishReason[keyof typeof FinishReason]
