import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { loadProto, type Problem, envPrefixOf } from '@slm/contracts';
import { startRedisCluster } from '@slm/platform';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { benchOverload, overloadBenchWorkerEnv } from './overload-bench';
import { benchCancel, benchLargeBatch } from './batch-bench';
import { startBenchStack } from './bench-stack';
import { closedLoop, loadFigures, p50p99, roundMs, type LoadFigures } from './closed-loop';
import { benchSlowReplica } from './slow-replica-bench';
import { benchEdgeCosts } from './edge-cost-bench';
import { repoRoot } from './service-process';

/** Options of {@link benchRouter}. */
export interface RouterBenchOptions {
  /** Requests per measurement (per ingress and concurrency). Default 2000. */
  requests: number;
  /** Problems in the queue batch. Default 10000. */
  batchSize: number;
  /** Concurrent clients to measure. Default [1, 16, 64]. */
  concurrency: number[];
  /** An existing Redis; a private redis-server is started when unset. */
  redisUrl?: string;
  /** Also run the batch on a three-master Redis Cluster the bench starts. Default true. */
  clusterBatch?: boolean;
  /** Problems in the batch that is cancelled. Default 100,000. */
  cancelBatchSize?: number;
  /** Size in bytes of the big batch body, and its problems. Default 50,000,000 and 100,000. */
  largeBatchBytes?: number;
  largeBatchProblems?: number;
}

/** Runs `once` `total` times from `concurrency` loops; latency percentiles and throughput. */
async function measure(concurrency: number, total: number, once: (i: number) => Promise<void>): Promise<LoadFigures> {
  const { latencies, seconds } = await closedLoop(concurrency, total, once);
  return loadFigures(latencies, seconds);
}

/** The `router` metric of a Server-Timing value (`router;dur=0.412, worker;dur=1.2`). */
function routerDurationOf(serverTiming: unknown): number | undefined {
  const match = /(?:^|,)\s*router;dur=([\d.]+)/.exec(String(serverTiming ?? ''));
  return match ? Number(match[1]) : undefined;
}

function postJson(
  agent: http.Agent,
  port: number,
  path: string,
  body: string,
  contentType = 'application/json',
  onRouterMs?: (ms: number) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        const routerMs = routerDurationOf(res.headers['server-timing']);
        if (routerMs !== undefined) onRouterMs?.(routerMs);
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          res.statusCode && res.statusCode < 300
            ? resolve(Buffer.concat(chunks).toString())
            : reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 200)}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function unary<Req, Res>(
  fn: (
    req: Req,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    cb: (err: grpc.ServiceError | null, res?: Res) => void,
  ) => grpc.ClientUnaryCall,
  request: Req,
  onRouterMs?: (ms: number) => void,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const call = fn(request, new grpc.Metadata(), { deadline: Date.now() + 30_000 }, (err, res) =>
      err ? reject(err) : resolve(res as Res),
    );
    if (onRouterMs) {
      call.on('status', (status: grpc.StatusObject) => {
        const routerMs = routerDurationOf(status.metadata.get('server-timing')[0]);
        if (routerMs !== undefined) onRouterMs(routerMs);
      });
    }
  });
}

/**
 * Starts a peer in front of one worker (a child process that prints its ports as a JSON line once it
 * listens): the bare forwarding proxy, or the framework floor.
 */
