import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { loadConfig, portSchema, positiveIntSchema, startRedisServer } from '@slm/platform';
import { loadProto, type GetInfoResponse__Output, type WorkerDomain } from '@slm/contracts';
import { appMain, exitOf, startServiceProcess } from './service-process';

const DOMAINS: readonly WorkerDomain[] = ['math', 'code', 'science'];

/** What `slm up` reads from the environment (the services read the rest themselves). */
const stackConfigSchema = z.object({
  REDIS_URL: z.string().url().optional(),
  /** Where the stack's own Redis keeps its append-only file, so queued batches survive a restart. */
  SLM_DATA_DIR: z.string().min(1).default('.slm'),
  MATH_WORKER_GRPC_PORT: portSchema.default(50061),
  CODE_WORKER_GRPC_PORT: portSchema.default(50062),
  SCIENCE_WORKER_GRPC_PORT: portSchema.default(50063),
  ROUTER_HTTP_PORT: portSchema.default(8080),
  ROUTER_GRPC_PORT: portSchema.default(50051),
  /** How long each service may take to become healthy (a real 950M model loads in tens of seconds). */
  SLM_STARTUP_TIMEOUT_MS: positiveIntSchema.default(600_000),
});
type StackConfig = z.output<typeof stackConfigSchema>;

interface RunningService {
  name: string;
  child: ChildProcess;
}

/**
 * `npm start`: Redis (unless REDIS_URL is given), the three workers and the router, each in its own
 * process, started in order behind health checks. Ctrl-C or SIGTERM stops them all, router first so
 * no new work arrives, then the workers (which finish or hand back their jobs), then Redis.
 */
export class StackLauncher {
  private readonly services: RunningService[] = [];
  private stopping: Promise<number> | undefined;

