// Original file: proto/slmrouter/v1/common.proto

import type { Domain as _slmrouter_v1_Domain, Domain__Output as _slmrouter_v1_Domain__Output } from '../../slmrouter/v1/Domain';

/**
 * One class's probability in a routing decision.
 */
export interface ClassScore {
  /**
   * The class.
   */
  'domain'?: (_slmrouter_v1_Domain);
  /**
   * Calibrated probability in [0, 1]; the scores of one decision sum to 1.
   */
  'probability'?: (number | string);
}

/**
 * One class's probability in a routing decision.
 */
export interface ClassScore__Output {
  /**
   * The class.
   */
  'domain': (_slmrouter_v1_Domain__Output);
  /**
   * Calibrated probability in [0, 1]; the scores of one decision sum to 1.
   */
  'probability': (number);
}
