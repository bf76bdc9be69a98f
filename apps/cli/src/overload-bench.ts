import * as http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { loadProto, type WorkerDomain, envPrefixOf } from '@slm/contracts';

/** The domain the overload phase floods; its worker gets one slot and no queue (see {@link overloadBenchWorkerEnv}). */
const OVERLOAD_DOMAIN: WorkerDomain = 'science';

/** Options of {@link benchOverload}. */
export interface OverloadBenchOptions {
  /** Concurrent clients, half REST and half gRPC. Default 200. */
  clients?: number;
  /** Requests sent in all; at least two per client. Default 2000. */
  requests?: number;
}

/** The figures of the overload phase. */
export interface OverloadFigures {
  /** Median time to a "queue full" answer (HTTP 429 / RESOURCE_EXHAUSTED), ms. */
  overloadRejectP50Ms: number;
  /** p99 of the same, ms. */
  overloadRejectP99Ms: number;
  /** p99 of GET /healthz while the flood runs, ms. */
  overloadHealthzP99Ms: number;
  /** p99 of GET /readyz while the flood runs, ms. */
  overloadReadyzP99Ms: number;
  /** The flood: its size, its outcomes and how many answers a second the router gave. */
  overload: { clients: number; requests: number; served: number; rejected: number; failed: number; answersPerSecond: number };
}

/**
 * Worker variables for a bench whose router is flooded by {@link benchOverload}: the flooded
 * domain's worker takes one request at a time and queues none, so the instant engine is "full"
 * as soon as one call is open; the other domains get a queue no measured concurrency reaches, so
 * the latency phases measure routing, never admission.
 */
export function overloadBenchWorkerEnv(domain: WorkerDomain): Record<string, string> {
  const prefix = envPrefixOf(domain);
  return domain === OVERLOAD_DOMAIN
    ? { [`${prefix}MAX_CONCURRENCY`]: '1', [`${prefix}MAX_QUEUE`]: '0' }
    : { [`${prefix}MAX_QUEUE`]: '100000' };
}

type Outcome = 'served' | 'rejected' | 'failed';

function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const value = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return Math.round(value * 1000) / 1000;
}

function request(agent: http.Agent, port: number, method: 'GET' | 'POST', path: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const req = http.request({ host: '127.0.0.1', port, path, method, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * `slm bench router`'s overload phase: `clients` callers flood one domain whose every replica is
 * at capacity, while a prober asks /healthz and /readyz one after another. Reports how fast
 * "queue full" comes back (the router refuses without a worker round trip) and how the health
 * endpoints hold up (they answer from state, never from calls).
 */
export async function benchOverload(
  ports: { httpPort: number; grpcPort: number },
  options: OverloadBenchOptions = {},
): Promise<OverloadFigures> {
  const clients = options.clients ?? 200;
  const total = Math.max(options.requests ?? 2000, clients * 2);
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const router = new (loadProto().slmrouter.v1.Router)(`127.0.0.1:${ports.grpcPort}`, grpc.credentials.createInsecure());
  const body = JSON.stringify({ text: 'Why is the sky blue? Explain Rayleigh scattering.', domain: OVERLOAD_DOMAIN });
  const viaRest = async (): Promise<Outcome> => {
    const status = await request(agent, ports.httpPort, 'POST', '/v1/solve', body);
    return status === 200 ? 'served' : status === 429 ? 'rejected' : 'failed';
  };
  const viaGrpc = (): Promise<Outcome> =>
    new Promise((resolve) =>
      router.solve(
        { problem: { text: 'Why is the sky blue?', domainOverride: 'DOMAIN_SCIENCE' } },
        { deadline: Date.now() + 30_000 },
        (error: grpc.ServiceError | null) =>
          resolve(!error ? 'served' : error.code === grpc.status.RESOURCE_EXHAUSTED ? 'rejected' : 'failed'),
      ),
    );
  const rejectMs: number[] = [];
  const healthzMs: number[] = [];
  const readyzMs: number[] = [];
  const counts = { served: 0, rejected: 0, failed: 0 };
  let sent = 0;
  let flooding = true;
  // Closed loop: every client waits for its answer before the next call, so a rejection's latency is
  // clients / the router's answer rate (Little's law); the rate is reported beside it.
  let floodSeconds = 0;
  try {
    const probe = async () => {
      // At least one probe of each, even when the flood is over before the prober's first turn.
      do {
        for (const [path, samples] of [
          ['/healthz', healthzMs],
          ['/readyz', readyzMs],
        ] as const) {
          const t0 = performance.now();
          await request(probeAgent, ports.httpPort, 'GET', path);
          samples.push(performance.now() - t0);
        }
      } while (flooding);
    };
    const flood = async () => {
      const started = performance.now();
      await Promise.all(
        Array.from({ length: clients }, async (_, client) => {
          while (sent < total) {
            sent++;
            const t0 = performance.now();
            const outcome = await (client % 2 === 0 ? viaRest() : viaGrpc()).catch((): Outcome => 'failed');
            if (outcome === 'rejected') rejectMs.push(performance.now() - t0);
            counts[outcome]++;
          }
        }),
      );
      floodSeconds = (performance.now() - started) / 1000;
      flooding = false;
    };
    await Promise.all([flood(), probe()]);
  } finally {
    router.close();
    agent.destroy();
    probeAgent.destroy();
  }
  return {
    overloadRejectP50Ms: percentile(rejectMs, 0.5),
    overloadRejectP99Ms: percentile(rejectMs, 0.99),
    overloadHealthzP99Ms: percentile(healthzMs, 0.99),
    overloadReadyzP99Ms: percentile(readyzMs, 0.99),
    overload: { clients, requests: total, ...counts, answersPerSecond: Math.round(total / floodSeconds) },
  };
}
