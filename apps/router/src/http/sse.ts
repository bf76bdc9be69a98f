import { principalOf } from '../tenancy/tenants';
import type { HttpRequest, HttpResponse } from './http.types';

/** Starts a server-sent-events answer (no buffering by proxies). */
export function startSse(res: HttpResponse, headers: Record<string, string> = {}): void {
  res.status(200);
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache');
  res.setHeader('x-accel-buffering', 'no');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.flushHeaders();
}

/** Writes one event; a named event (`event: delta`) or a bare `data:` line (OpenAI's style). */
export function writeSse(res: HttpResponse, data: unknown, event?: string): void {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  res.write(`${event ? `event: ${event}\n` : ''}data: ${payload}\n\n`);
}

/** True when the caller asked for a stream with its Accept header. */
export function wantsEventStream(req: HttpRequest): boolean {
  return String(req.headers.accept ?? '').includes('text/event-stream');
}

/** Who the caller is, for access lines: its limit bucket (API key, else address) once authenticated, else its address. */
export function clientOf(req: HttpRequest): string {
  return principalOf(req)?.bucket ?? `ip:${req.socket.remoteAddress ?? 'unknown'}`;
}

/** An AbortSignal fired when the caller closes the connection before the answer ends. */
export function abortOnClose(res: HttpResponse): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
