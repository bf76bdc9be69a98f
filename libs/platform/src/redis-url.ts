import { z } from 'zod';
import { createRedisConnection, parseRedisTarget } from './redis-connection';
import { redisTlsCaProblem } from './redis-tls';

/**
 * A Redis URL as every service takes it: `redis://[user[:password]@]host[:port][/db]`, or
 * `rediss://…` for TLS; a comma-separated list of them for a Redis Cluster (its seed nodes); or
 * `redis-sentinel://[user:password@]host:port[,host:port…]/<master name>[/db]` for a Sentinel
 * group (see {@link parseRedisTarget}). ioredis reads the user, the password, the database and TLS
 * from it. The message of a bad value never repeats the value, which may hold a password.
 */
export const redisUrlSchema = z
  .string()
  .refine(
    (value) => parseRedisTarget(value) !== undefined,
    'expected redis://[user:password@]host:port[/db] or rediss://… (TLS), a comma-separated list of them (Redis Cluster), or redis-sentinel://host:port[,host:port…]/<master name>',
  )
  .superRefine((value, ctx) => {
    const problem = redisTlsCaProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** The URL with its password replaced by `***`, for logs, banners and error messages. */
export function redactRedisUrl(value: string): string {
  if (value.includes(',') || /^rediss?-sentinel:/.test(value)) return redactRedisTarget(value);
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

/** A cluster list or a sentinel URL, each userinfo's password replaced by `***`. */
function redactRedisTarget(value: string): string {
  if (!parseRedisTarget(value)) return '(invalid Redis URL)';
  return value.replace(/(\/\/[^:@/,]*:)[^@/,]*@/g, '$1***@');
}

function passwordOf(value: string): string {
  const target = parseRedisTarget(value);
  if (target?.kind === 'sentinel') return target.password ?? '';
  if (target?.kind === 'cluster') value = target.urls[0] as string;
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
/** Node's messages for a server certificate that does not verify (unknown CA, wrong host name, expired). */
const TLS_VERIFY_FAILURE =
  /self[- ]signed certificate|unable to verify|unable to get (local )?issuer certificate|certificate has expired|Hostname\/IP does not match/i;

/**
 * Connects once and fails with {@link RedisAuthError} (its message names the redacted URL, never
 * the password) when Redis refuses the credentials: a wrong password is a configuration mistake
 * that retrying cannot mend. A Redis that cannot be reached is not an error here: the services start
 * without it and reconnect (the batch routes answer 503 meanwhile).
 */
export async function checkRedisCredentials(url: string, timeoutMs = 5000): Promise<void> {
  const client = createRedisConnection(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
  });
  // ioredis reports a refused AUTH as an 'error' event; connect() then only says the connection closed.
  const messages: string[] = [];
  client.on('error', (error: Error) => messages.push(error.message));
  // A cluster reports each node's refusal as a 'node error'.
  client.on('node error', (error: Error) => messages.push(error.message));
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
  // A server certificate this client cannot trust is a configuration mistake too: say which CA to name.
  const untrusted = messages.find((m) => TLS_VERIFY_FAILURE.test(m));
  if (untrusted) {
    throw new RedisAuthError(
      `Redis at ${redactRedisUrl(url)} presented a certificate this service does not trust (${untrusted}): name its CA in REDIS_URL's tlsCaFile parameter`,
    );
  }
}
