import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { WORKER_DOMAINS, envPrefixOf } from '@slm/contracts';
import { createLogger, freePort, startRedisCluster as startPlatformCluster, type RedisClusterProcess } from '@slm/platform';
import { getJson, postJson, startHarness, untilReady, type Harness } from './router-harness';
import { InstantEngine, startWorker, type GenerationRequest, type RunningWorker } from '@slm/worker-runtime';
import { testPolicy } from './real-worker';

const run = promisify(execFile);
/** util-linux's setpriv, where there is one (Linux). */
const SETPRIV =
  process.platform === 'linux' &&
  (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, 'setpriv')));

/** A redis-server (plain, cluster node or sentinel) started by a test. */
export interface LocalRedis {
  port: number;
  child: ChildProcess;
  /** SIGKILL, like a crashed machine; resolves once the process is gone. */
  kill(): Promise<void>;
}

/** Redis processes a test started, and their folder: {@link stopAll} ends them all, even after a failure. */
export class LocalRedisGroup {
  readonly processes: LocalRedis[] = [];
  private readonly clusters: RedisClusterProcess[] = [];
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-redis-'));

  /** Starts `redis-server` with `args` on a free loopback port; resolves once it accepts connections. */
  async start(args: string[], config?: string): Promise<LocalRedis> {
    const port = await freePort();
    const file = config === undefined ? [] : [this.writeConfig(port, config)];
    // setpriv: the kernel kills the server when this process dies, however it dies (a test killed by a timeout included).
    const child = spawn(
      SETPRIV ? 'setpriv' : 'redis-server',
      [
        ...(SETPRIV ? ['--pdeathsig', 'SIGKILL', '--', 'redis-server'] : []),
        ...file,
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
        ...args,
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const node: LocalRedis = {
      port,
      child,
      kill: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      },
    };
    this.processes.push(node);
    await new Promise<void>((resolve, reject) => {
      let output = '';
      child.once('exit', (code) => reject(new Error(`redis-server on port ${port} exited with code ${code} during start-up: ${output}`)));
      child.stdout?.on('data', (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-2000);
        if (/Ready to accept connections|Sentinel ID is/.test(output)) resolve();
      });
    });
    return node;
  }

  /** Takes a cluster started elsewhere into the group: its nodes are killed and its files removed by {@link stopAll}. */
  adopt(cluster: RedisClusterProcess): LocalRedis[] {
    this.clusters.push(cluster);
    const nodes = cluster.nodes.map(({ port, child, stop }) => ({ port, child, kill: () => stop('SIGKILL') }));
    this.processes.push(...nodes);
    return nodes;
  }

  /** SIGKILLs every process started here and removes the folders. */
  async stopAll(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.kill()));
    await Promise.all(this.clusters.map((cluster) => cluster.stop('SIGKILL')));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private writeConfig(port: number, text: string): string {
    const file = path.join(this.dir, `redis-${port}.conf`);
    fs.writeFileSync(file, text);
    return file;
  }
}

