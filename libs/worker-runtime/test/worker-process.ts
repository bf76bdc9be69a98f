import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';

const root = path.resolve(__dirname, '..', '..', '..');

/** A worker app running as a real process from its TypeScript sources (no dependence on dist/). */
export interface WorkerProcess {
  child: ChildProcess;
  grpcPort: number;
  /** Every JSON log line so far. */
  logs: Array<Record<string, unknown>>;
  /** Resolves with the exit code (or 128 + signal number). */
  exited: Promise<number>;
  /** Resolves with the first log line whose msg matches. */
  waitForLog(msg: string | RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/**
 * Spawns `apps/<app>/src/main.ts` (or `options.main`, a path from the repository root, with
 * `options.args`) through tools/jest/swc-register.js; resolves once it logs "worker ready".
 */
export async function spawnWorker(
  app: string,
  env: Record<string, string>,
  options: { main?: string; args?: string[] } = {},
): Promise<WorkerProcess> {
  const main = path.join(root, options.main ?? path.join('apps', app, 'src', 'main.ts'));
  const child = spawn(process.execPath, ['--require', path.join(root, 'tools/jest/swc-register.js'), main, ...(options.args ?? [])], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<{ match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }> = [];
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => (stderr += data.toString()));
  readline.createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    logs.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : signal === 'SIGTERM' ? 143 : 128))),
  );
  const waitForLog = (msg: string | RegExp, timeoutMs = 60_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const match = (line: Record<string, unknown>) => (typeof msg === 'string' ? line['msg'] === msg : msg.test(String(line['msg'])));
      const seen = logs.find(match);
      if (seen) return resolve(seen);
      const timer = setTimeout(
        () => reject(new Error(`${app}: no log "${String(msg)}" within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`)),
        timeoutMs,
      );
      waiters.push({ match, resolve: (line) => (clearTimeout(timer), resolve(line)) });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${app} exited with ${code} before logging "${String(msg)}"; stderr: ${stderr.slice(-2000)}`));
      });
    });
  const ready = await waitForLog('worker ready');
  return { child, grpcPort: Number(ready['grpcPort']), logs, exited, waitForLog };
}

/** Stops a worker process if it still runs (SIGKILL: test cleanup). */
export async function killWorker(worker: WorkerProcess | undefined): Promise<void> {
  if (!worker || worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGKILL');
  await worker.exited;
}

/** A free TCP port on loopback. */
export { freePort } from '@slm/platform';
