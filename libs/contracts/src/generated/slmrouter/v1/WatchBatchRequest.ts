// Original file: proto/slmrouter/v1/router.proto


/**
 * Request of Router.WatchBatch.
 */
export interface WatchBatchRequest {
  /**
   * The batch's id.
   */
  'batchId'?: (string);
  /**
   * Send results from this input index on (to resume a broken watch); 0 = from the start.
   */
  'fromIndex'?: (number);
}

/**
 * Request of Router.WatchBatch.
 */
export interface WatchBatchRequest__Output {
  /**
   * The batch's id.
   */
  'batchId': (string);
  /**
   * Send results from this input index on (to resume a broken watch); 0 = from the start.
   */
  'fromIndex': (number);
}
