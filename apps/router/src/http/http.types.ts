import type { IncomingMessage, ServerResponse } from 'node:http';

// The few Express request/response members the router uses (@types/express is not installed,
// and the router needs no more than these).

export type HttpRequest = IncomingMessage & {
  body?: unknown;
  ip?: string;
  path: string;
  query: Record<string, unknown>;
  /** performance.now() when the router began reading the request (set by the body reader). */
  receivedAt?: number;
};

export type HttpResponse = ServerResponse & {
  status(code: number): HttpResponse;
  json(body: unknown): void;
  setHeader(name: string, value: string | number | readonly string[]): HttpResponse;
};

export type NextFunction = (error?: unknown) => void;
