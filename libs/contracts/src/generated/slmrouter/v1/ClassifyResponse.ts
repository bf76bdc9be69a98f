// Original file: proto/slmrouter/v1/router.proto

import type { RouteDecision as _slmrouter_v1_RouteDecision, RouteDecision__Output as _slmrouter_v1_RouteDecision__Output } from '../../slmrouter/v1/RouteDecision';

/**
 * Response of Router.Classify.
 */
export interface ClassifyResponse {
  /**
   * The decision the router would take for this text, fallback policy applied.
   */
  'route'?: (_slmrouter_v1_RouteDecision | null);
}

/**
 * Response of Router.Classify.
 */
export interface ClassifyResponse__Output {
  /**
   * The decision the router would take for this text, fallback policy applied.
   */
  'route': (_slmrouter_v1_RouteDecision__Output | null);
}
