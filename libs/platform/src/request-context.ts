import { randomUUID } from 'node:crypto';
import { requestIdProblem } from './request-id';

/**
 * What the edges know about the request being served, for the code below them: the transport-level
 * correlation id (an `x-request-id` header or gRPC metadata entry, else one generated here) and,
 * once routed, the domain. The access log line reads the domain back when the request ends.
 *
 * Passed by hand (the edge keeps it beside the request; handlers hand it to the services), not held in an
 * AsyncLocalStorage: on Node 20 one enabled storage puts a hook on every promise of the process, and
 * that cost 6–10 % of the router's CPU a request (docs/benchmarks.md, "The async context's price").
 */
export interface RequestContext {
  /** The correlation id: the caller's valid `x-request-id`, else a generated UUID. */
  readonly requestId: string;
  /** The worker domain the request was routed to, once known. */
  domain?: string;
}

/**
 * The correlation id of an incoming request from the caller's `x-request-id` value: that value when
 * it follows the request id rule, else a fresh UUID, with `problem` saying what is wrong with the
 * caller's value (the edge refuses the request: 400 / INVALID_ARGUMENT). Absent → a UUID, no problem.
 */
export function correlationIdOf(value: unknown): { requestId: string; problem?: string } {
  if (value === undefined || value === null) return { requestId: randomUUID() };
  const text = Array.isArray(value) ? value.join(', ') : String(value);
  const problem = requestIdProblem(text);
  return problem ? { requestId: randomUUID(), problem } : { requestId: text };
}
