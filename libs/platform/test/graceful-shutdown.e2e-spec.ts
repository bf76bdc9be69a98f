import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// A service whose log reader has gone (`slm up | tee` with the tee killed, a harness that died): its
// stdout is a broken pipe, and SIGTERM must still end it within its grace period. Real processes on the
// built library (`npm run build`), the logger and shutdown handler every service uses.

const platform = path.resolve(__dirname, '../../../dist/libs/platform/src');
const GRACE_MS = 2000;
/** Time allowed on top of the grace period for the exit itself on a busy machine. */
const MARGIN_MS = 5000;

/** A process that logs JSON lines on stdout and shuts down with `handleShutdown`; `close` resolves at once or never. */
function startService(close: 'at-once' | 'never') {
  const script = `
    const { createLogger, handleShutdown } = require(${JSON.stringify(platform)});
    const logger = createLogger('shutdown-test', 'info');
    handleShutdown({ logger, graceMs: ${GRACE_MS}, close: () => ${close === 'at-once' ? 'Promise.resolve()' : 'new Promise(() => {})'} });
    logger.info('ready');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as string | null }));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, exited, stderr: () => stderr };
}

describe('graceful shutdown with the log reader gone', () => {
  const children: ReturnType<typeof startService>['child'][] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  async function sigtermWithStdoutClosed(close: 'at-once' | 'never') {
    const service = startService(close);
    children.push(service.child);
    await once(service.child.stdout!, 'data'); // it has logged: stdout is up
    // The reader goes away while the service is quiet: the first write to meet EPIPE is its shutdown's.
    service.child.stdout!.destroy();
    await sleep(100);
    const sent = Date.now();
    service.child.kill('SIGTERM');
    const patience = new AbortController();
    const ended = await Promise.race([
      service.exited,
      sleep(GRACE_MS + MARGIN_MS, undefined, { signal: patience.signal }).catch(() => undefined),
    ]);
    patience.abort();
    return { ended, ms: Date.now() - sent, stderr: service.stderr() };
  }

  it('exits 0 once closed, though every log line now fails', async () => {
    const { ended, stderr } = await sigtermWithStdoutClosed('at-once');
    expect(ended).toEqual({ code: 0, signal: null });
    expect(stderr).toBe('');
  });

  it('exits 1 at the end of the grace period when closing hangs, its log lines failing', async () => {
    const { ended, ms, stderr } = await sigtermWithStdoutClosed('never');
    expect(ended).toEqual({ code: 1, signal: null });
    expect(ms).toBeGreaterThanOrEqual(GRACE_MS - 100);
    expect(stderr).toBe('');
  });
});
