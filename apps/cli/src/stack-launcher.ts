import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  availableCores,
  checkCertKeyPair,
  loadConfig,
  pemFileSchema,
  portSchema,
  positiveIntSchema,
  redactRedisUrl,
  redisUrlSchema,
  startRedisServer,
} from '@slm/platform';
import {
  WORKER_DOMAINS,
  addressesVariableOf,
  defaultGrpcPortOf,
  envPrefixOf,
  grpcChannelCredentials,
  loadProto,
  mapWorkerDomains,
  type GetInfoResponse__Output,
  type GrpcClientTls,
  type WorkerDomain,
} from '@slm/contracts';
import { appMain, describeExit, exitStatusOf, startServiceProcess, type ExitStatus } from './service-process';

const DOMAINS = WORKER_DOMAINS;

/** `<DOMAIN>_WORKER_GRPC_PORT`: where `slm up` starts each worker. */
const workerPortVariable = (domain: WorkerDomain) => `${envPrefixOf(domain)}GRPC_PORT` as const;

/**
 * A worker's share of the machine when `slm up` starts `workers` of them on `cores` cores, as the
 * `<DOMAIN>_WORKER_THREADS` and `_PREFILL_THREADS` it passes (the environment's own values win): an engine
 * alone sizes its threads to the whole machine, so three side by side would each take every core.
 * Measured on a 2-core AMD EPYC, three processes decoding 360M q4 at once: 50–53 ms a step each with 2
 * threads, 27–29 ms with 1. A share of 3 cores or more keeps one for the engine's prefill thread.
 */
export function workerThreadsEnv(
  domain: WorkerDomain,
  workers: number,
  cores: number,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const prefix = envPrefixOf(domain);
  const share = Math.max(1, Math.floor(cores / workers));
  const prefillThreads = share >= 3 ? 1 : 0;
  return {
    ...(env[`${prefix}THREADS`] === undefined ? { [`${prefix}THREADS`]: String(share - prefillThreads) } : {}),
    ...(env[`${prefix}PREFILL_THREADS`] === undefined ? { [`${prefix}PREFILL_THREADS`]: String(prefillThreads) } : {}),
  };
}

/**
 * What `slm up` reads from the environment (the services read the rest themselves, TLS variables
 * included: they pass through). The TLS files are read here only to probe the services it starts.
 */
const stackConfigSchema = z
  .object({
    REDIS_URL: redisUrlSchema.optional(),
    /** Where the stack's own Redis keeps its append-only file, so queued batches survive a restart. */
    SLM_DATA_DIR: z.string().min(1).default('.slm'),
    ...(Object.fromEntries(DOMAINS.map((domain) => [workerPortVariable(domain), portSchema.default(defaultGrpcPortOf(domain))])) as Record<
      `${Uppercase<WorkerDomain>}_WORKER_GRPC_PORT`,
      z.ZodDefault<typeof portSchema>
    >),
    ROUTER_HTTP_PORT: portSchema.default(8080),
    ROUTER_GRPC_PORT: portSchema.default(50051),
    /** How long each service may take to become healthy (a real 950M model loads in tens of seconds). */
    SLM_STARTUP_TIMEOUT_MS: positiveIntSchema.default(600_000),
    /** Restarts of one service within SLM_RESTART_WINDOW_MS before `slm up` gives up and stops the stack (0: never restart). Default 5. */
    SLM_RESTART_LIMIT: z.coerce.number().int().min(0).default(5),
    /** The sliding window those restarts are counted in, ms. Default 60000. */
    SLM_RESTART_WINDOW_MS: positiveIntSchema.default(60_000),
    /** Wait before a service's first restart, ms; it doubles with each further restart in the window, up to 30 s. Default 1000. */
    SLM_RESTART_BACKOFF_MS: positiveIntSchema.default(1000),
    /** Set: the router serves HTTPS (its health is probed over HTTPS, any certificate accepted: a local liveness check). */
    ROUTER_TLS_CERT_FILE: pemFileSchema('certificate'),
    /** Set: the router wants client certificates; the probe presents ROUTER_WORKER_TLS_CERT_FILE's. */
    ROUTER_TLS_CA_FILE: pemFileSchema('certificate'),
    /** Set: the workers serve TLS; they are probed as the router reaches them (ROUTER_WORKER_TLS_*). */
    WORKER_TLS_CERT_FILE: pemFileSchema('certificate'),
    WORKER_TLS_CA_FILE: pemFileSchema('certificate'),
    ROUTER_WORKER_TLS_CA_FILE: pemFileSchema('certificate'),
    ROUTER_WORKER_TLS_CERT_FILE: pemFileSchema('certificate'),
    ROUTER_WORKER_TLS_KEY_FILE: pemFileSchema('private key'),
  })
  .superRefine((env, ctx) => {
    checkCertKeyPair(
      ctx,
      { cert: env.ROUTER_WORKER_TLS_CERT_FILE, key: env.ROUTER_WORKER_TLS_KEY_FILE },
      { cert: 'ROUTER_WORKER_TLS_CERT_FILE', key: 'ROUTER_WORKER_TLS_KEY_FILE' },
    );
    if (env.WORKER_TLS_CERT_FILE !== undefined && env.ROUTER_WORKER_TLS_CA_FILE === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ROUTER_WORKER_TLS_CA_FILE'],
        message: 'the workers serve TLS (WORKER_TLS_CERT_FILE): set the CA the router trusts them by',
      });
    }
    const clientCertificateWanted = env.WORKER_TLS_CA_FILE !== undefined || env.ROUTER_TLS_CA_FILE !== undefined;
    if (clientCertificateWanted && env.ROUTER_WORKER_TLS_CERT_FILE === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ROUTER_WORKER_TLS_CERT_FILE'],
        message: "WORKER_TLS_CA_FILE or ROUTER_TLS_CA_FILE wants client certificates: set the one the router (and slm up's probes) present",
      });
    }
  });
