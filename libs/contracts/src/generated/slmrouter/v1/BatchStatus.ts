// Original file: proto/slmrouter/v1/router.proto

import type { BatchState as _slmrouter_v1_BatchState, BatchState__Output as _slmrouter_v1_BatchState__Output } from '../../slmrouter/v1/BatchState';
import type { BatchCounts as _slmrouter_v1_BatchCounts, BatchCounts__Output as _slmrouter_v1_BatchCounts__Output } from '../../slmrouter/v1/BatchCounts';
import type { DomainCounts as _slmrouter_v1_DomainCounts, DomainCounts__Output as _slmrouter_v1_DomainCounts__Output } from '../../slmrouter/v1/DomainCounts';

/**
 * A batch's state and progress.
 */
export interface BatchStatus {
  /**
   * The batch's id.
   */
  'batchId'?: (string);
  /**
   * Lifecycle state.
   */
  'state'?: (_slmrouter_v1_BatchState);
  /**
   * Number of problems.
   */
  'total'?: (number);
  /**
   * Problems per state.
   */
  'counts'?: (_slmrouter_v1_BatchCounts | null);
  /**
   * Problems per domain and state.
   */
  'byDomain'?: (_slmrouter_v1_DomainCounts)[];
  /**
   * Fraction of problems finished (completed, failed or cancelled), in [0, 1].
   */
  'progress'?: (number | string);
  /**
   * Submission time, milliseconds since the Unix epoch.
   */
  'createdAtMs'?: (number | string);
  /**
   * The batch's metadata.
   */
  'metadata'?: ({[key: string]: string});
}

/**
 * A batch's state and progress.
 */
export interface BatchStatus__Output {
  /**
   * The batch's id.
   */
  'batchId': (string);
  /**
   * Lifecycle state.
   */
  'state': (_slmrouter_v1_BatchState__Output);
  /**
   * Number of problems.
   */
  'total': (number);
  /**
   * Problems per state.
   */
  'counts': (_slmrouter_v1_BatchCounts__Output | null);
  /**
   * Problems per domain and state.
   */
  'byDomain': (_slmrouter_v1_DomainCounts__Output)[];
  /**
   * Fraction of problems finished (completed, failed or cancelled), in [0, 1].
   */
  'progress': (number);
  /**
   * Submission time, milliseconds since the Unix epoch.
   */
  'createdAtMs': (number);
  /**
   * The batch's metadata.
   */
  'metadata': ({[key: string]: string});
}
