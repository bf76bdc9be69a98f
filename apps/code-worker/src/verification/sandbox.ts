import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Writable } from 'node:stream';
import { SandboxError, SandboxErrorCode } from './sandbox.errors';

/** The languages the sandbox can run. */
export type SandboxLanguage = 'python' | 'javascript';

export function isSandboxLanguage(language: string): language is SandboxLanguage {
  return language === 'python' || language === 'javascript';
}

/** Limits of one run. */
export interface SandboxLimits {
  /** Wall-clock deadline; past it the whole process group is killed. Default 5000. */
  timeoutMs: number;
  /** CPU seconds (RLIMIT_CPU); SIGXCPU at the limit, SIGKILL one second later. Default 5. */
  cpuSeconds: number;
  /** Memory for the program. Python: RLIMIT_AS. JavaScript: the V8 heap, plus a fixed address-space
   *  allowance for V8's own reservations (node does not start under ~800 MB of RLIMIT_AS). Default 256. */
  memoryMb: number;
  /** Bytes kept of stdout and of stderr each; one byte more and the run is killed. Default 65536. */
  maxOutputBytes: number;
  /** Processes and threads the program may start (RLIMIT_NPROC, counted inside the sandbox's own
   *  user namespace); node gets its runtime's threads on top. Default 16. */
  maxProcesses: number;
  /** Size of the private /tmp, which is also the working directory and the largest file (RLIMIT_FSIZE). Default 16. */
  tmpfsMb: number;
}

export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  timeoutMs: 5000,
  cpuSeconds: 5,
  memoryMb: 256,
  maxOutputBytes: 64 * 1024,
  maxProcesses: 16,
  tmpfsMb: 16,
});

export interface ProcessSandboxOptions extends Partial<SandboxLimits> {
  /** bubblewrap (Debian package `bubblewrap`). Default /usr/bin/bwrap. */
  bwrapPath?: string;
  /** prlimit (Debian package `util-linux`). Default /usr/bin/prlimit. */
  prlimitPath?: string;
  /** Python interpreter, used with `-I -S` (isolated, no site-packages). Default /usr/bin/python3. */
  pythonPath?: string;
  /** node for JavaScript. Default the running node (process.execPath). */
  nodePath?: string;
  /** When the worker runs as root, the uid/gid the sandbox runs as: RLIMIT_NPROC does not apply to
   *  root, so a fork bomb would only be stopped by the deadline. Default 65534 (nobody). */
  unprivilegedId?: number;
  /** Host folders hidden behind an empty tmpfs, on top of the read-only root: the worker's own
   *  folder holds its config and secrets. Default [process.cwd()] (unless that is / or holds an interpreter). */
  hiddenPaths?: string[];
}

export type SandboxStatus = 'ok' | 'error' | 'timeout' | 'memory' | 'output-limit' | 'killed';

export interface SandboxResult {
  /** ok: exit 0. error: another exit code. timeout: the wall deadline or the CPU limit.
   *  memory: the runtime reported running out of memory. output-limit: stdout or stderr over the cap.
   *  killed: ended by a signal for another reason. */
  status: SandboxStatus;
  exitCode: number | null;
  /** The signal that ended the program, e.g. 'SIGXCPU'. */
  signal: string | null;
  /** At most maxOutputBytes each, decoded as UTF-8. */
  stdout: string;
  stderr: string;
  durationMs: number;
}

const SANDBOX_DIR = '/tmp';
const PROGRAM_FILE: Record<SandboxLanguage, string> = { python: `${SANDBOX_DIR}/main.py`, javascript: `${SANDBOX_DIR}/main.js` };
// V8 reserves its code range and pointer cage up front: node aborts at start under ~800 MB of address space.
const NODE_ADDRESS_SPACE_ALLOWANCE_MB = 1024;
// node's main thread, V8's platform pool (pinned to 1) and libuv's threads.
const NODE_RUNTIME_THREADS = 8;
const PROGRAM_FD = 3;
const STATUS_FD = 4;
// After the kill, how long to wait for the pipes to close before answering anyway.
const CLOSE_GRACE_MS = 2000;

type KillReason = 'timeout' | 'output-limit';

/**
 * Runs one program in a throwaway bubblewrap sandbox: read-only root, fresh /proc and /dev, a
 * private size-capped tmpfs on /tmp (its working directory), no network (an empty network
 * namespace: even 127.0.0.1 reaches nothing), new user/pid/ipc/uts namespaces, no capabilities.
 * prlimit inside the sandbox caps CPU, address space, processes, file size and core dumps; this
 * class adds the wall-clock deadline and the output cap, and kills the process group on either.
 */
export class ProcessSandbox {
  private readonly limits: SandboxLimits;
  private readonly bwrapPath: string;
  private readonly prlimitPath: string;
  private readonly interpreters: Record<SandboxLanguage, string>;
  private readonly unprivilegedId: number;
  private readonly hiddenPaths: string[];

