import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import * as net from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@slm/platform';

// The router process (built code, as `slm serve router` and the container run it) on SIGTERM: it
// stops at once when nothing holds it, and within ROUTER_SHUTDOWN_GRACE_MS when something does (a
// stuck connection, a leaked socket), saying what was still open. Needs `npm run build`.

const main = path.resolve(__dirname, '../../../dist/apps/router/src/main.js');
const GRACE_MS = 2000;
/** Time allowed on top of the grace period for the exit itself on a busy machine. */
const MARGIN_MS = 5000;

interface RouterProcess {
  child: ChildProcess;
  httpPort: number;
  /** The JSON log lines so far. */
  logs: { msg?: string; [key: string]: unknown }[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('router process: shutdown is bounded by ROUTER_SHUTDOWN_GRACE_MS', () => {
  const started: ChildProcess[] = [];

  async function startRouterProcess(): Promise<RouterProcess> {
    const [httpPort, grpcPort, ...workerPorts] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        ROUTER_HTTP_PORT: String(httpPort),
        ROUTER_GRPC_PORT: String(grpcPort),
        ROUTER_HOST: '127.0.0.1',
        QUEUE_PREFIX: `shutdown${randomUUID().slice(0, 8)}`,
        // No worker listens there: the router starts and serves all the same (its readiness says no).
        MATH_WORKER_ADDRESSES: `127.0.0.1:${workerPorts[0]}`,
        CODE_WORKER_ADDRESSES: `127.0.0.1:${workerPorts[1]}`,
        SCIENCE_WORKER_ADDRESSES: `127.0.0.1:${workerPorts[2]}`,
        ROUTER_SHUTDOWN_GRACE_MS: String(GRACE_MS),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    started.push(child);
    const logs: RouterProcess['logs'] = [];
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ msg: line });
      }
    });
    // 'close' comes after 'exit' once the output is read to its end: the last log lines included.
    const exited = once(child, 'close').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`the router exited with ${child.exitCode} during start-up: ${JSON.stringify(logs.slice(-5))}`);
      if ((await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => undefined))?.ok) break;
      await sleep(100);
    }
    return { child, httpPort, logs, exited };
  }

  /** Sends SIGTERM and waits for the exit, at most grace + margin; resolves with how and when it ended. */
  async function sigterm(router: RouterProcess): Promise<{ code: number | null; ms: number }> {
    const sent = Date.now();
    router.child.kill('SIGTERM');
    const patience = new AbortController();
    const ended = await Promise.race([
      router.exited,
      sleep(GRACE_MS + MARGIN_MS, undefined, { signal: patience.signal }).catch(() => undefined),
    ]);
    patience.abort();
    if (!ended) throw new Error(`still running ${GRACE_MS + MARGIN_MS} ms after SIGTERM (grace ${GRACE_MS} ms)`);
    return { code: ended.code, ms: Date.now() - sent };
  }

  afterEach(() => {
    for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('exits 0 at once when nothing holds it', async () => {
    const router = await startRouterProcess();
    const { code, ms } = await sigterm(router);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(GRACE_MS);
    expect(router.logs.slice(-6).map((l) => l.msg)).toContain('stopped');
  });

  it('a stuck connection holds it no longer than the grace period: exit 1, and the log names the open socket', async () => {
    const router = await startRouterProcess();
    // A request whose body never comes: the HTTP server cannot close while it is in progress.
    const stuck = net.connect(router.httpPort, '127.0.0.1');
    stuck.on('error', () => undefined);
    await once(stuck, 'connect');
    const clientPort = stuck.localPort;
    stuck.write(
      [
        'POST /v1/solve HTTP/1.1',
        'Host: 127.0.0.1',
        'Content-Type: application/json',
        'Content-Length: 100',
        'Expect: 100-continue',
        '',
        '',
      ].join('\r\n'),
    );
    const [interim] = (await once(stuck, 'data')) as [Buffer];
    expect(interim.toString()).toMatch(/^HTTP\/1\.1 100 Continue/); // the server is reading this request now

    const { code, ms } = await sigterm(router);
    stuck.destroy();
    expect(code).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(GRACE_MS - 100);
    const forced = router.logs.find((l) => l.msg === 'shutdown did not finish within the grace period: exiting anyway') as
      { graceMs: number; closed: boolean; open: { resources: Record<string, number>; sockets: string[] } } | undefined;
    expect(forced).toMatchObject({ graceMs: GRACE_MS, closed: false }); // the close itself hung on the connection
    expect(forced?.open.resources.TCPSocketWrap).toBeGreaterThanOrEqual(1);
    expect(forced?.open.sockets).toContain(`127.0.0.1:${router.httpPort} <-> 127.0.0.1:${clientPort}`);
  });
});
