import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { grpcHealthIsServing } from '../src/stack-launcher';
import {
  childPidWith,
  descendantPids,
  instantStackVariables,
  isRunning,
  killAll,
  startStackProcess,
  waitUntil,
  type StackProcess,
} from './stack-processes';

// The stack's life as its supervisor sees it, on the real processes started as a user starts them
// (`slm up`, `npm start`; built code, the stack's own Redis, the instant engine so that starts are
// quick): a worker killed by SIGKILL (what the out-of-memory killer does) comes back; one that keeps
// dying makes the stack stop with exit code 1; SIGTERM or SIGINT to npm stops everything with exit
// code 0; and when the supervisor itself is SIGKILLed, no service outlives it.

const repo = path.resolve(__dirname, '..', '..', '..');
const slm = path.join(repo, 'bin', 'slm.js');

describe('slm up: supervision, signals and no orphans', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-lifecycle-'));
  const started: StackProcess[] = [];
  const seen = new Set<number>(); // every pid a test saw, killed in afterEach if still there

  type StackEnv = NodeJS.ProcessEnv & { ROUTER_HTTP_PORT: string; CODE_WORKER_GRPC_PORT: string };

  async function stackEnv(extra: Record<string, string> = {}): Promise<StackEnv> {
    const env: StackEnv = {
      ...process.env,
      ...(await instantStackVariables(fs.mkdtempSync(path.join(work, 'data-')), path.join(work, 'models'))),
      npm_config_update_notifier: 'false',
      // Short grace periods: a service that waits on something open (the test's keep-alive
      // connection to the router, say) is still gone well inside the waits below (grace + the
      // workers' 10 s hard deadline), however slow the machine.
      ROUTER_SHUTDOWN_GRACE_MS: '3000',
      MATH_WORKER_SHUTDOWN_GRACE_MS: '3000',
      CODE_WORKER_SHUTDOWN_GRACE_MS: '3000',
      SCIENCE_WORKER_SHUTDOWN_GRACE_MS: '3000',
      ...extra,
    };
    delete env.REDIS_URL; // `slm up` starts its own redis-server, one more child that must not be orphaned
    return env;
  }

  async function up(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<StackProcess> {
    const stack = startStackProcess(command, args, { env, cwd: repo });
    started.push(stack);
    await stack.line(/^Press Ctrl-C to stop\.$/);
    processesOf(stack);
    return stack;
  }

  /** The stack's processes now: `slm up` (or npm and what it runs) and every service under it. */
  function processesOf(stack: StackProcess): number[] {
    const pids = [stack.child.pid!, ...descendantPids(stack.child.pid!)];
    for (const pid of pids) seen.add(pid);
    return pids;
  }

  /** The pid of the `slm up` process (npm's child, when started by npm). */
  function launcherPid(stack: StackProcess): number {
    return childPidWith(stack.child.pid!, 'bin/slm.js up') ?? stack.child.pid!;
  }

  async function solveMath(env: { ROUTER_HTTP_PORT: string }): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${env.ROUTER_HTTP_PORT}/v1/solve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'What is 2 + 2?', domain: 'math' }),
    }).catch(() => undefined);
    return res?.status ?? 0;
  }

  afterEach(() => {
    for (const stack of started.splice(0)) processesOf(stack);
    killAll([...seen].filter(isRunning));
    seen.clear();
  });

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('restarts a worker killed by SIGKILL and says how it died; SIGKILL to slm up leaves no service behind', async () => {
    const env = await stackEnv({ SLM_RESTART_BACKOFF_MS: '100' });
    const stack = await up(process.execPath, [slm, 'up'], env);
    const worker = childPidWith(stack.child.pid!, 'code-worker/src/main.js')!;
    expect(worker).toBeGreaterThan(0);

    const mark = stack.output.length;
    process.kill(worker, 'SIGKILL');
    await stack.line(/^slm up: code-worker was killed by SIGKILL; restarting it in 100 ms/, { from: mark, timeoutMs: 10_000 });
    const back = await stack.line(/^slm up: code-worker is back \(pid (\d+)\)$/, { from: mark, timeoutMs: 60_000 });
    const restarted = Number(back[1]);
    expect(restarted).not.toBe(worker);
    expect(childPidWith(stack.child.pid!, 'code-worker/src/main.js')).toBe(restarted);
    expect(await grpcHealthIsServing(`127.0.0.1:${env.CODE_WORKER_GRPC_PORT}`)).toBe(true);
    expect(stack.child.exitCode).toBeNull();

    // The stack as a whole serves again through the router (which re-checks worker health every 2 s).
    await waitUntil(
      async () => (await fetch(`http://127.0.0.1:${env.ROUTER_HTTP_PORT}/readyz`).catch(() => undefined))?.ok ?? false,
      20_000,
      'the router to be ready again',
    );
    expect(await solveMath(env)).toBe(200);

    const services = processesOf(stack).filter((pid) => pid !== stack.child.pid);
    expect(services).toHaveLength(5); // redis, three workers, router
    stack.child.kill('SIGKILL');
    await stack.exited;
    // Each Node service sees its IPC channel close and shuts down; the kernel sends Redis SIGTERM.
    await waitUntil(() => services.every((pid) => !isRunning(pid)), 30_000, `no service left of ${services.join(', ')}`);
  }, 180_000);

  it('gives up on a service that keeps dying: the stack stops, exits 1 and leaves no process behind', async () => {
    const env = await stackEnv({ SLM_RESTART_LIMIT: '2', SLM_RESTART_WINDOW_MS: '60000', SLM_RESTART_BACKOFF_MS: '100' });
    const stack = await up(process.execPath, [slm, 'up'], env);
    const pids = new Set(processesOf(stack));

    for (let death = 1; death <= 2; death++) {
      const mark = stack.output.length;
      const worker = childPidWith(stack.child.pid!, 'code-worker/src/main.js')!;
      process.kill(worker, 'SIGKILL');
      await stack.line(
        new RegExp(
          `^slm up: code-worker was killed by SIGKILL; restarting it in ${100 * 2 ** (death - 1)} ms \\(restart ${death} of at most 2`,
        ),
        { from: mark, timeoutMs: 10_000 },
      );
      pids.add(Number((await stack.line(/^slm up: code-worker is back \(pid (\d+)\)$/, { from: mark, timeoutMs: 60_000 }))[1]));
    }
    const mark = stack.output.length;
    for (const pid of processesOf(stack)) pids.add(pid);
    process.kill(childPidWith(stack.child.pid!, 'code-worker/src/main.js')!, 'SIGKILL');
    await stack.line(
      /^slm up: code-worker was killed by SIGKILL; it was restarted 2 times within 60000 ms \(SLM_RESTART_LIMIT 2\): giving up, stopping the stack$/,
      {
        from: mark,
        timeoutMs: 10_000,
      },
    );
    expect(await stack.exited).toEqual({ code: 1, signal: null });
    expect([...pids].filter(isRunning)).toEqual([]);
  }, 180_000);

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to the `npm start` process stops every process of the stack; npm exits 0',
    async (signal) => {
      const env = await stackEnv();
      const stack = await up('npm', ['start'], env);
      const pids = processesOf(stack);
      expect(pids.length).toBeGreaterThanOrEqual(7); // npm, slm up, redis, three workers, router
      expect(pids).toContain(launcherPid(stack));

      const stopping = Date.now();
      stack.child.kill(signal);
      expect(await stack.exited).toEqual({ code: 0, signal: null });
      expect(pids.filter(isRunning)).toEqual([]);
      expect(Date.now() - stopping).toBeLessThan(30_000);
      expect(stack.output).toContain(`slm up: ${signal}: stopping (router, then workers, then Redis)…`);
    },
    180_000,
  );
});
