import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

/** The repository root (bin/, dist/ and apps/ live there), found from this file in sources or dist/. */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'bin', 'slm.js')) && fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`repository root not found above ${__dirname}`);
  }
}

/** The compiled entry point of an app (apps never import apps: the CLI runs them as processes). */
export function appMain(app: string): string {
  const main = path.join(repoRoot(), 'dist', 'apps', app, 'src', 'main.js');
  if (!fs.existsSync(main)) throw new Error(`${path.relative(repoRoot(), main)} is missing: run \`npm run build\` first`);
  return main;
}

export interface ServiceProcessOptions {
  /** Extra environment on top of this process's. */
  env?: Record<string, string>;
  /** Prefix every output line with `[label]` (for several services sharing one terminal). */
  label?: string;
}

/**
 * Starts a Node service as a child process, its output passed through (prefixed when labelled).
 *
 * The child gets a process group of its own, so a terminal's Ctrl-C reaches only us and we decide
 * the order of the shutdown (and the child never receives the same signal twice), and an IPC
 * channel whose end tells it that we are gone, however we died (SIGKILL included): it then shuts
 * down by itself (`handleShutdown` in @slm/platform). No orphan is left behind.
 */
export function startServiceProcess(main: string, args: readonly string[], options: ServiceProcessOptions = {}): ChildProcess {
  const child = spawn(process.execPath, [main, ...args], {
    env: { ...process.env, ...options.env },
    stdio: options.label ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  if (options.label) {
    for (const [stream, sink] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ] as const) {
      if (stream) readline.createInterface({ input: stream }).on('line', (line) => sink.write(`[${options.label}] ${line}\n`));
    }
  }
  return child;
}

/** How a child process ended: with an exit code, or killed by a signal (one of the two is set). */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Resolves when the child has exited, however it ended (also when it already had). */
export function exitStatusOf(child: ChildProcess): Promise<ExitStatus> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** `exited with code 3` or `was killed by SIGKILL`. */
export function describeExit(status: ExitStatus): string {
  return status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
}

/** Resolves with the child's exit code, 128 + the signal's number when a signal ended it (as shells do). */
export async function exitOf(child: ChildProcess): Promise<number> {
  const { code, signal } = await exitStatusOf(child);
  return code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1);
}

/**
 * Runs one app in the foreground (`slm worker math`, `slm serve router`): SIGINT/SIGTERM are passed
 * to it so it can shut down gracefully, and its exit code becomes ours.
 */
export async function runServiceInForeground(app: string, args: readonly string[] = [], env: Record<string, string> = {}): Promise<number> {
  const child = startServiceProcess(appMain(app), args, { env });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    return await exitOf(child);
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

/** A service started by {@link startLoggingService}: the process and its "ready" log line. */
export interface LoggingService {
  child: ChildProcess;
  ready: Record<string, unknown>;
}

/**
 * Starts a service whose JSON log goes to stdout and resolves with its first line whose `msg` is
 * `readyMessage` (which names the ports it bound: start it on port 0 and no other process can take
 * them first). When it exits before that, the error quotes the last lines it wrote, so a failed
 * start says why; one that never gets ready is killed.
 */
export function startLoggingService(
  main: string,
  env: Record<string, string>,
  readyMessage: string,
  timeoutMs = 60_000,
): Promise<LoggingService> {
  const child = spawn(process.execPath, [main], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const recent: string[] = [];
  const keep = (line: string) => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
  };
  readline.createInterface({ input: child.stderr! }).on('line', keep);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${path.relative(repoRoot(), main)}: no "${readyMessage}" within ${timeoutMs} ms:\n${recent.join('\n')}`));
    }, timeoutMs);
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (text) => {
      keep(text);
      let line: Record<string, unknown> | undefined;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return;
      }
      if (line?.['msg'] === readyMessage) {
        clearTimeout(timer);
        // From now on its log is drained unread: reading it would cost the caller (a bench) CPU.
        lines.close();
        child.stdout?.resume();
        resolve({ child, ready: line });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`${path.relative(repoRoot(), main)} ${describeExit({ code, signal })} before "${readyMessage}":\n${recent.join('\n')}`),
      );
    });
  });
}
