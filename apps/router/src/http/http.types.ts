import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '@slm/platform';

/** A request as the router's handlers, hooks and filters see it (Fastify's, with what the router adds). */
export type HttpRequest = FastifyRequest & {
  /** performance.now() when the request arrived (set by the request tracing hook). */
  receivedAt?: number;
  /** The request's correlation id and, once routed, its domain (set by the request tracing hook). */
  context?: RequestContext;
};

/** Fastify's reply; streaming answers (SSE, JSONL) write to its `raw` ServerResponse after `hijack()`. */
export type HttpResponse = FastifyReply;

/** The path of a request, without its query string. */
export function pathOf(req: { url?: string }): string {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
