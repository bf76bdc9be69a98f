// Original file: proto/slmrouter/v1/router.proto

import type { Result as _slmrouter_v1_Result, Result__Output as _slmrouter_v1_Result__Output } from '../../slmrouter/v1/Result';

/**
 * Response of Router.Solve.
 */
export interface SolveResponse {
  /**
   * The outcome, route decision included.
   */
  'result'?: (_slmrouter_v1_Result | null);
}

/**
 * Response of Router.Solve.
 */
export interface SolveResponse__Output {
  /**
   * The outcome, route decision included.
   */
  'result': (_slmrouter_v1_Result__Output | null);
}
