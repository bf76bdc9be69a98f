// Original file: proto/slmrouter/v1/router.proto

import type { Result as _slmrouter_v1_Result, Result__Output as _slmrouter_v1_Result__Output } from '../../slmrouter/v1/Result';

/**
 * The outcome of one problem of a batch.
 */
export interface BatchItem {
  /**
   * Position of the problem in the submitted batch, from 0.
   */
  'index'?: (number);
  /**
   * The result, when the problem was solved.
   */
  'result'?: (_slmrouter_v1_Result | null);
  /**
   * Error code when the problem failed or was cancelled; empty on success.
   */
  'errorCode'?: (string);
  /**
   * Error message when the problem failed or was cancelled; empty on success.
   */
  'errorMessage'?: (string);
}

/**
 * The outcome of one problem of a batch.
 */
export interface BatchItem__Output {
  /**
   * Position of the problem in the submitted batch, from 0.
   */
  'index': (number);
  /**
   * The result, when the problem was solved.
   */
  'result': (_slmrouter_v1_Result__Output | null);
  /**
   * Error code when the problem failed or was cancelled; empty on success.
   */
  'errorCode': (string);
  /**
   * Error message when the problem failed or was cancelled; empty on success.
   */
  'errorMessage': (string);
}
