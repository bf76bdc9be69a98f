// Original file: proto/slmrouter/v1/router.proto


/**
 * Request of Router.CancelBatch.
 */
export interface CancelBatchRequest {
  /**
   * The batch's id.
   */
  'batchId'?: (string);
}

/**
 * Request of Router.CancelBatch.
 */
export interface CancelBatchRequest__Output {
  /**
   * The batch's id.
   */
  'batchId': (string);
}
