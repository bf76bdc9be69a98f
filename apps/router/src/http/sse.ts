import type { ServerResponse } from 'node:http';
import { principalOf } from '../tenancy/tenants';
import type { HttpRequest, HttpResponse } from './http.types';

/**
 * Starts a server-sent-events answer (no buffering by proxies): the reply is hijacked, so the
 * events are written to the raw response and Fastify sends nothing after them.
 */
export function startSse(reply: HttpResponse, headers: Record<string, string> = {}): void {
  const res = startRaw(reply, 200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    ...headers,
  });
  res.flushHeaders();
}

/**
 * Takes the raw response of a streamed answer (SSE, JSONL): the reply is hijacked, and the headers
 * set on it so far go out with the status and these.
 */
export function startRaw(reply: HttpResponse, status: number, headers: Record<string, string>): ServerResponse {
  const pending = reply.getHeaders();
  reply.hijack();
  const res = reply.raw;
  res.statusCode = status;
  for (const [name, value] of Object.entries(pending))
    if (value !== undefined) res.setHeader(name, value as string | number | readonly string[]);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  return res;
}

/** Writes one event; a named event (`event: delta`) or a bare `data:` line (OpenAI's style). */
export function writeSse(reply: HttpResponse, data: unknown, event?: string): void {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  reply.raw.write(`${event ? `event: ${event}\n` : ''}data: ${payload}\n\n`);
}

/** True when the caller asked for a stream with its Accept header. */
export function wantsEventStream(req: HttpRequest): boolean {
  return String(req.headers.accept ?? '').includes('text/event-stream');
}

/** Who the caller is, for access lines: its limit bucket (API key, else address) once authenticated, else its address. */
export function clientOf(req: HttpRequest | undefined, socketAddress?: string): string {
  return principalOf(req)?.bucket ?? `ip:${req?.socket.remoteAddress ?? socketAddress ?? 'unknown'}`;
}

/** An AbortSignal fired when the caller closes the connection before the answer ends. */
export function abortOnClose(reply: HttpResponse): AbortSignal {
  const controller = new AbortController();
  const res = reply.raw;
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
