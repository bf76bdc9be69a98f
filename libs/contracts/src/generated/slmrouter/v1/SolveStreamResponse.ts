// Original file: proto/slmrouter/v1/router.proto

import type { RouteDecision as _slmrouter_v1_RouteDecision, RouteDecision__Output as _slmrouter_v1_RouteDecision__Output } from '../../slmrouter/v1/RouteDecision';
import type { TokenDelta as _slmrouter_v1_TokenDelta, TokenDelta__Output as _slmrouter_v1_TokenDelta__Output } from '../../slmrouter/v1/TokenDelta';
import type { Result as _slmrouter_v1_Result, Result__Output as _slmrouter_v1_Result__Output } from '../../slmrouter/v1/Result';

/**
 * One event of Router.SolveStream: the route first, then deltas, then exactly one result.
 */
export interface SolveStreamResponse {
  /**
   * The routing decision, sent before any text.
   */
  'route'?: (_slmrouter_v1_RouteDecision | null);
  /**
   * Newly generated text, marked reasoning or answer.
   */
  'delta'?: (_slmrouter_v1_TokenDelta | null);
  /**
   * The final outcome; the last event of the stream.
   */
  'result'?: (_slmrouter_v1_Result | null);
  /**
   * The event.
   */
  'event'?: "route"|"delta"|"result";
}

/**
 * One event of Router.SolveStream: the route first, then deltas, then exactly one result.
 */
export interface SolveStreamResponse__Output {
  /**
   * The routing decision, sent before any text.
   */
  'route'?: (_slmrouter_v1_RouteDecision__Output | null);
  /**
   * Newly generated text, marked reasoning or answer.
   */
  'delta'?: (_slmrouter_v1_TokenDelta__Output | null);
  /**
   * The final outcome; the last event of the stream.
   */
  'result'?: (_slmrouter_v1_Result__Output | null);
  /**
   * The event.
   */
  'event'?: "route"|"delta"|"result";
}
