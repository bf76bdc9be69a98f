// Original file: proto/slmrouter/v1/router.proto


/**
 * Request of Router.GetBatch.
 */
export interface GetBatchRequest {
  /**
   * The batch's id.
   */
  'batchId'?: (string);
}

/**
 * Request of Router.GetBatch.
 */
export interface GetBatchRequest__Output {
  /**
   * The batch's id.
   */
  'batchId': (string);
}
