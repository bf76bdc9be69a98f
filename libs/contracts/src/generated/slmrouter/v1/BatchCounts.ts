// Original file: proto/slmrouter/v1/router.proto


/**
 * Counts of a batch's problems per state.
 */
export interface BatchCounts {
  /**
   * Waiting in a queue.
   */
  'queued'?: (number);
  /**
   * Being solved.
   */
  'active'?: (number);
  /**
   * Solved.
   */
  'completed'?: (number);
  /**
   * Failed for good (after retries).
   */
  'failed'?: (number);
  /**
   * Removed by a cancellation.
   */
  'cancelled'?: (number);
}

/**
 * Counts of a batch's problems per state.
 */
export interface BatchCounts__Output {
  /**
   * Waiting in a queue.
   */
  'queued': (number);
  /**
   * Being solved.
   */
  'active': (number);
  /**
   * Solved.
   */
  'completed': (number);
  /**
   * Failed for good (after retries).
   */
  'failed': (number);
  /**
   * Removed by a cancellation.
   */
  'cancelled': (number);
}
