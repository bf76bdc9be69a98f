import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { REDIS_TLS_CA_PARAM } from './redis-tls';

const execFileAsync = promisify(execFile);

/** A TCP port on 127.0.0.1 that was free a moment ago (for services, tests and benchmarks). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServerOptions {
  /** Port on 127.0.0.1. Default: a free one. */
  port?: number;
  /** Folder for the append-only file. Required when `appendFsync` is set. */
  dir?: string;
  /** Keep an append-only file, fsynced `always` or `everysec`. Default: no persistence. */
  appendFsync?: 'always' | 'everysec';
  /**
   * Tie Redis to this process, as `slm up` does: a process group of its own (a terminal's Ctrl-C
   * reaches only us, and we stop Redis last) and, on Linux with util-linux's `setpriv`, SIGTERM from
   * the kernel when this process dies, however it dies. Default false.
   */
  boundToParent?: boolean;
  /**
   * Require this password (`--requirepass`, the `default` user's). The returned `url` carries it
   * (percent-encoded). Default: none. It is passed on the command line, which other local users can
   * read with `ps`: the protection aimed at is against other programs and hosts, not local users.
   */
  password?: string;
  /**
   * Serve TLS only (`--tls-port` on `port`, no plaintext port) with this PEM certificate and key;
   * clients are not asked for certificates. The returned `url` is `rediss://…` and names `caFile`
   * in its `tlsCaFile` parameter, so clients trust the certificate. Default: plaintext.
   */
  tls?: { certFile: string; keyFile: string; caFile: string };
  /** More `redis-server` arguments (cluster mode, for one). */
  args?: string[];
}

/** A redis-server child process started by {@link startRedisServer}. */
export interface RedisServerProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Stops it (SIGTERM flushes the append-only file; SIGKILL simulates a crash) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts the `redis-server` on PATH on loopback and resolves once it accepts connections.
 * Used by `slm up`, the router benchmark and tests that stop and restart Redis.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerProcess> {
  const port = options.port ?? (await freePort());
  const persistence = options.appendFsync
    ? ['--appendonly', 'yes', '--appendfsync', options.appendFsync, '--dir', options.dir ?? '.']
    : ['--appendonly', 'no'];
  const auth = options.password ? ['--requirepass', options.password] : [];
  const transport = options.tls
    ? [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        options.tls.certFile,
        '--tls-key-file',
        options.tls.keyFile,
        '--tls-ca-cert-file',
        options.tls.caFile,
        '--tls-auth-clients',
        'no',
      ]
    : ['--port', String(port)];
  const redis = ['redis-server', ...transport, '--bind', '127.0.0.1', '--save', '', ...persistence, ...auth, ...(options.args ?? [])];
  const command = options.boundToParent ? [...parentDeathSignalPrefix(), ...redis] : redis;
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], detached: options.boundToParent ?? false });
  await new Promise<void>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new Error(`cannot start redis-server (install it, e.g. apt-get install redis-server, or set REDIS_URL): ${error.message}`)),
    );
    child.once('exit', (code) => reject(new Error(`redis-server on port ${port} exited with code ${code} during start-up`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) resolve();
    });
  });
  return {
    url: redisUrlOf(port, options),
    port,
    child,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
}

/** A Redis Cluster started by {@link startRedisCluster}. */
export interface RedisClusterProcess {
  /** The REDIS_URL naming it: every node, comma-separated. */
  readonly url: string;
  readonly nodes: readonly RedisServerProcess[];
  /** Stops every node and removes their cluster files. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Six cluster-mode `redis-server`s on loopback, joined by `redis-cli --cluster create` into three
 * masters with a replica each. `cluster-node-timeout` is 1 s, so a killed master's replica takes
 * over within seconds. Resolves once every node sees the cluster ok. For tests and benchmarks.
 */
export async function startRedisCluster(options: Pick<RedisServerOptions, 'boundToParent'> = {}): Promise<RedisClusterProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-redis-cluster-'));
  const nodes: RedisServerProcess[] = [];
  const stop = async (signal?: NodeJS.Signals) => {
    await Promise.all(nodes.map((node) => node.stop(signal)));
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 6; i++) {
      // Its own folder: a node that found a dump.rdb in the working directory would start non-empty and never join.
      const args = [
        '--dir',
        dir,
        '--cluster-enabled',
        'yes',
        '--cluster-node-timeout',
        '1000',
        '--cluster-replica-validity-factor',
        '0',
        '--cluster-config-file',
        `nodes-${i}.conf`,
      ];
      nodes.push(await startRedisServer({ ...options, args }));
    }
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await execFileAsync('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes']);
    for (const end = Date.now() + 30_000; ; await new Promise((resolve) => setTimeout(resolve, 100))) {
      const infos = await Promise.all(
        nodes.map((node) =>
          execFileAsync('redis-cli', ['-p', String(node.port), 'cluster', 'info']).then(
            (r) => r.stdout,
            () => '',
          ),
        ),
      );
      if (infos.every((info) => info.includes('cluster_state:ok') && info.includes('cluster_known_nodes:6'))) break;
      if (Date.now() > end) throw new Error('the Redis Cluster did not become ok within 30 s');
    }
    return { url: nodes.map((node) => `redis://127.0.0.1:${node.port}`).join(','), nodes, stop };
  } catch (error) {
    await stop('SIGKILL');
    throw error;
  }
}

function redisUrlOf(port: number, options: RedisServerOptions): string {
  const userinfo = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  if (!options.tls) return `redis://${userinfo}127.0.0.1:${port}`;
  return `rediss://${userinfo}127.0.0.1:${port}?${REDIS_TLS_CA_PARAM}=${encodeURIComponent(options.tls.caFile)}`;
}

/**
 * `setpriv --pdeathsig SIGTERM --` where util-linux has it (Linux): it asks the kernel to send the
 * command SIGTERM when its parent dies, then execs it (same pid). Redis cannot watch its parent
 * itself. Elsewhere nothing: Redis then outlives a parent killed by SIGKILL.
 */
function parentDeathSignalPrefix(): string[] {
  if (process.platform !== 'linux') return [];
  const found = (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, 'setpriv')));
  return found ? ['setpriv', '--pdeathsig', 'SIGTERM', '--'] : [];
}
