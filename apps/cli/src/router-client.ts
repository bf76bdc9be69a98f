import { Option } from 'commander';

/**
 * The router URL when `--url` is not given, from the variables `npm start` / `slm up` use:
 * `SLM_ROUTER_URL`, else the local router on `ROUTER_HTTP_PORT` (default 8080).
 */
export function defaultRouterUrl(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const url = env.SLM_ROUTER_URL?.trim();
  if (url) return url;
  return `http://127.0.0.1:${env.ROUTER_HTTP_PORT?.trim() || '8080'}`;
}

/** The `--url` option of every command that talks to a running router. */
export const routerUrlOption = (): Option =>
  new Option('--url <url>', 'router base URL; unset: $SLM_ROUTER_URL, else http://127.0.0.1:$ROUTER_HTTP_PORT').default(defaultRouterUrl());

/** A router answer that is not 2xx, as one line: `HTTP 422 ROUTE_REJECTED: …`. */
async function failure(res: Response): Promise<Error> {
  const text = await res.text();
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    return new Error(`HTTP ${res.status} ${error.code}: ${error.message}`);
  } catch {
    return new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
}

/** fetch() on the router: an unreachable router and a non-2xx answer become one-line errors. */
export async function callRouter(url: string, init?: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (error) {
    throw new Error(
      `cannot reach the router at ${new URL(url).origin} (${(error as Error).cause ? String((error as { cause: unknown }).cause) : (error as Error).message}); is \`slm serve router\` running?`,
      { cause: error },
    );
  }
  if (!res.ok) throw await failure(res);
  return res;
}