type StackConfig = z.output<typeof stackConfigSchema>;

/** The longest wait between a service's death and its restart, however many restarts came before. */
const MAX_BACKOFF_MS = 30_000;

/** One process of the stack, started (and restarted) the same way each time. */
interface Service {
  readonly name: string;
  /** Starts the process; resolves once it runs (Redis: once it accepts connections). */
  readonly spawn: () => Promise<ChildProcess>;
  /** True once a restarted process serves again. */
  readonly ready: () => Promise<boolean>;
  child?: ChildProcess;
  /** How the current child ended, once it has. */
  exit?: ExitStatus;
  /** When this service was restarted, within the last window. */
  restarts: number[];
  /** A restart waiting out its backoff. */
  pendingRestart?: NodeJS.Timeout;
  /** A (re)start in progress. */
  starting?: Promise<unknown>;
}

/**
 * `npm start`: Redis (unless REDIS_URL is given), the three workers and the router, each in its own
 * process, started in order behind health checks. Ctrl-C or SIGTERM stops them all, router first so
 * no new work arrives, then the workers (which finish or hand back their jobs), then Redis.
 *
 * A service that dies once the stack is up (a crash, the out-of-memory killer's SIGKILL) is
 * restarted after a backoff (SLM_RESTART_BACKOFF_MS, doubling); one that dies more than
 * SLM_RESTART_LIMIT times within SLM_RESTART_WINDOW_MS is not: the stack stops and exits 1. A death
 * during start-up stops the stack at once (that is a configuration problem, not bad luck).
 */
export class StackLauncher {
  private readonly services: Service[] = [];
  private up = false;
  private stopping: Promise<number> | undefined;
  /** Settles with the exit code once the stack has stopped. */
  private readonly stopped: Promise<number>;
  private markStopped: (code: number) => void = () => undefined;

