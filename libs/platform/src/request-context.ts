import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { requestIdProblem } from './request-id';

/**
 * What the edges know about the request being served, for the code below them: the transport-level
 * correlation id (an `x-request-id` header or gRPC metadata entry, else one generated here) and,
 * once routed, the domain. The access log line reads the domain back when the request ends.
 */
export interface RequestContext {
  /** The correlation id: the caller's valid `x-request-id`, else a generated UUID. */
  readonly requestId: string;
  /** The worker domain the request was routed to, once known. */
  domain?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (and everything it starts) with `context` as the current request. */
export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The request being served, or undefined outside one (startup, timers, queue jobs). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Notes the domain a request was routed to, for its access log line; a no-op outside a request. */
export function noteRequestDomain(domain: string): void {
  const context = storage.getStore();
  if (context) context.domain = domain;
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
