import * as grpc from '@grpc/grpc-js';
import { loadProto, envPrefixOf } from '@slm/contracts';
import { startBenchStack, type BenchStack } from './bench-stack';
import { closedLoop, loadFigures, roundMs, type LoadFigures } from './closed-loop';

/** Options of {@link benchSlowReplica}. */
export interface SlowReplicaBenchOptions {
  /** An existing Redis (the stacks' queues stay idle here); a private redis-server per stack when unset. */
  redisUrl?: string;
  /** Requests measured per case, over all rounds. Default 2000. */
  requests?: number;
  /** Concurrent clients. Default 16. */
  clients?: number;
  /** What the slow replica adds to each request, ms (its worker pauses after each of the instant engine's two chunks). Default 100. */
  delayMs?: number;
  /** Rounds per case, interleaved, so that the machine's load drifts over both alike. Default 4. */
  rounds?: number;
}

/** Latency of one case, ms. */
export interface CaseFigures extends LoadFigures {
  /** The share of the requests the slow replica answered (from the router's per-replica token counter); absent when not measurable. */
  slowReplicaShare?: number;
}

/** The figures of the slow-replica phase. */
export interface SlowReplicaFigures {
  slowReplica: { clients: number; requests: number; rounds: number; slowDelayMs: number; threeFast: CaseFigures; oneSlow: CaseFigures };
  /** p99 with one slow replica among three over p99 with three fast ones (load-aware dispatch keeps it near 1). */
  slowReplicaP99Ratio: number;
}

interface Case {
  stack: BenchStack;
  router: InstanceType<ReturnType<typeof loadProto>['slmrouter']['v1']['Router']>;
  /** The replica made slow (the oneSlow case only). */
  slowAddress?: string;
  latencies: number[];
  seconds: number;
  tokens: { slow: number; all: number };
}

/**
 * The load-aware dispatch, measured: two routers, each in front of three math replicas on the instant
 * engine, all fast behind one and one `delayMs` slower behind the other, loaded by `clients` gRPC
 * callers in interleaved rounds; the ratio of the two p99 latencies. Round robin would send a third
 * of the requests to the slow replica and raise p99 by its delay.
 */
export async function benchSlowReplica(options: SlowReplicaBenchOptions, log: (line: string) => void): Promise<SlowReplicaFigures> {
  const requests = options.requests ?? 2000;
  const clients = options.clients ?? 16;
  const delayMs = options.delayMs ?? 100;
  const rounds = options.rounds ?? 4;
  const slowEnv = { MATH_WORKER_INSTANT_LATENCY_MS: String(delayMs) };
  const cases: Case[] = [];
  try {
    cases.push(await startCase(options.redisUrl, [{}, {}]));
    cases.push(await startCase(options.redisUrl, [{}, slowEnv]));
    for (const c of cases) await run(c, clients, Math.min(200, requests), false);
    for (let r = 0; r < rounds; r++) for (const c of cases) await run(c, clients, Math.ceil(requests / rounds), true);
  } finally {
    for (const c of cases) {
      c.router.close();
      c.stack.close();
    }
  }
  const [threeFast, oneSlow] = cases.map(figuresOf) as [CaseFigures, CaseFigures];
  log(
    `slow replica: p99 ${threeFast.p99Ms} ms with three fast replicas, ${oneSlow.p99Ms} ms with one +${delayMs} ms (it answered ${oneSlow.slowReplicaShare ?? '?'} of the requests)`,
  );
  return {
    slowReplica: { clients, requests, rounds, slowDelayMs: delayMs, threeFast, oneSlow },
    slowReplicaP99Ratio: roundMs(oneSlow.p99Ms / threeFast.p99Ms),
  };
}

/** A stack with three math replicas (the first plus `extra`; the last of them is the slow one when it has an environment). */
async function startCase(redisUrl: string | undefined, extra: Record<string, string>[]): Promise<Case> {
  const stack = await startBenchStack({
    redisUrl,
    prefixStem: 'slow',
    // Only gRPC is measured: no queue consumers.
    workerEnv: (domain) => ({ [`${envPrefixOf(domain)}QUEUE`]: 'false' }),
    extraReplicas: { math: extra },
    routerEnv: { ROUTER_MAX_CONCURRENT_PER_CLIENT: '10000', ROUTER_FALLBACK: 'domain:math' },
  });
  const router = new (loadProto().slmrouter.v1.Router)(`127.0.0.1:${stack.grpcPort}`, grpc.credentials.createInsecure());
  const slowAddress = Object.keys(extra.at(-1) ?? {}).length > 0 ? stack.replicaAddresses.math.at(-1) : undefined;
  return { stack, router, slowAddress, latencies: [], seconds: 0, tokens: { slow: 0, all: 0 } };
}

async function run(c: Case, clients: number, total: number, record: boolean): Promise<void> {
  const solve = (i: number) =>
    new Promise<void>((resolve, reject) =>
      c.router.solve(
        { problem: { text: `Solve 3x + ${i % 97} = 20 for x.`, domainOverride: 'DOMAIN_MATH', options: { maxNewTokens: 16 } } },
        { deadline: Date.now() + 30_000 },
        (error: grpc.ServiceError | null) => (error ? reject(error) : resolve()),
      ),
    );
  const before = await mathTokens(c);
  const { latencies, seconds } = await closedLoop(clients, total, solve);
  if (!record) return;
  c.latencies.push(...latencies);
  c.seconds += seconds;
  const after = await mathTokens(c);
  c.tokens.slow += after.slow - before.slow;
  c.tokens.all += after.all - before.all;
}

/** The router's per-replica token counter for math (`slm_router_replica_completion_tokens_total`), summed, and the slow replica's. */
async function mathTokens(c: Case): Promise<{ slow: number; all: number }> {
  const text = await fetch(`http://127.0.0.1:${c.stack.httpPort}/metrics`).then(
    (res) => (res.ok ? res.text() : ''),
    () => '',
  );
  const counts = { slow: 0, all: 0 };
  for (const [, labels, value] of text.matchAll(/^slm_router_replica_completion_tokens_total\{([^}]*)\} (\S+)$/gm)) {
    if (!labels?.includes('domain="math"')) continue;
    counts.all += Number(value);
    if (c.slowAddress && labels.includes(`replica="${c.slowAddress}"`)) counts.slow += Number(value);
  }
  return counts;
}

function figuresOf(c: Case): CaseFigures {
  const figures: CaseFigures = loadFigures(c.latencies, c.seconds);
  if (c.slowAddress && c.tokens.all > 0) figures.slowReplicaShare = roundMs(c.tokens.slow / c.tokens.all);
  return figures;
}
