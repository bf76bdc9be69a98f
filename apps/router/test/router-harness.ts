import { randomUUID } from 'node:crypto';
import { WORKER_DOMAINS, addressesVariableOf, type WorkerDomain } from '@slm/contracts';
import { loadRouterConfig, type RouterConfig } from '../src/config/router.config';
import { startRouter, type RunningRouter, type StartRouterOptions } from '../src/router.app';
import { FakeWorker } from './fake-worker';
import { KeywordClassifier } from './keyword-classifier';

/** A router on free ports in front of one fake worker per domain, with a private queue prefix. */
export interface Harness {
  router: RunningRouter;
  config: RouterConfig;
  workers: Record<WorkerDomain, FakeWorker>;
  base: string;
  prefix: string;
  close(): Promise<void>;
}

export async function startHarness(
  env: Record<string, string> = {},
  extraWorkers: Partial<Record<WorkerDomain, string[]>> = {},
  /** More of startRouter's options (a worker host resolver…). */
  options: StartRouterOptions = {},
): Promise<Harness> {
  const workers = Object.fromEntries(
    await Promise.all(WORKER_DOMAINS.map(async (d) => [d, await new FakeWorker(d).start()] as const)),
  ) as Record<WorkerDomain, FakeWorker>;
  const prefix = env.QUEUE_PREFIX ?? `t${randomUUID().slice(0, 8)}`;
  const addresses = (d: WorkerDomain) => [...(extraWorkers[d] ?? []), workers[d].address].join(',');
  const config = loadRouterConfig({
    ROUTER_HTTP_PORT: '0',
    ROUTER_GRPC_PORT: '0',
    ROUTER_HOST: '127.0.0.1',
    REDIS_URL: process.env.REDIS_URL,
    QUEUE_PREFIX: prefix,
    ...Object.fromEntries(WORKER_DOMAINS.map((d) => [addressesVariableOf(d), addresses(d)])),
    ROUTER_HEALTH_INTERVAL_MS: '200',
    ROUTER_FALLBACK: 'domain:science',
    // Tests watch replicas' load through /readyz?verbose=true.
    ROUTER_READYZ_DETAILS: 'true',
    ...env,
  });
  const router = await startRouter(config, new KeywordClassifier(), { logLevels: ['error', 'warn'], ...options }).catch(
    (error: unknown) => {
      // A router that fails to start (a test of that) must not leave the fake workers serving.
      for (const worker of Object.values(workers)) worker.stop();
      throw error;
    },
  );
  return {
    router,
    config,
    workers,
    prefix,
    base: `http://127.0.0.1:${router.httpPort}`,
    close: async () => {
      await router.close();
      for (const worker of Object.values(workers)) worker.stop();
    },
  };
}

/** Parses a server-sent-events body into events. */
export function parseSse(body: string): { event: string; data: string }[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data };
    });
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** GET a JSON document. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function getJson(url: string): Promise<{ status: number; json: any }> {
  const res = await fetch(url);
  return { status: res.status, json: await res.json() };
}

/**
 * Waits (up to 10 s) until the router's /readyz is 200: its Redis connections are up and every domain
 * has a serving replica. A router answers batch routes 503 until Redis is connected.
 */
export async function untilReady(h: Harness): Promise<void> {
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 50))) {
    if ((await getJson(`${h.base}/readyz`)).status === 200) return;
  }
  throw new Error(`router at ${h.base} not ready within 10 s`);
}

/** The status of a batch once it is no longer running, or its last status when `ms` ran out. */
export async function batchStatusWhenDone(h: Harness, batchId: string, ms = 20_000): Promise<Record<string, unknown>> {
  let status: Record<string, unknown> = {};
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 50))) {
    status = (await getJson(`${h.base}/v1/batches/${batchId}`)).json.status;
    if (status['state'] !== 'BATCH_STATE_RUNNING') break;
  }
  return status;
}