  /** @throws SandboxError SANDBOX_UNAVAILABLE when bwrap or prlimit is missing. */
  constructor(options: ProcessSandboxOptions = {}) {
    this.limits = { ...DEFAULT_SANDBOX_LIMITS, ...definedLimits(options) };
    this.bwrapPath = options.bwrapPath ?? '/usr/bin/bwrap';
    this.prlimitPath = options.prlimitPath ?? '/usr/bin/prlimit';
    this.interpreters = { python: options.pythonPath ?? '/usr/bin/python3', javascript: options.nodePath ?? process.execPath };
    this.unprivilegedId = options.unprivilegedId ?? 65534;
    this.hiddenPaths = (options.hiddenPaths ?? [process.cwd()]).filter((path) => this.canHide(path));
    requireExecutable(this.bwrapPath, 'bubblewrap');
    requireExecutable(this.prlimitPath, 'util-linux');
  }

  /**
   * Runs `program` (source text) and reports how it ended. Never rejects for what the program
   * does; rejects with a SandboxError when the interpreter is missing or the sandbox cannot be built.
   */
  async run(language: SandboxLanguage, program: string, overrides: Partial<SandboxLimits> = {}): Promise<SandboxResult> {
    const limits = { ...this.limits, ...definedLimits(overrides) };
    requireExecutable(this.interpreters[language], language === 'python' ? 'python3' : 'nodejs');
    const runAsRoot = process.getuid?.() === 0;
    const started = Date.now();
    const child = spawn(this.bwrapPath, this.bwrapArgs(language, limits), {
      detached: true, // its own process group, so one kill reaches bwrap and everything under it
      env: {},
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      ...(runAsRoot ? { uid: this.unprivilegedId, gid: this.unprivilegedId } : {}),
    });
    const programPipe = child.stdio[PROGRAM_FD] as Writable | null;
    programPipe?.on('error', () => undefined); // bwrap failing early closes the pipe
    programPipe?.end(program);
    const ended = await watch(child, limits);
    const durationMs = Date.now() - started;
    if (!ended.sandboxStarted && ended.killReason === undefined) {
      throw new SandboxError(
        SandboxErrorCode.SANDBOX_SETUP_FAILED,
        `bubblewrap could not start the sandbox: ${ended.stderr.trim() || `exit code ${ended.exitCode}`}`,
      );
    }
    const signal = ended.signal ?? signalOfExitCode(ended.exitCode);
    return {
      status: statusOf(ended.killReason, ended.exitCode, signal, ended.stderr, language),
      exitCode: signal ? null : ended.exitCode,
      signal,
      stdout: ended.stdout,
      stderr: ended.stderr,
      durationMs,
    };
  }

  private bwrapArgs(language: SandboxLanguage, limits: SandboxLimits): string[] {
    const file = PROGRAM_FILE[language];
    return [
      '--ro-bind',
      '/',
      '/',
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      ...this.hiddenPaths.flatMap((path) => ['--tmpfs', path]),
      '--size',
      String(limits.tmpfsMb * 1024 * 1024),
      '--tmpfs',
      SANDBOX_DIR,
      '--unshare-all',
      '--unshare-user',
      '--unshare-net',
      '--disable-userns',
      '--die-with-parent',
      '--new-session',
      '--cap-drop',
      'ALL',
      '--clearenv',
      '--setenv',
      'PATH',
      '/usr/bin:/bin',
      '--setenv',
      'HOME',
      SANDBOX_DIR,
      '--setenv',
      'LANG',
      'C.UTF-8',
      ...(language === 'javascript' ? ['--setenv', 'UV_THREADPOOL_SIZE', '1'] : []),
      '--json-status-fd',
      String(STATUS_FD),
      '--file',
      String(PROGRAM_FD),
      file,
      '--chdir',
      SANDBOX_DIR,
      '--',
      this.prlimitPath,
      ...prlimitArgs(language, limits),
      '--',
      ...this.interpreterArgs(language, limits),
      file,
    ];
  }

  private interpreterArgs(language: SandboxLanguage, limits: SandboxLimits): string[] {
    switch (language) {
      case 'python':
        return [this.interpreters.python, '-I', '-S', '-X', 'utf8'];
      case 'javascript':
        return [this.interpreters.javascript, `--max-old-space-size=${limits.memoryMb}`, '--v8-pool-size=1'];
      default:
        return assertUnreachable(language);
    }
  }

  // Hiding / would hide everything, and hiding a folder that holds an interpreter breaks the sandbox.
  // A folder the unprivileged sandbox user cannot reach needs no hiding, and bwrap could not mount on it.
  private canHide(path: string): boolean {
    if (path === '/' || !path.startsWith('/')) return false;
    const folder = path.endsWith('/') ? path : `${path}/`;
    if ([...Object.values(this.interpreters), this.prlimitPath].some((binary) => binary.startsWith(folder))) return false;
    return process.getuid?.() !== 0 || reachableByOthers(path);
  }
}

