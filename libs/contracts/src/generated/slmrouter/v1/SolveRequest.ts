// Original file: proto/slmrouter/v1/router.proto

import type { Problem as _slmrouter_v1_Problem, Problem__Output as _slmrouter_v1_Problem__Output } from '../../slmrouter/v1/Problem';

/**
 * Request of Router.Solve.
 */
export interface SolveRequest {
  /**
   * The problem to solve.
   */
  'problem'?: (_slmrouter_v1_Problem | null);
}

/**
 * Request of Router.Solve.
 */
export interface SolveRequest__Output {
  /**
   * The problem to solve.
   */
  'problem': (_slmrouter_v1_Problem__Output | null);
}