/** `redis-cli -p <port> <args…>`'s output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  return (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args])).stdout;
}

/** Polls `check` every 100 ms until it holds, failing after `ms` with `what`. */
export async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 100))) {
    if (await check().catch(() => false)) return;
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** A Redis Cluster of three masters with one replica each, on loopback. */
export interface LocalRedisCluster {
  /** REDIS_URL naming it: every node, comma-separated. */
  url: string;
  nodes: LocalRedis[];
  /** The node serving `key`'s slot as master now. */
  masterOf(key: string): Promise<LocalRedis>;
}

/** The platform's six-node cluster (startRedisCluster: three masters, a replica each, 1 s node timeout), owned by `group`. */
export async function startRedisCluster(group: LocalRedisGroup): Promise<LocalRedisCluster> {
  const nodes = group.adopt(await startPlatformCluster({ boundToParent: true }));
  return {
    url: nodes.map((n) => `redis://127.0.0.1:${n.port}`).join(','),
    nodes,
    async masterOf(key: string) {
      const alive = nodes.find((n) => n.child.exitCode === null && n.child.signalCode === null) as LocalRedis;
      const slot = Number((await redisCli(alive.port, 'cluster', 'keyslot', key)).trim());
      const shards = (await redisCli(alive.port, 'cluster', 'nodes')).trim().split('\n');
      for (const line of shards) {
        const fields = line.split(' ');
        if (!fields[2]?.includes('master') || fields[2].includes('fail')) continue;
        const port = Number(/:(\d+)@/.exec(fields[1] ?? '')?.[1]);
        const owns = fields.slice(8).some((range) => {
          const [from, to] = range.split('-').map(Number);
          return from !== undefined && slot >= from && slot <= (to ?? from);
        });
        const node = nodes.find((n) => n.port === port);
        if (owns && node) return node;
      }
      throw new Error(`no master serves slot ${slot}`);
    },
  };
}

/** One master, one replica and three sentinels watching it (quorum 2) on loopback. */
export interface LocalSentinelGroup {
  /** REDIS_URL naming it: `redis-sentinel://…/<name>`. */
  url: string;
  name: string;
  master: LocalRedis;
  replica: LocalRedis;
  sentinels: LocalRedis[];
}

/** Starts a master, its replica and three sentinels that fail over after 1 s without the master. */
export async function startSentinelGroup(group: LocalRedisGroup, name = 'slm'): Promise<LocalSentinelGroup> {
  const master = await group.start([]);
  const replica = await group.start(['--replicaof', '127.0.0.1', String(master.port)]);
  await until('the replica to sync', async () => (await redisCli(replica.port, 'info', 'replication')).includes('master_link_status:up'));
  const sentinels: LocalRedis[] = [];
  for (let i = 0; i < 3; i++) {
    sentinels.push(
      await group.start(
        ['--sentinel'],
        [
          `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      ),
    );
  }
  await until('every sentinel to know the replica and the other sentinels', async () => {
    const views = await Promise.all(sentinels.map((s) => redisCli(s.port, 'sentinel', 'master', name)));
    return views.every((view) => /num-slaves\n1\n/.test(view) && /num-other-sentinels\n2\n/.test(view));
  });
  return { url: `redis-sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${name}`, name, master, replica, sentinels };
}

/** Instant-engine workers of the three domains consuming their queues, counting how often each problem text was solved. */
export class InstantQueueWorkers {
  readonly solved = new Map<string, number>();
  private readonly workers: RunningWorker[] = [];

  async start(redisUrl: string, prefix: string): Promise<this> {
    for (const domain of WORKER_DOMAINS) {
      const p = envPrefixOf(domain);
      const policy = testPolicy(domain);
      const solved = this.solved;
      const engine = new (class extends InstantEngine {
        override generate(request: GenerationRequest) {
          const text = request.messages.at(-1)?.content ?? '';
          solved.set(text, (solved.get(text) ?? 0) + 1);
          return super.generate(request);
        }
      })({ maxConcurrency: 16, maxQueue: 16 });
      this.workers.push(
        await startWorker(policy, {
          env: {
            REDIS_URL: redisUrl,
            QUEUE_PREFIX: prefix,
            LOG_LEVEL: 'silent',
            [`${p}GRPC_PORT`]: '0',
            [`${p}GRPC_HOST`]: '127.0.0.1',
            [`${p}QUEUE_CONCURRENCY`]: '16',
          },
          logger: createLogger('test', 'silent'),
          engineFactory: async () => engine,
        }),
      );
    }
    return this;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
  }
}

// --- Batches over these topologies, as the cluster and sentinel tests submit and check them ---

const DOMAIN_TEXT = ['integral of x', 'python function', 'atom energy'];
/** Problems of the batches these tests submit (a third per domain). */
export const BATCH = 2000;

/** The batch's status, or undefined while the router answers otherwise (503 during a failover). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function statusOf(h: Harness, batchId: string): Promise<Record<string, any> | undefined> {
  const { status, json } = await getJson(`${h.base}/v1/batches/${batchId}`).catch(() => ({ status: 0, json: undefined }));
  return status === 200 ? json.status : undefined;
}

/** Submits a {@link BATCH}-problem batch over the three domains, requestIds `<tag>-<i>`. */
export async function submitBatch(h: Harness, tag: string): Promise<string> {
  const problems = Array.from({ length: BATCH }, (_, i) => ({ text: `${DOMAIN_TEXT[i % 3]} ${tag} #${i}`, requestId: `${tag}-${i}` }));
  const submitted = await postJson(`${h.base}/v1/batches`, { problems });
  expect(submitted.status).toBe(202);
  return submitted.json.batchId as string;
}

/** Every problem has exactly one completed item, in input order, each solved exactly once. */
export async function expectCompleteAndSolvedOnce(h: Harness, workers: InstantQueueWorkers, batchId: string, tag: string): Promise<void> {
  let final: Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  await until('the batch to complete', async () => (final = await statusOf(h, batchId))?.state === 'BATCH_STATE_COMPLETED', 60_000);
  expect(final).toMatchObject({ total: BATCH, progress: 1, counts: { completed: BATCH, failed: 0, cancelled: 0, queued: 0, active: 0 } });
  expect(final?.byDomain.map((d: { counts: { completed: number } }) => d.counts.completed)).toEqual([667, 667, 666]);
  const text = await (await fetch(`${h.base}/v1/batches/${batchId}/results`)).text();
  const items = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  expect(items.map((item) => item.index)).toEqual(Array.from({ length: BATCH }, (_, i) => i));
  expect(items.every((item, i) => item.result?.requestId === `${tag}-${i}`)).toBe(true);
  const runs = Array.from({ length: BATCH }, (_, i) => workers.solved.get(`${DOMAIN_TEXT[i % 3]} ${tag} #${i}`) ?? 0);
  expect(runs.filter((n) => n !== 1)).toEqual([]);
}

/** A router and the instant queue workers on a Redis topology a test starts; filled in by the hooks of {@link batchStackOn}. */
export interface BatchStack<T> {
  group: LocalRedisGroup;
  topology: T;
  h: Harness;
  workers: InstantQueueWorkers;
}

/**
 * Registers the `beforeAll`/`afterAll` of a describe block: `start` the topology (its REDIS_URL),
 * a router taking {@link BATCH}-problem batches and the instant queue workers on it; everything is
 * stopped afterwards, the Redis processes even after a failure.
 */
export function batchStackOn<T extends { url: string }>(start: (group: LocalRedisGroup) => Promise<T>): BatchStack<T> {
  const stack = { group: new LocalRedisGroup() } as BatchStack<T>;
  beforeAll(async () => {
    stack.topology = await start(stack.group);
    stack.h = await startHarness({ REDIS_URL: stack.topology.url, ROUTER_MAX_BATCH_SIZE: String(BATCH) });
    await untilReady(stack.h);
    stack.workers = await new InstantQueueWorkers().start(stack.topology.url, stack.h.prefix);
  }, 60_000);
  afterAll(async () => {
    await stack.workers?.close();
    await stack.h?.close();
    await stack.group.stopAll();
  }, 30_000);
  return stack;
}
