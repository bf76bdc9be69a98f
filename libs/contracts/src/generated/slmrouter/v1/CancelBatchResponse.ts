// Original file: proto/slmrouter/v1/router.proto

import type { BatchStatus as _slmrouter_v1_BatchStatus, BatchStatus__Output as _slmrouter_v1_BatchStatus__Output } from '../../slmrouter/v1/BatchStatus';

/**
 * Response of Router.CancelBatch.
 */
export interface CancelBatchResponse {
  /**
   * The batch's state after cancelling.
   */
  'status'?: (_slmrouter_v1_BatchStatus | null);
}

/**
 * Response of Router.CancelBatch.
 */
export interface CancelBatchResponse__Output {
  /**
   * The batch's state after cancelling.
   */
  'status': (_slmrouter_v1_BatchStatus__Output | null);
}
