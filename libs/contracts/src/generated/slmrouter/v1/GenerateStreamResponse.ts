// Original file: proto/slmrouter/v1/worker.proto

import type { TokenDelta as _slmrouter_v1_TokenDelta, TokenDelta__Output as _slmrouter_v1_TokenDelta__Output } from '../../slmrouter/v1/TokenDelta';
import type { Result as _slmrouter_v1_Result, Result__Output as _slmrouter_v1_Result__Output } from '../../slmrouter/v1/Result';

/**
 * One event of Worker.GenerateStream: zero or more deltas, then exactly one result.
 */
export interface GenerateStreamResponse {
  /**
   * Newly generated text.
   */
  'delta'?: (_slmrouter_v1_TokenDelta | null);
  /**
   * The final outcome; the last event of the stream.
   */
  'result'?: (_slmrouter_v1_Result | null);
  /**
   * The event.
   */
  'event'?: "delta"|"result";
}

/**
 * One event of Worker.GenerateStream: zero or more deltas, then exactly one result.
 */
export interface GenerateStreamResponse__Output {
  /**
   * Newly generated text.
   */
  'delta'?: (_slmrouter_v1_TokenDelta__Output | null);
  /**
   * The final outcome; the last event of the stream.
   */
  'result'?: (_slmrouter_v1_Result__Output | null);
  /**
   * The event.
   */
  'event'?: "delta"|"result";
}