  constructor(
    private readonly config: StackConfig = loadConfig(stackConfigSchema),
    private readonly print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {
    this.stopped = new Promise((resolve) => (this.markStopped = resolve));
  }

  /** Starts everything and resolves when the stack has stopped, with the exit code. */
  async run(): Promise<number> {
    const onSignal = (signal: NodeJS.Signals) => void this.stop('signal', signal);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await this.start();
      this.up = true;
    } catch (error) {
      if (!this.stopping) this.print(`slm up: ${error instanceof Error ? error.message : String(error)}`);
      void this.stop('failure');
    }
    try {
      return await this.stopped;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }

  private async start(): Promise<void> {
    const redisUrl = this.config.REDIS_URL ?? (await this.startRedis());
    const workerPorts = mapWorkerDomains((domain) => this.portOf(domain));
    const cores = availableCores();
    for (const domain of DOMAINS) {
      const address = `127.0.0.1:${workerPorts[domain]}`;
      const threads = workerThreadsEnv(domain, DOMAINS.length, cores);
      await this.launch(`${domain}-worker`, appMain(`${domain}-worker`), { REDIS_URL: redisUrl, ...threads }, () =>
        grpcHealthIsServing(address, this.workerTls()),
      );
    }
    const infos = await Promise.all(DOMAINS.map((domain) => this.waitForWorker(domain, `127.0.0.1:${workerPorts[domain]}`)));
    const routerUrl = `${this.config.ROUTER_TLS_CERT_FILE ? 'https' : 'http'}://127.0.0.1:${this.config.ROUTER_HTTP_PORT}`;
    const routerEnv = {
      REDIS_URL: redisUrl,
      ...Object.fromEntries(DOMAINS.map((domain) => [addressesVariableOf(domain), `127.0.0.1:${workerPorts[domain]}`])),
    };
    // A restarted router is back once it answers; readiness would also wait for every worker.
    await this.launch('router', appMain('router'), routerEnv, () => this.routerAnswers(`${routerUrl}/healthz`));
    await this.until('router', () => this.routerAnswers(`${routerUrl}/readyz`));
    this.throwIfOneDied();
    this.printBanner(redisUrl, infos);
  }

  private printBanner(redisUrl: string, infos: GetInfoResponse__Output[]): void {
    const redisNote = this.config.REDIS_URL ? '' : ` (data in ${path.resolve(this.config.SLM_DATA_DIR, 'redis')})`;
    const lines = ['', 'slm-router is up', `  ${'redis'.padEnd(15)} ${redactRedisUrl(redisUrl)}${redisNote}`];
    DOMAINS.forEach((domain, i) => {
      const info = infos[i]!;
      const warning = info.syntheticWeights ? '  ⚠ RANDOM WEIGHTS: answers are meaningless (pull a model: slm models pull)' : '';
      lines.push(
        `  ${`${domain}-worker`.padEnd(15)} grpc 127.0.0.1:${this.portOf(domain)}  model ${info.modelId} (${info.dtype})${warning}`,
      );
    });
    const tls = this.config.ROUTER_TLS_CERT_FILE !== undefined;
    lines.push(
      `  ${'router'.padEnd(15)} ${tls ? 'https' : 'http'}://127.0.0.1:${this.config.ROUTER_HTTP_PORT}  (REST /v1/solve, OpenAI /v1/chat/completions)`,
    );
    lines.push(`  ${'router'.padEnd(15)} grpc${tls ? ' (TLS)' : ''} 127.0.0.1:${this.config.ROUTER_GRPC_PORT}  (slmrouter.v1.Router)`);
    lines.push('Press Ctrl-C to stop.', '');
    for (const line of lines) this.print(line);
  }

  /** How the router reaches the workers, and so how `slm up` probes them: plaintext unless ROUTER_WORKER_TLS_CA_FILE. */
  private workerTls(): GrpcClientTls | undefined {
    const { ROUTER_WORKER_TLS_CA_FILE: ca, ROUTER_WORKER_TLS_CERT_FILE: cert, ROUTER_WORKER_TLS_KEY_FILE: key } = this.config;
    if (ca === undefined) return undefined;
    return cert === undefined || key === undefined ? { ca } : { ca, cert, key };
  }

  /**
   * True when the router answers `url` with 2xx. Over HTTPS any certificate is accepted (this checks
   * that a process `slm up` started on loopback is alive, not who it is); when the router wants
   * client certificates, the router's own (ROUTER_WORKER_TLS_CERT_FILE) is presented.
   */
  private routerAnswers(url: string): Promise<boolean> {
    if (!url.startsWith('https:')) return httpIsOk(url);
    const clientCertificate = this.config.ROUTER_TLS_CA_FILE
      ? { cert: this.config.ROUTER_WORKER_TLS_CERT_FILE, key: this.config.ROUTER_WORKER_TLS_KEY_FILE }
      : {};
    return new Promise((resolve) => {
      const request = https.get(url, { rejectUnauthorized: false, timeout: 2000, ...clientCertificate }, (res) => {
        res.resume();
        resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300);
      });
      request.on('timeout', () => request.destroy());
      request.on('error', () => resolve(false));
    });
  }