async function startPeer<Ports>(script: string[], workerAddress: string, children: ChildProcess[]): Promise<Ports> {
  const child = spawn(process.execPath, [path.join(repoRoot(), 'dist', ...script), workerAddress], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines = readline.createInterface({ input: child.stdout! });
  for await (const line of lines) {
    lines.close();
    return JSON.parse(line) as Ports;
  }
  throw new Error(`${script.at(-1)} exited with code ${child.exitCode} before listening`);
}

/** Submits a batch of `size` problems (a third per domain) as JSON lines and waits for its end: its figures and problems per second. */
async function runBatch(
  agent: http.Agent,
  httpPort: number,
  size: number,
): Promise<{ figures: Record<string, number>; problemsPerSecond: number }> {
  const texts = [
    'Solve 3x + 5 = 20 for x.',
    'Write a Python function that reverses a string.',
    'Why is the sky blue? Explain Rayleigh scattering.',
  ];
  const lines = Array.from({ length: size }, (_, i) => JSON.stringify({ text: texts[i % 3] }));
  const started = performance.now();
  const { batchId } = JSON.parse(await postJson(agent, httpPort, '/v1/batches', lines.join('\n'), 'application/jsonl')) as {
    batchId: string;
  };
  const submitSeconds = roundMs((performance.now() - started) / 1000);
  for (;;) {
    const { status } = (await (await fetch(`http://127.0.0.1:${httpPort}/v1/batches/${batchId}`)).json()) as {
      status: { state: string; counts: { failed: number } };
    };
    if (status.state !== 'BATCH_STATE_RUNNING') {
      const seconds = (performance.now() - started) / 1000;
      return {
        figures: { problems: size, failed: status.counts.failed, seconds: roundMs(seconds), submitSeconds },
        problemsPerSecond: Math.round(size / seconds),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The batch phase again on a Redis Cluster of three masters (a replica each) that the bench starts,
 * with workers and a router of their own: `clusterBatchProblemsPerSecond` beside the single Redis's
 * `batchProblemsPerSecond`. Every process shares this machine's cores, so the figure says what the
 * cluster path costs here, not what three machines would give.
 */
async function benchClusterBatch(agent: http.Agent, size: number): Promise<Record<string, unknown>> {
  const cluster = await startRedisCluster({ boundToParent: true });
  try {
    const stack = await startBenchStack({
      redisUrl: cluster.url,
      prefixStem: 'benchcluster',
      workerEnv: (domain) => ({ [`${envPrefixOf(domain)}QUEUE_CONCURRENCY`]: '100' }),
      routerEnv: { ROUTER_FALLBACK: 'domain:math' },
    });
    try {
      const batch = await runBatch(agent, stack.httpPort, size);
      return { clusterBatch: { masters: 3, replicas: 3, ...batch.figures }, clusterBatchProblemsPerSecond: batch.problemsPerSecond };
    } finally {
      stack.close();
    }
  } finally {
    await cluster.stop();
  }
}

/**
 * `slm bench router`: real worker processes on the benchmark-only instant engine and a real router
 * process, so the figures are the router's own cost: its added latency over calling a worker
 * directly (REST and gRPC, at each concurrency) and the queue path's problems per second. The peer
 * in the same run is a bare forwarding proxy (bare `node:http` and grpc-js, nothing else): what it
 * adds is the price of any extra hop on this machine, a floor no router on these libraries goes under.
 */
export async function benchRouter(options: RouterBenchOptions, log: (line: string) => void): Promise<Record<string, unknown>> {
  const result = await benchRouterStack(options, log);
  // Stacks of its own (three math replicas each), started once the first one has stopped.
  Object.assign(result, await benchSlowReplica({ redisUrl: options.redisUrl, requests: options.requests }, log));
  return result;
}

/** The figures of one stack: added latency, overload, edge costs, batches. */
async function benchRouterStack(options: RouterBenchOptions, log: (line: string) => void): Promise<Record<string, unknown>> {
  const stack = await startBenchStack({
    redisUrl: options.redisUrl,
    prefixStem: 'bench',
    workerEnv: (domain) => ({ [`${envPrefixOf(domain)}QUEUE_CONCURRENCY`]: '100', ...overloadBenchWorkerEnv(domain) }),
    // Every problem is solved: the bench measures routing cost, not the policy's refusals.
    routerEnv: { ROUTER_MAX_CONCURRENT_PER_CLIENT: '10000', ROUTER_FALLBACK: 'domain:math' },
  });
  const { redisUrl, prefix, workerAddresses, httpPort, grpcPort } = stack;
  const children: ChildProcess[] = [];
  try {
    const bare = await startPeer<{ httpPort: number; grpcPort: number }>(
      ['apps', 'cli', 'src', 'bare-proxy.js'],
      workerAddresses.math,
      children,
    );
    const floor = await startPeer<{ httpPort: number }>(['apps', 'router', 'src', 'framework-floor.js'], workerAddresses.math, children);
    log('router, bare proxy, framework floor and workers ready');

    const proto = loadProto();
    const worker = new proto.slmrouter.v1.Worker(workerAddresses.math, grpc.credentials.createInsecure());
    const router = new proto.slmrouter.v1.Router(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    const bareRouter = new proto.slmrouter.v1.Router(`127.0.0.1:${bare.grpcPort}`, grpc.credentials.createInsecure());
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const problem = (i: number): Problem => ({
      text: `Solve the equation 3x + ${i % 97} = 20 for x and simplify the fraction.`,
      options: { maxNewTokens: 16 },
    });
    const result: Record<string, unknown> = {
      machine: 'shared 2-core machine; workers use the instant engine',
      requests: options.requests,
    };
    const added = (router: LoadFigures, direct: LoadFigures) => ({
      p50: roundMs(router.p50Ms - direct.p50Ms),
      p99: roundMs(router.p99Ms - direct.p99Ms),
    });
    const body = (i: number) => JSON.stringify({ text: problem(i).text, options: { maxNewTokens: 16 } });
    for (const concurrency of options.concurrency) {
      // Each path is warmed with a few requests before the measured ones.
      const warmAndMeasure = async (once: (i: number) => Promise<unknown>) => {
        await measure(concurrency, Math.min(200, options.requests), (i) => once(i).then(() => undefined));
        return measure(concurrency, options.requests, (i) => once(i).then(() => undefined));
      };
      const overRest = (port: number, onRouterMs?: (ms: number) => void) =>
        warmAndMeasure((i) => postJson(agent, port, '/v1/solve', body(i), 'application/json', onRouterMs));
      const overGrpc = (client: typeof router, onRouterMs?: (ms: number) => void) =>
        warmAndMeasure((i) => unary(client.solve.bind(client), { problem: problem(i) }, onRouterMs));
      const direct = await warmAndMeasure((i) => unary(worker.generate.bind(worker), { problem: problem(i) }));
      const restRouterMs: number[] = [];
      const grpcRouterMs: number[] = [];
      const rest = await overRest(httpPort, (ms) => restRouterMs.push(ms));
      const viaGrpc = await overGrpc(router, (ms) => grpcRouterMs.push(ms));
      const bareRest = await overRest(bare.httpPort);
      const bareGrpc = await overGrpc(bareRouter);
      const floorRest = await overRest(floor.httpPort);
      const bareRestAdded = added(bareRest, direct);
      const bareGrpcAdded = added(bareGrpc, direct);
      const floorRestAdded = added(floorRest, direct);
      // The router's own time per request, from its Server-Timing (what LiteLLM reports as its overhead).
      const restOverhead = p50p99(restRouterMs);
      const grpcOverhead = p50p99(grpcRouterMs);
      const restAdded = added(rest, direct);
      const grpcAdded = added(viaGrpc, direct);
      // Throughput as a share of the bare proxy's, the measure (REST ≥ 0.9, gRPC ≥ 0.95).
      const ofBare = (figures: LoadFigures, bareFigures: LoadFigures) =>
        Math.round((100 * figures.requestsPerSecond) / bareFigures.requestsPerSecond) / 100;
      result[`c${concurrency}`] = {
        directWorker: direct,
        rest,
        grpc: viaGrpc,
        restOfBareProxy: ofBare(rest, bareRest),
        grpcOfBareProxy: ofBare(viaGrpc, bareGrpc),
        restAddedP50Ms: restAdded.p50,
        restAddedP99Ms: restAdded.p99,
        grpcAddedP50Ms: grpcAdded.p50,
        grpcAddedP99Ms: grpcAdded.p99,
        bareProxy: {
          rest: bareRest,
          grpc: bareGrpc,
          restAddedP50Ms: bareRestAdded.p50,
          restAddedP99Ms: bareRestAdded.p99,
          grpcAddedP50Ms: bareGrpcAdded.p50,
          grpcAddedP99Ms: bareGrpcAdded.p99,
        },
        frameworkFloor: {
          rest: floorRest,
          restOfBareProxy: ofBare(floorRest, bareRest),
          restAddedP50Ms: floorRestAdded.p50,
          restAddedP99Ms: floorRestAdded.p99,
        },
        restRouterOverheadP50Ms: restOverhead.p50Ms,
        restRouterOverheadP99Ms: restOverhead.p99Ms,
        grpcRouterOverheadP50Ms: grpcOverhead.p50Ms,
        grpcRouterOverheadP99Ms: grpcOverhead.p99Ms,
      };
      log(
        `concurrency ${concurrency}: rest +${restAdded.p50} ms p50 (bare proxy +${bareRestAdded.p50}, framework floor +${floorRestAdded.p50}), grpc +${grpcAdded.p50} ms p50 (bare proxy +${bareGrpcAdded.p50})`,
      );
    }
    worker.close();
    router.close();
    bareRouter.close();
    Object.assign(result, await benchEdgeCosts(stack, { requests: options.requests }));
    Object.assign(result, await benchOverload({ httpPort, grpcPort }, { requests: options.requests }));

    const batch = await runBatch(agent, httpPort, options.batchSize);
    result.batch = batch.figures;
    result.batchProblemsPerSecond = batch.problemsPerSecond;
    if (options.clusterBatch !== false) {
      log('the same batch on a three-master Redis Cluster');
      Object.assign(result, await benchClusterBatch(agent, options.batchSize));
    }
    Object.assign(
      result,
      await benchLargeBatch({
        httpPort,
        routerPid: stack.router.pid,
        bodyBytes: options.largeBatchBytes ?? 50_000_000,
        problems: options.largeBatchProblems ?? 100_000,
      }),
    );
    Object.assign(result, await benchCancel({ httpPort, redisUrl, prefix, problems: options.cancelBatchSize ?? 100_000 }));
    agent.destroy();
    return result;
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    stack.close();
  }
}
