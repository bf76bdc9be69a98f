// Original file: proto/slmrouter/v1/worker.proto

import type { Result as _slmrouter_v1_Result, Result__Output as _slmrouter_v1_Result__Output } from '../../slmrouter/v1/Result';

/**
 * Response of Worker.Generate.
 */
export interface GenerateResponse {
  /**
   * The outcome.
   */
  'result'?: (_slmrouter_v1_Result | null);
}

/**
 * Response of Worker.Generate.
 */
export interface GenerateResponse__Output {
  /**
   * The outcome.
   */
  'result': (_slmrouter_v1_Result__Output | null);
}
