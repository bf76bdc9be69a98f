// Original file: proto/slmrouter/v1/router.proto

import type { BatchStatus as _slmrouter_v1_BatchStatus, BatchStatus__Output as _slmrouter_v1_BatchStatus__Output } from '../../slmrouter/v1/BatchStatus';

/**
 * Response of Router.GetBatch.
 */
export interface GetBatchResponse {
  /**
   * The batch's state and progress.
   */
  'status'?: (_slmrouter_v1_BatchStatus | null);
}

/**
 * Response of Router.GetBatch.
 */
export interface GetBatchResponse__Output {
  /**
   * The batch's state and progress.
   */
  'status': (_slmrouter_v1_BatchStatus__Output | null);
}
