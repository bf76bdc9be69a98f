// Original file: proto/slmrouter/v1/router.proto


/**
 * Response of Router.SubmitBatch.
 */
export interface SubmitBatchResponse {
  /**
   * The batch's id.
   */
  'batchId'?: (string);
  /**
   * Number of problems accepted.
   */
  'total'?: (number);
  /**
   * True when the idempotency key matched an earlier batch, which is returned instead.
   */
  'deduplicated'?: (boolean);
}

/**
 * Response of Router.SubmitBatch.
 */
export interface SubmitBatchResponse__Output {
  /**
   * The batch's id.
   */
  'batchId': (string);
  /**
   * Number of problems accepted.
   */
  'total': (number);
  /**
   * True when the idempotency key matched an earlier batch, which is returned instead.
   */
  'deduplicated': (boolean);
}