  private portOf(domain: WorkerDomain): number {
    return this.config[workerPortVariable(domain)];
  }

  private launch(name: string, main: string, env: Record<string, string>, ready: () => Promise<boolean>): Promise<void> {
    return this.add({ name, ready, spawn: async () => startServiceProcess(main, [], { env, label: name }), restarts: [] });
  }

  private async startRedis(): Promise<string> {
    const dir = path.resolve(this.config.SLM_DATA_DIR, 'redis');
    fs.mkdirSync(dir, { recursive: true });
    let port: number | undefined; // a restarted Redis takes the same port, so every client reconnects to it
    // A password of its own, new each `slm up`: other programs on this machine cannot reach the queues
    // (a restarted Redis keeps it, so the services' connections authenticate again).
    const password = randomBytes(24).toString('hex');
    let url = '';
    await this.add({
      name: 'redis',
      spawn: async () => {
        const redis = await startRedisServer({ dir, appendFsync: 'everysec', boundToParent: true, password, ...(port ? { port } : {}) });
        port = redis.port;
        url = redis.url;
        return redis.child;
      },
      ready: async () => true, // spawn resolves once it accepts connections
      restarts: [],
    });
    return url;
  }

  /** Registers a service and starts its first process. */
  private async add(service: Service): Promise<void> {
    this.services.push(service);
    await this.spawn(service);
  }

  /** Starts the service's process and watches it: its death, however it comes, is noticed. */
  private async spawn(service: Service): Promise<void> {
    const starting = (async () => {
      const child = await service.spawn();
      service.child = child;
      service.exit = undefined;
      void exitStatusOf(child).then((status) => {
        service.exit = status;
        this.onDeath(service, status);
      });
      if (this.stopping) child.kill('SIGTERM'); // started while the stack began to stop
    })();
    service.starting = starting;
    try {
      await starting;
    } finally {
      service.starting = undefined;
    }
  }

  private async waitForWorker(domain: WorkerDomain, address: string): Promise<GetInfoResponse__Output> {
    const name = `${domain}-worker`;
    await this.until(name, () => grpcHealthIsServing(address, this.workerTls()));
    return getWorkerInfo(address, this.workerTls());
  }

  /** Polls `ready` until it holds; fails when any service dies or the start-up timeout passes. */
  private async until(name: string, ready: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + this.config.SLM_STARTUP_TIMEOUT_MS;
    while (!(await ready())) {
      if (this.stopping) throw new Error('stopped during start-up');
      this.throwIfOneDied();
      if (Date.now() > deadline) throw new Error(`${name} was not healthy after ${this.config.SLM_STARTUP_TIMEOUT_MS} ms`);
      await sleep(200);
    }
  }

  private throwIfOneDied(): void {
    const dead = this.services.find((s) => s.exit);
    if (dead?.exit) throw new Error(`${dead.name} ${describeExit(dead.exit)} during start-up`);
  }

  /** A service died: during start-up `until` reports it; once up, restart it or give up. */
  private onDeath(service: Service, status: ExitStatus): void {
    if (this.stopping || !this.up) return;
    const { config } = this;
    const now = Date.now();
    service.restarts = service.restarts.filter((at) => now - at < config.SLM_RESTART_WINDOW_MS);
    const what = `slm up: ${service.name} ${describeExit(status)}`;
    if (service.restarts.length >= config.SLM_RESTART_LIMIT) {
      this.print(
        `${what}; it was restarted ${service.restarts.length} times within ${config.SLM_RESTART_WINDOW_MS} ms (SLM_RESTART_LIMIT ${config.SLM_RESTART_LIMIT}): giving up, stopping the stack`,
      );
      void this.stop('failure');
      return;
    }
    const delay = Math.min(config.SLM_RESTART_BACKOFF_MS * 2 ** service.restarts.length, MAX_BACKOFF_MS);
    service.restarts.push(now);
    this.print(
      `${what}; restarting it in ${delay} ms (restart ${service.restarts.length} of at most ${config.SLM_RESTART_LIMIT} within ${config.SLM_RESTART_WINDOW_MS} ms)`,
    );
    service.pendingRestart = setTimeout(() => void this.restart(service), delay);
  }

