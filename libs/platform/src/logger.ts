import pino, { type Logger } from 'pino';

/**
 * The process's root logger: JSON lines on stdout (pino), the level from LOG_LEVEL.
 * Child loggers carry a `component` field; request lines add requestId, domain, model,
 * token counts and milliseconds, never prompt or completion text at info level.
 */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
export type { Logger };
