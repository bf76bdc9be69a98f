import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * The process's root logger: JSON lines on stdout (pino), the level from LOG_LEVEL.
 * Child loggers carry a `component` field; request lines add requestId, domain, model,
 * token counts and milliseconds, never prompt or completion text at info level.
 * `destination` replaces stdout (tests read the lines back).
 */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options = { name, level, base: { pid: process.pid } };
  return destination ? pino(options, destination) : pino(options);
}
export type { DestinationStream, Logger };