  constructor(
    private readonly config: StackConfig = loadConfig(stackConfigSchema),
    private readonly print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {}

  /** Starts everything and resolves when the stack has stopped, with the exit code. */
  async run(): Promise<number> {
    const onSignal = () => void this.stop('signal');
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await this.start();
      return await this.untilStopped();
    } catch (error) {
      this.print(`slm up: ${error instanceof Error ? error.message : String(error)}`);
      await this.stop('failure');
      return 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }

  private async start(): Promise<void> {
    const redisUrl = this.config.REDIS_URL ?? (await this.startRedis());
    const workerPorts: Record<WorkerDomain, number> = {
      math: this.config.MATH_WORKER_GRPC_PORT,
      code: this.config.CODE_WORKER_GRPC_PORT,
      science: this.config.SCIENCE_WORKER_GRPC_PORT,
    };
    for (const domain of DOMAINS) {
      this.launch(`${domain}-worker`, appMain(`${domain}-worker`), { REDIS_URL: redisUrl });
    }
    const infos = await Promise.all(DOMAINS.map((domain) => this.waitForWorker(domain, `127.0.0.1:${workerPorts[domain]}`)));
    this.launch('router', appMain('router'), {
      REDIS_URL: redisUrl,
      MATH_WORKER_ADDRESSES: `127.0.0.1:${workerPorts.math}`,
      CODE_WORKER_ADDRESSES: `127.0.0.1:${workerPorts.code}`,
      SCIENCE_WORKER_ADDRESSES: `127.0.0.1:${workerPorts.science}`,
    });
    await this.waitForHttp('router', `http://127.0.0.1:${this.config.ROUTER_HTTP_PORT}/readyz`);
    this.printBanner(redisUrl, infos);
  }

  private printBanner(redisUrl: string, infos: GetInfoResponse__Output[]): void {
    const redisNote = this.config.REDIS_URL ? '' : ` (data in ${path.resolve(this.config.SLM_DATA_DIR, 'redis')})`;
    const lines = ['', 'slm-router is up', `  ${'redis'.padEnd(15)} ${redisUrl}${redisNote}`];
    DOMAINS.forEach((domain, i) => {
      const info = infos[i]!;
      const warning = info.syntheticWeights ? '  ⚠ RANDOM WEIGHTS: answers are meaningless (pull a model: slm models pull)' : '';
      lines.push(`  ${`${domain}-worker`.padEnd(15)} grpc 127.0.0.1:${this.portOf(domain)}  model ${info.modelId} (${info.dtype})${warning}`);
    });
    lines.push(`  ${'router'.padEnd(15)} http://127.0.0.1:${this.config.ROUTER_HTTP_PORT}  (REST /v1/solve, OpenAI /v1/chat/completions)`);
    lines.push(`  ${'router'.padEnd(15)} grpc 127.0.0.1:${this.config.ROUTER_GRPC_PORT}  (slmrouter.v1.Router)`);
    lines.push('Press Ctrl-C to stop.', '');
    for (const line of lines) this.print(line);
  }

  private portOf(domain: WorkerDomain): number {
    return { math: this.config.MATH_WORKER_GRPC_PORT, code: this.config.CODE_WORKER_GRPC_PORT, science: this.config.SCIENCE_WORKER_GRPC_PORT }[domain];
  }

  private launch(name: string, main: string, env: Record<string, string>, args: string[] = []): ChildProcess {
    const child = startServiceProcess(main, args, { env, label: name });
    this.services.push({ name, child });
    return child;
  }

  private async startRedis(): Promise<string> {
    const dir = path.resolve(this.config.SLM_DATA_DIR, 'redis');
    fs.mkdirSync(dir, { recursive: true });
    const redis = await startRedisServer({ dir, appendFsync: 'everysec' });
    this.services.push({ name: 'redis', child: redis.child });
    return redis.url;
  }

  private async waitForWorker(domain: WorkerDomain, address: string): Promise<GetInfoResponse__Output> {
    const name = `${domain}-worker`;
    await this.until(name, () => grpcHealthIsServing(address));
    return getWorkerInfo(address);
  }

  private async waitForHttp(name: string, url: string): Promise<void> {
    await this.until(name, async () => (await fetch(url).catch(() => undefined))?.ok ?? false);
  }

  /** Polls `ready` until it holds; fails when the service exits or the start-up timeout passes. */
  private async until(name: string, ready: () => Promise<boolean>): Promise<void> {
    const service = this.services.find((s) => s.name === name);
    const deadline = Date.now() + this.config.SLM_STARTUP_TIMEOUT_MS;
    while (!(await ready())) {
      if (this.stopping) throw new Error('stopped during start-up');
      if (service && service.child.exitCode !== null) throw new Error(`${name} exited with code ${service.child.exitCode} during start-up`);
      if (Date.now() > deadline) throw new Error(`${name} was not healthy after ${this.config.SLM_STARTUP_TIMEOUT_MS} ms`);
      await sleep(200);
    }
  }

  /** Resolves when a signal stopped the stack (0) or a service died (1, and the rest are stopped). */
  private untilStopped(): Promise<number> {
    return new Promise((resolve) => {
      for (const service of this.services) {
        void exitOf(service.child).then((code) => {
          if (!this.stopping) this.print(`slm up: ${service.name} exited with code ${code}; stopping the stack`);
          void this.stop(this.stopping ? 'signal' : 'failure').then(resolve);
        });
      }
      if (this.stopping) void this.stopping.then(resolve);
    });
  }

  private stop(reason: 'signal' | 'failure'): Promise<number> {
    this.stopping ??= (async () => {
      if (reason === 'signal') this.print('slm up: stopping (router, then workers, then Redis)…');
      // The router first (no new work), then the workers (in-flight jobs finish or go back to the queue), Redis last.
      const order = ['router', ...DOMAINS.map((d) => `${d}-worker`), 'redis'];
      const groups = [order.slice(0, 1), order.slice(1, 4), order.slice(4)];
      for (const group of groups) {
        await Promise.all(
          this.services
            .filter((s) => group.includes(s.name))
            .map(async (s) => {
              if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
              await exitOf(s.child);
            }),
        );
      }
      return reason === 'signal' ? 0 : 1;
    })();
    return this.stopping;
  }
}

const healthDefinition = () =>
  grpc.loadPackageDefinition(
    protoLoader.loadSync(path.join(path.dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto'), { enums: String }),
  ) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };

/** True when the server at `address` answers grpc.health.v1 Check with SERVING. */
export function grpcHealthIsServing(address: string): Promise<boolean> {
  const client = new (healthDefinition().grpc.health.v1.Health)(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.Check({ service: '' }, { deadline: Date.now() + 1000 }, (error: grpc.ServiceError | null, response?: { status: string }) => {
      client.close();
      resolve(!error && response?.status === 'SERVING');
    });
  });
}

function getWorkerInfo(address: string): Promise<GetInfoResponse__Output> {
  const client = new (loadProto().slmrouter.v1.Worker)(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.getInfo({}, { deadline: Date.now() + 5000 }, (error, info) => {
      client.close();
      if (error || !info) reject(new Error(`GetInfo on ${address} failed: ${error?.details ?? 'no answer'}`));
      else resolve(info);
    });
  });
}
