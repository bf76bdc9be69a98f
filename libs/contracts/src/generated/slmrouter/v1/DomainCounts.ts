// Original file: proto/slmrouter/v1/router.proto

import type { Domain as _slmrouter_v1_Domain, Domain__Output as _slmrouter_v1_Domain__Output } from '../../slmrouter/v1/Domain';
import type { BatchCounts as _slmrouter_v1_BatchCounts, BatchCounts__Output as _slmrouter_v1_BatchCounts__Output } from '../../slmrouter/v1/BatchCounts';

/**
 * Counts for one domain of a batch.
 */
export interface DomainCounts {
  /**
   * The domain.
   */
  'domain'?: (_slmrouter_v1_Domain);
  /**
   * Its problems per state.
   */
  'counts'?: (_slmrouter_v1_BatchCounts | null);
}

/**
 * Counts for one domain of a batch.
 */
export interface DomainCounts__Output {
  /**
   * The domain.
   */
  'domain': (_slmrouter_v1_Domain__Output);
  /**
   * Its problems per state.
   */
  'counts': (_slmrouter_v1_BatchCounts__Output | null);
}
