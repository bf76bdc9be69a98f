// Original file: proto/slmrouter/v1/router.proto

import type { BatchStatus as _slmrouter_v1_BatchStatus, BatchStatus__Output as _slmrouter_v1_BatchStatus__Output } from '../../slmrouter/v1/BatchStatus';
import type { BatchItem as _slmrouter_v1_BatchItem, BatchItem__Output as _slmrouter_v1_BatchItem__Output } from '../../slmrouter/v1/BatchItem';

/**
 * One event of Router.WatchBatch.
 */
export interface WatchBatchResponse {
  /**
   * Progress, sent when counts change; the last event carries a final state.
   */
  'status'?: (_slmrouter_v1_BatchStatus | null);
  /**
   * A finished problem.
   */
  'item'?: (_slmrouter_v1_BatchItem | null);
  /**
   * The event.
   */
  'event'?: "status"|"item";
}

/**
 * One event of Router.WatchBatch.
 */
export interface WatchBatchResponse__Output {
  /**
   * Progress, sent when counts change; the last event carries a final state.
   */
  'status'?: (_slmrouter_v1_BatchStatus__Output | null);
  /**
   * A finished problem.
   */
  'item'?: (_slmrouter_v1_BatchItem__Output | null);
  /**
   * The event.
   */
  'event'?: "status"|"item";
}
