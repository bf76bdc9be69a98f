// Original file: proto/slmrouter/v1/router.proto

/**
 * Lifecycle of a batch.
 */
export const BatchState = {
  /**
   * Not set.
   */
  BATCH_STATE_UNSPECIFIED: 'BATCH_STATE_UNSPECIFIED',
  /**
   * Problems are waiting or running.
   */
  BATCH_STATE_RUNNING: 'BATCH_STATE_RUNNING',
  /**
   * Every problem has a result or an error.
   */
  BATCH_STATE_COMPLETED: 'BATCH_STATE_COMPLETED',
  /**
   * The batch was cancelled.
   */
  BATCH_STATE_CANCELLED: 'BATCH_STATE_CANCELLED',
} as const;

/**
 * Lifecycle of a batch.
 */
export type BatchState =
  /**
   * Not set.
   */
  | 'BATCH_STATE_UNSPECIFIED'
  | 0
  /**
   * Problems are waiting or running.
   */
  | 'BATCH_STATE_RUNNING'
  | 1
  /**
   * Every problem has a result or an error.
   */
  | 'BATCH_STATE_COMPLETED'
  | 2
  /**
   * The batch was cancelled.
   */
  | 'BATCH_STATE_CANCELLED'
  | 3

/**
 * Lifecycle of a batch.
 */
export type BatchState__Output = typeof BatchState[keyof typeof BatchState]
