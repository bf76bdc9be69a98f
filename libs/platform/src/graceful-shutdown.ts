import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from './logger';

/** How often a closed service looks whether its last sockets have gone. */
const SOCKET_POLL_MS = 20;

/** Options of {@link handleShutdown}. */
export interface GracefulShutdownOptions {
  /** Where the shutdown is logged. */
  logger: Logger;
  /**
   * How long `close`, and the sockets it closed going away, may take, ms. Past it the process exits
   * with code 1 anyway, after logging what was still open: a stuck connection or a leaked socket can
   * delay a shutdown, never prevent it.
   */
  graceMs: number;
  /** Stops the service gracefully (stop taking work, let running work finish, close connections). */
  close: () => Promise<void>;
}

/**
 * Makes SIGTERM, SIGINT and the loss of the parent (its IPC channel closes: `slm up` or `slm serve`
 * died, even by SIGKILL) stop the process gracefully: `close`, then exit 0 once no socket is left
 * open. A second signal exits at once with code 1. Whatever happens, the process is gone `graceMs`
 * after the first signal.
 */
export function handleShutdown(options: GracefulShutdownOptions): void {
  const { logger, graceMs } = options;
  let stopping = false;
  const shutdown = (reason: string) => {
    if (stopping) {
      if (reason === 'parent exited') return; // the parent going away while we stop changes nothing
      logger.warn({ reason }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ reason, graceMs }, 'shutting down');
    let closed = false;
    setTimeout(() => {
      // `closed`: everything closed but a socket stayed open (leaked); else the close itself hung.
      logger.error({ graceMs, closed, open: openResources() }, 'shutdown did not finish within the grace period: exiting anyway');
      process.exit(1);
    }, graceMs);
    options.close().then(
      async () => {
        closed = true;
        // Clients that were told to quit let go of their sockets a moment later; a leaked one never does.
        while (openResources().sockets.length > 0) await sleep(SOCKET_POLL_MS);
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error, open: openResources() }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Started with an IPC channel (by `slm up` or `slm serve`): its end means the parent is gone.
  if (process.channel) {
    process.on('disconnect', () => shutdown('parent exited'));
    process.channel.unref(); // the channel alone must not keep the process alive
  }
}

/**
 * What keeps the process alive, for the log line of a forced exit: the resource types with their
 * counts (`TCPSocketWrap: 2`) and, where Node tells, the ends of each open socket.
 */
export function openResources(): { resources: Record<string, number>; sockets: string[] } {
  const resources: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1;
  const handles = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? [];
  const sockets = handles
    .filter(
      (h): h is { localAddress?: string; localPort?: number; remoteAddress?: string; remotePort?: number } =>
        typeof h === 'object' && h !== null && 'remotePort' in h,
    )
    .filter((s) => s.remotePort !== undefined)
    .map((s) => `${s.localAddress}:${s.localPort} <-> ${s.remoteAddress}:${s.remotePort}`);
  return { resources, sockets };
}
