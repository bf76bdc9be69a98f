import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@slm/platform';

// Helpers of the end-to-end suites that start the whole stack as a user does (`slm up`, `npm start`)
// and check which processes it leaves behind.

/** The pids of a process's direct children. */
export function childPids(pid: number): number[] {
  return childProcesses(pid).map((p) => p.pid);
}

/** The pids of a process's children, grandchildren and so on. */
export function descendantPids(pid: number): number[] {
  return childPids(pid).flatMap((child) => [child, ...descendantPids(child)]);
}

/** The pid of the child of `pid` whose command line contains `marker` (e.g. `math-worker/src/main.js`). */
export function childPidWith(pid: number, marker: string): number | undefined {
  return childProcesses(pid).find((p) => p.args.includes(marker))?.pid;
}

function childProcesses(pid: number): { pid: number; args: string }[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ pid: Number(m[1]), args: m[2]! }));
  } catch {
    return []; // ps exits 1 when there are none
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until `condition` holds; fails with `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** A started stack process (`slm up`, or `npm start` around it) and everything it printed. */
export interface StackProcess {
  readonly child: ChildProcess;
  readonly output: string[];
  /** Settles when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * The first line from `output[from]` on (printed already or later) that matches; fails if the
   * process exits first or after `timeoutMs`.
   */
  line(pattern: RegExp, options?: { from?: number; timeoutMs?: number }): Promise<RegExpExecArray>;
}

/** Spawns `command` with its stdout and stderr collected line by line. */
export function startStackProcess(command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string }): StackProcess {
  const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      for (const wake of waiters) wake();
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    for (const wake of waiters) wake();
  });
  const line = (pattern: RegExp, { from = 0, timeoutMs = 120_000 }: { from?: number; timeoutMs?: number } = {}) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${output.slice(-40).join('\n')}`)),
        timeoutMs,
      );
      const finish = (result: RegExpExecArray | Error) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const check = () => {
        for (const text of output.slice(from)) {
          const match = pattern.exec(text);
          if (match) return finish(match);
        }
        if (hasExited) finish(new Error(`exited before printing a line matching ${pattern}:\n${output.slice(-40).join('\n')}`));
      };
      waiters.add(check);
      check();
    });
  return { child, output, exited, line };
}

/** SIGKILLs whatever of these processes still runs (clean-up after a failed test). */
export function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * The variables of an `slm up` whose services run the instant engine on free loopback ports, with
 * its data under `dataDir` and models under `modelsDir`.
 */
export async function instantStackVariables(
  dataDir: string,
  modelsDir: string,
): Promise<Record<string, string> & { ROUTER_HTTP_PORT: string; CODE_WORKER_GRPC_PORT: string }> {
  const [http, grpcPort, math, code, science] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  return {
    SLM_DATA_DIR: dataDir,
    MODELS_DIR: modelsDir,
    ROUTER_HTTP_PORT: String(http),
    ROUTER_GRPC_PORT: String(grpcPort),
    MATH_WORKER_GRPC_PORT: String(math),
    CODE_WORKER_GRPC_PORT: String(code),
    SCIENCE_WORKER_GRPC_PORT: String(science),
    MATH_WORKER_ENGINE: 'instant',
    CODE_WORKER_ENGINE: 'instant',
    SCIENCE_WORKER_ENGINE: 'instant',
    LOG_LEVEL: 'warn',
  };
}
