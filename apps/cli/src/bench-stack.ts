import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { WORKER_DOMAINS, addressesVariableOf, envPrefixOf, type WorkerDomain } from '@slm/contracts';
import { startRedisServer } from '@slm/platform';
import { appMain, startLoggingService } from './service-process';

const DOMAINS = WORKER_DOMAINS;

/** Options of {@link startBenchStack}. */
export interface BenchStackOptions {
  /** An existing Redis; a private redis-server is started when unset. */
  redisUrl?: string;
  /** Stem of the stack's unique queue prefix (`bench`, `fuzz`). */
  prefixStem: string;
  /** Extra environment of one domain's worker (the instant engine and port 0 are always set). */
  workerEnv?: (domain: WorkerDomain) => Record<string, string>;
  /** Extra environment of the router (its ports, host, Redis and worker addresses are always set). */
  routerEnv?: Record<string, string>;
  /** More replicas of a domain, one process each with this extra environment; routers get every address. Default: none. */
  extraReplicas?: Partial<Record<WorkerDomain, Record<string, string>[]>>;
}

/** A running stack of {@link startBenchStack}. */
export interface BenchStack {
  redisUrl: string;
  prefix: string;
  /** The first replica of each domain. */
  workerAddresses: Record<WorkerDomain, string>;
  /** Every replica of each domain (the first one first). */
  replicaAddresses: Record<WorkerDomain, string[]>;
  httpPort: number;
  grpcPort: number;
  router: ChildProcess;
  /**
   * Starts another router on the same workers and Redis with extra environment (a variant to compare
   * with the first: API keys, tracing…); it is stopped with the stack.
   */
  addRouter(env: Record<string, string>): Promise<{ httpPort: number; grpcPort: number; child: ChildProcess }>;
  /** Stops every process of the stack (SIGTERM), the router first. */
  close(): void;
}

/**
 * The stack the benches run against: a private Redis (unless given), three workers on the
 * benchmark-only instant engine and a router, as real processes. Every service binds port 0 and
 * names its ports in its "ready" line, so no other process on the machine can take a port between
 * choosing it and binding it. Resolves once the router's /readyz is 200.
 */
export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const children: ChildProcess[] = [];
  const close = () => {
    for (const child of [...children].reverse()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  const start = async (main: string, env: Record<string, string>, readyMessage: string) => {
    const service = await startLoggingService(main, { LOG_LEVEL: 'info', ...env }, readyMessage);
    children.push(service.child);
    return service;
  };
  try {
    let redisUrl = options.redisUrl;
    if (!redisUrl) {
      const redis = await startRedisServer();
      children.push(redis.child);
      redisUrl = redis.url;
    }
    const prefix = `${options.prefixStem}${randomUUID().slice(0, 8)}`;
    const workerAddresses = {} as Record<WorkerDomain, string>;
    const replicaAddresses = {} as Record<WorkerDomain, string[]>;
    for (const domain of DOMAINS) {
      const env = envPrefixOf(domain);
      replicaAddresses[domain] = [];
      for (const extraEnv of [{}, ...(options.extraReplicas?.[domain] ?? [])]) {
        const { ready } = await start(
          appMain(`${domain}-worker`),
          {
            REDIS_URL: redisUrl,
            QUEUE_PREFIX: prefix,
            [`${env}ENGINE`]: 'instant',
            [`${env}GRPC_PORT`]: '0',
            ...options.workerEnv?.(domain),
            ...extraEnv,
          },
          'worker ready',
        );
        replicaAddresses[domain].push(`127.0.0.1:${Number(ready['grpcPort'])}`);
      }
      workerAddresses[domain] = replicaAddresses[domain][0] as string;
    }
    const addRouter = async (env: Record<string, string>) => {
      const router = await start(
        appMain('router'),
        {
          REDIS_URL: redisUrl,
          QUEUE_PREFIX: prefix,
          ...env,
          ROUTER_HTTP_PORT: '0',
          ROUTER_GRPC_PORT: '0',
          ROUTER_HOST: '127.0.0.1',
          ...Object.fromEntries(DOMAINS.map((domain) => [addressesVariableOf(domain), replicaAddresses[domain].join(',')])),
        },
        'router ready',
      );
      const httpPort = Number(router.ready['http']);
      await untilReady(router.child, httpPort);
      return { httpPort, grpcPort: Number(router.ready['grpc']), child: router.child };
    };
    const router = await addRouter(options.routerEnv ?? {});
    return {
      redisUrl,
      prefix,
      workerAddresses,
      replicaAddresses,
      httpPort: router.httpPort,
      grpcPort: router.grpcPort,
      router: router.child,
      addRouter,
      close,
    };
  } catch (error) {
    close();
    throw error;
  }
}

/** Waits for the router's /readyz (its first health round reaches every worker) for up to a minute. */
async function untilReady(router: ChildProcess, httpPort: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (
    !(await fetch(`http://127.0.0.1:${httpPort}/readyz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (router.exitCode !== null || router.signalCode !== null)
      throw new Error(`the router exited (code ${router.exitCode}, signal ${router.signalCode}) before it was ready`);
    if (Date.now() > deadline) throw new Error(`the router was not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
