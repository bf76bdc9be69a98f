import Redis from 'ioredis';
import { z } from 'zod';

/**
 * A Redis URL as every service takes it: `redis://[user[:password]@]host[:port][/db]`, or
 * `rediss://…` for TLS. ioredis (and BullMQ, which hands the URL to ioredis) reads the user, the
 * password, the database and TLS from it. The message of a bad value never repeats the value,
 * which may hold a password.
 */
export const redisUrlSchema = z.string().refine(isRedisUrl, 'expected redis://[user:password@]host:port[/db] or rediss://… (TLS)');

function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '' && /^(\/\d*)?$/.test(url.pathname);
  } catch {
    return false;
  }
}

/** The URL with its password replaced by `***`, for logs, banners and error messages. */
export function redactRedisUrl(value: string): string {
  try {
    const url = new URL(value);
    if (!url.password) return value;
    url.password = '***';
    return url.toString();
  } catch {
    // Not a URL: say nothing of what it holds.
    return '(invalid Redis URL)';
  }
}

/** `text` with the URL's password (raw and percent-decoded) replaced by `***`. */
export function redactRedisPassword(text: string, value: string): string {
  const password = passwordOf(value);
  if (!password) return text;
  for (const secret of new Set([password, safeDecode(password)])) text = text.split(secret).join('***');
  return text;
}

function passwordOf(value: string): string {
  try {
    return new URL(value).password;
  } catch {
    return '';
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Thrown by {@link checkRedisCredentials} when Redis refuses the URL's user or password. */
export class RedisAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisAuthError';
  }
}

const AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid password|invalid username-password|AUTH failed|NOPERM/i;

/**
 * Connects once and fails with {@link RedisAuthError} (its message names the redacted URL, never
 * the password) when Redis refuses the credentials: a wrong password is a configuration mistake
 * that retrying cannot mend. A Redis that cannot be reached is not an error here: the services start
 * without it and reconnect (the batch routes answer 503 meanwhile).
 */
export async function checkRedisCredentials(url: string, timeoutMs = 5000): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: timeoutMs });
  // ioredis reports a refused AUTH as an 'error' event; connect() then only says the connection closed.
  const messages: string[] = [];
  client.on('error', (error: Error) => messages.push(error.message));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    messages.push(error instanceof Error ? error.message : String(error));
  } finally {
    client.disconnect();
  }
  const message = messages.find((m) => AUTH_FAILURE.test(m));
  if (message) {
    throw new RedisAuthError(`Redis at ${redactRedisUrl(url)} refused the credentials in REDIS_URL: ${redactRedisPassword(message, url)}`);
  }
}
