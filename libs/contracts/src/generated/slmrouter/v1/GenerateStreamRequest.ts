// Original file: proto/slmrouter/v1/worker.proto

import type { Problem as _slmrouter_v1_Problem, Problem__Output as _slmrouter_v1_Problem__Output } from '../../slmrouter/v1/Problem';
import type { RouteDecision as _slmrouter_v1_RouteDecision, RouteDecision__Output as _slmrouter_v1_RouteDecision__Output } from '../../slmrouter/v1/RouteDecision';

/**
 * Request of Worker.GenerateStream.
 */
export interface GenerateStreamRequest {
  /**
   * The problem to solve; its domain_override is ignored (a worker serves one domain). Its
   * request_id, when set, and the call's x-request-id metadata, which the worker uses when the
   * problem has none, must be 1 to 128 characters from A-Z a-z 0-9 . _ : - (INVALID_ARGUMENT).
   */
  'problem'?: (_slmrouter_v1_Problem | null);
  /**
   * A route decision to echo in the result. The router leaves it unset (it puts its own decision
   * in the result it answers); unset when a client calls the worker directly too.
   */
  'route'?: (_slmrouter_v1_RouteDecision | null);
}

/**
 * Request of Worker.GenerateStream.
 */
export interface GenerateStreamRequest__Output {
  /**
   * The problem to solve; its domain_override is ignored (a worker serves one domain). Its
   * request_id, when set, and the call's x-request-id metadata, which the worker uses when the
   * problem has none, must be 1 to 128 characters from A-Z a-z 0-9 . _ : - (INVALID_ARGUMENT).
   */
  'problem': (_slmrouter_v1_Problem__Output | null);
  /**
   * A route decision to echo in the result. The router leaves it unset (it puts its own decision
   * in the result it answers); unset when a client calls the worker directly too.
   */
  'route': (_slmrouter_v1_RouteDecision__Output | null);
}