  private async restart(service: Service): Promise<void> {
    service.pendingRestart = undefined;
    if (this.stopping) return;
    try {
      await this.spawn(service);
    } catch (error) {
      // Could not even start (Redis's port taken meanwhile, say): that counts as one more death.
      this.print(`slm up: ${service.name} did not start again: ${error instanceof Error ? error.message : String(error)}`);
      this.onDeath(service, { code: 1, signal: null });
      return;
    }
    const child = service.child;
    const deadline = Date.now() + this.config.SLM_STARTUP_TIMEOUT_MS;
    while (!this.stopping && service.child === child && !service.exit && Date.now() < deadline) {
      if (await service.ready().catch(() => false)) {
        this.print(`slm up: ${service.name} is back (pid ${child?.pid})`);
        return;
      }
      await sleep(200);
    }
    if (!this.stopping && service.child === child && !service.exit) {
      this.print(`slm up: ${service.name} was restarted but is not healthy after ${this.config.SLM_STARTUP_TIMEOUT_MS} ms`);
    }
  }

  /**
   * Stops every service, router first (no new work), then the workers (in-flight jobs finish or go
   * back to the queue), Redis last, and resolves with the stack's exit code: 0 after a signal, 1
   * after a failure. A repeated signal changes nothing (a terminal's Ctrl-C under `npm start`
   * arrives twice, from the terminal and from npm); each service bounds its own shutdown.
   */
  private stop(reason: 'signal' | 'failure', signal?: NodeJS.Signals): Promise<number> {
    if (this.stopping) {
      if (signal) this.print(`slm up: ${signal}: still stopping (${this.running().join(', ') || 'nothing'} still running)`);
      return this.stopping;
    }
    this.stopping = (async () => {
      if (reason === 'signal') this.print(`slm up: ${signal ?? 'signal'}: stopping (router, then workers, then Redis)…`);
      for (const service of this.services) clearTimeout(service.pendingRestart);
      const order = ['router', ...DOMAINS.map((d) => `${d}-worker`), 'redis'];
      const groups = [order.slice(0, 1), order.slice(1, 4), order.slice(4)];
      for (const group of groups) {
        await Promise.all(this.services.filter((s) => group.includes(s.name)).map((s) => this.stopService(s)));
      }
      const code = reason === 'signal' ? 0 : 1;
      this.markStopped(code);
      return code;
    })();
    return this.stopping;
  }

  private async stopService(service: Service): Promise<void> {
    await service.starting?.catch(() => undefined); // what starts after the stop began is killed by `spawn`
    const child = service.child;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exitStatusOf(child);
  }

  private running(): string[] {
    return this.services.filter((s) => s.child && s.child.exitCode === null && s.child.signalCode === null).map((s) => s.name);
  }
}

async function httpIsOk(url: string): Promise<boolean> {
  return (await fetch(url).catch(() => undefined))?.ok ?? false;
}

const healthDefinition = () =>
  grpc.loadPackageDefinition(
    protoLoader.loadSync(path.join(path.dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto'), {
      enums: String,
    }),
  ) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };

/** True when the server at `address` answers grpc.health.v1 Check with SERVING (over TLS with `tls`). */
export function grpcHealthIsServing(address: string, tls?: GrpcClientTls): Promise<boolean> {
  const client = new (healthDefinition().grpc.health.v1.Health)(address, grpcChannelCredentials(tls));
  return new Promise((resolve) => {
    client.Check({ service: '' }, { deadline: Date.now() + 1000 }, (error: grpc.ServiceError | null, response?: { status: string }) => {
      client.close();
      resolve(!error && response?.status === 'SERVING');
    });
  });
}

function getWorkerInfo(address: string, tls: GrpcClientTls | undefined): Promise<GetInfoResponse__Output> {
  const client = new (loadProto().slmrouter.v1.Worker)(address, grpcChannelCredentials(tls));
  return new Promise((resolve, reject) => {
    client.getInfo({}, { deadline: Date.now() + 5000 }, (error, info) => {
      client.close();
      if (error || !info) reject(new Error(`GetInfo on ${address} failed: ${error?.details ?? 'no answer'}`));
      else resolve(info);
    });
  });
}