function prlimitArgs(language: SandboxLanguage, limits: SandboxLimits): string[] {
  const addressSpaceMb = language === 'javascript' ? limits.memoryMb + NODE_ADDRESS_SPACE_ALLOWANCE_MB : limits.memoryMb;
  const processes = language === 'javascript' ? limits.maxProcesses + NODE_RUNTIME_THREADS : limits.maxProcesses;
  return [
    // soft < hard: SIGXCPU first (reported as a timeout), SIGKILL a second later if it is ignored.
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    `--as=${addressSpaceMb * 1024 * 1024}`,
    `--nproc=${processes}`,
    `--fsize=${limits.tmpfsMb * 1024 * 1024}`,
    '--core=0',
    '--nofile=256',
  ];
}

interface EndedProcess {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  killReason?: KillReason;
  /** bwrap wrote the child's pid: the sandbox was built and the program started. */
  sandboxStarted: boolean;
}

function watch(child: ChildProcess, limits: SandboxLimits): Promise<EndedProcess> {
  return new Promise((resolve) => {
    const stdout = new CappedBuffer(limits.maxOutputBytes);
    const stderr = new CappedBuffer(limits.maxOutputBytes);
    let status = '';
    let killReason: KillReason | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const finish = (exitCode: number | null, signal: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(graceTimer);
      resolve({
        exitCode,
        signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        killReason,
        sandboxStarted: status.includes('"child-pid"'),
      });
    };
    const kill = (reason: KillReason) => {
      if (killReason) return;
      killReason = reason;
      killGroup(child);
      // A pipe held open by something that escaped the group must not hang the caller.
      graceTimer = setTimeout(() => finish(child.exitCode, child.signalCode), CLOSE_GRACE_MS);
    };
    const deadline = setTimeout(() => kill('timeout'), limits.timeoutMs);

    child.stdout?.on('data', (chunk: Buffer) => stdout.append(chunk) || kill('output-limit'));
    child.stderr?.on('data', (chunk: Buffer) => stderr.append(chunk) || kill('output-limit'));
    child.stdio[STATUS_FD]?.on('data', (chunk: Buffer) => (status += chunk.toString('utf8')));
    child.on('error', (error) => {
      stderr.append(Buffer.from(String(error)));
      finish(null, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Keeps the first `max` bytes; `append` answers false once more than that arrived. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private overflowed = false;

  constructor(private readonly max: number) {}

  append(chunk: Buffer): boolean {
    const room = this.max - this.size;
    if (room > 0) {
      const kept = chunk.subarray(0, room);
      this.chunks.push(kept);
      this.size += kept.length;
    }
    if (chunk.length > room) this.overflowed = true;
    return !this.overflowed;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

// bwrap exits with the program's code, or 128 + the signal that killed it.
function signalOfExitCode(exitCode: number | null): string | null {
  if (exitCode === null || exitCode <= 128) return null;
  const number = exitCode - 128;
  const name = Object.entries(osConstants.signals).find(([, value]) => value === number)?.[0];
  return name ?? null;
}

const OUT_OF_MEMORY: Record<SandboxLanguage, RegExp> = {
  python: /^MemoryError\b/m,
  javascript: /heap out of memory|Fatal process OOM|Array buffer allocation failed|Cannot allocate memory/,
};

function statusOf(
  killReason: KillReason | undefined,
  exitCode: number | null,
  signal: string | null,
  stderr: string,
  language: SandboxLanguage,
): SandboxStatus {
  if (killReason) return killReason;
  if (signal === 'SIGXCPU') return 'timeout';
  if (exitCode !== 0 && OUT_OF_MEMORY[language].test(stderr)) return 'memory';
  if (signal) return 'killed';
  return exitCode === 0 ? 'ok' : 'error';
}

// Every folder on the way is searchable by "others", the class the sandbox's uid falls in.
function reachableByOthers(path: string): boolean {
  const parts = path.split('/').filter(Boolean);
  return parts.every((_, index) => {
    try {
      return (statSync(`/${parts.slice(0, index + 1).join('/')}`).mode & 0o001) !== 0;
    } catch {
      return false;
    }
  });
}

function requireExecutable(path: string, debianPackage: string): void {
  try {
    accessSync(path, fsConstants.X_OK);
  } catch (cause) {
    throw new SandboxError(
      SandboxErrorCode.SANDBOX_UNAVAILABLE,
      `${path} is missing or not executable: install the Debian package \`${debianPackage}\` to run code in the sandbox`,
      { cause },
    );
  }
}

function definedLimits(options: Partial<SandboxLimits>): Partial<SandboxLimits> {
  const keys = Object.keys(DEFAULT_SANDBOX_LIMITS) as Array<keyof SandboxLimits>;
  return Object.fromEntries(keys.filter((key) => options[key] !== undefined).map((key) => [key, options[key]]));
}

function assertUnreachable(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
