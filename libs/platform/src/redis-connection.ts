import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import { redisTlsOf } from './redis-tls';

/**
 * A connection to the deployment's Redis: one node, the master a Sentinel group names, or a Redis
 * Cluster. Typed as ioredis's `Redis` even when it is a `Cluster` at run time: both have the same
 * commands (and BullMQ tells them apart itself), while a `Redis | Cluster` union would make every
 * overloaded command uncallable in TypeScript. The few `Redis`-only members (`duplicate()`,
 * `options`) must not be used on it: open another connection with {@link createRedisConnection}.
 */
export type RedisConnection = Redis;

/** One Redis node as the URL names it. */
export interface RedisNode {
  host: string;
  port: number;
}

/**
 * What REDIS_URL points at:
 * - `single`: `redis://[user:password@]host:port[/db]` (`rediss://` for TLS);
 * - `cluster`: two or more of those, comma-separated: seed nodes of a Redis Cluster (the client
 *   discovers the others; credentials and TLS come from the first URL);
 * - `sentinel`: `redis-sentinel://[user:password@]host:port[,host:port…]/<master name>[/db]`
 *   (`rediss-sentinel://` for TLS): the sentinels, and the master they watch. The credentials are
 *   the master's; a `sentinelPassword` query parameter sets the sentinels' own.
 */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; urls: string[]; nodes: RedisNode[] }
  | {
      kind: 'sentinel';
      sentinels: RedisNode[];
      name: string;
      username?: string;
      password?: string;
      sentinelPassword?: string;
      db: number;
      tls: boolean;
    };

/** Parses REDIS_URL; undefined when it is none of the shapes {@link RedisTarget} lists. */
export function parseRedisTarget(value: string): RedisTarget | undefined {
  if (/^rediss?-sentinel:\/\//.test(value)) return parseSentinelUrl(value);
  const urls = value.split(',').map((part) => part.trim());
  if (!urls.every(isSingleRedisUrl)) return undefined;
  if (urls.length === 1) return { kind: 'single', url: urls[0] as string };
  return { kind: 'cluster', urls, nodes: urls.map((url) => nodeOf(new URL(url), 6379)) };
}

/** True when REDIS_URL names a Redis Cluster (a comma-separated list of nodes). */
export function isRedisCluster(value: string): boolean {
  return parseRedisTarget(value)?.kind === 'cluster';
}

function isSingleRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '' && /^(\/\d*)?$/.test(url.pathname);
  } catch {
    return false;
  }
}

function nodeOf(url: URL, defaultPort: number): RedisNode {
  // WHATWG URL keeps the brackets of an IPv6 host; sockets take it without them.
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port ? Number(url.port) : defaultPort };
}

function parseSentinelUrl(value: string): RedisTarget | undefined {
  const match = /^(rediss?)-sentinel:\/\/(?:([^@/]*)@)?([^/?#]+)\/([^/?#]+)(?:\/(\d+))?\/?(?:\?([^#]*))?$/.exec(value);
  if (!match) return undefined;
  const [, scheme, userinfo, hosts, name, db, query] = match;
  const sentinels: RedisNode[] = [];
  for (const host of (hosts ?? '').split(',')) {
    try {
      const url = new URL(`redis://${host.trim()}`);
      if (!url.hostname || url.pathname !== '' || url.username || url.password) return undefined;
      sentinels.push(nodeOf(url, 26379));
    } catch {
      return undefined;
    }
  }
  const [user, ...rest] = userinfo === undefined ? [] : userinfo.split(':');
  const password = rest.length ? rest.join(':') : undefined;
  const sentinelPassword = new URLSearchParams(query ?? '').get('sentinelPassword') ?? undefined;
  return {
    kind: 'sentinel',
    sentinels,
    name: safeDecode(name ?? ''),
    ...(user ? { username: safeDecode(user) } : {}),
    ...(password !== undefined ? { password: safeDecode(password) } : {}),
    ...(sentinelPassword ? { sentinelPassword } : {}),
    db: Number(db ?? 0),
    tls: scheme === 'rediss',
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Retries a cluster grants a command through failovers, MOVED and CLUSTERDOWN (some 100 ms apart)
 * when its connection waits out outages (`maxRetriesPerRequest: null`): about ten minutes, far
 * longer than a cluster takes to promote a replica.
 */
const PATIENT_REDIRECTIONS = 6000;

/**
 * Opens a connection to what REDIS_URL names (see {@link RedisTarget}) with ioredis options, the
 * one place a service builds a Redis client: a `Redis` for one node or a Sentinel group (ioredis
 * asks the sentinels for the master and follows a failover), a `Cluster` for a cluster list. BullMQ
 * takes either as `connection`. Options of one node (`maxRetriesPerRequest`, `tls`…) apply to every
 * node of a cluster; `retryStrategy` and `enableOfflineQueue` become the cluster's own, and a
 * connection that waits out outages (`maxRetriesPerRequest: null`, as BullMQ Workers require) also
 * waits out a failover instead of failing its commands after ioredis's 16 redirections.
 */
export function createRedisConnection(url: string, connectionOptions: RedisOptions = {}): RedisConnection {
  // REDIS_URL's tlsCaFile parameter becomes the TLS options' CA (see redis-tls.ts).
  const { value, tls } = redisTlsOf(url);
  const options: RedisOptions = tls ? { ...connectionOptions, tls: { ...connectionOptions.tls, ...tls } } : connectionOptions;
  const target = parseRedisTarget(value);
  if (!target) throw new Error('REDIS_URL is not a Redis URL, a comma-separated list of them (a cluster) or a redis-sentinel:// URL');
  switch (target.kind) {
    case 'single':
      return new Redis(target.url, options);
    case 'sentinel':
      return new Redis({
        ...options,
        sentinels: target.sentinels,
        name: target.name,
        db: target.db,
        ...(target.username ? { username: target.username } : {}),
        ...(target.password !== undefined ? { password: target.password } : {}),
        ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
        ...(target.tls ? { tls: options.tls ?? {}, enableTLSForSentinelMode: true, sentinelTLS: options.tls ?? {} } : {}),
      });
    case 'cluster':
      return new Cluster(target.nodes, clusterOptionsOf(new URL(target.urls[0] as string), options)) as unknown as Redis;
    default:
      return assertUnreachable(target);
  }
}

function clusterOptionsOf(first: URL, options: RedisOptions): ClusterOptions {
  const { retryStrategy, enableOfflineQueue, lazyConnect, ...nodeOptions } = options;
  const redisOptions: RedisOptions = {
    ...nodeOptions,
    ...(first.username ? { username: safeDecode(first.username) } : {}),
    ...(first.password ? { password: safeDecode(first.password) } : {}),
    ...(first.protocol === 'rediss:' ? { tls: options.tls ?? {} } : {}),
  };
  return {
    redisOptions,
    ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) ?? null } : {}),
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    ...(lazyConnect !== undefined ? { lazyConnect } : {}),
    ...(options.maxRetriesPerRequest === null ? { maxRedirections: PATIENT_REDIRECTIONS } : {}),
  };
}

function assertUnreachable(value: never): never {
  throw new Error(`unexpected Redis target ${JSON.stringify(value)}`);
}

/**
 * The key prefix of one BullMQ queue. On a Redis Cluster every key of a queue must hash to one slot
 * (BullMQ's scripts touch several at once), so the prefix becomes a hash tag of the deployment's
 * prefix and the queue name: `{bull:solve-math}`, one slot per queue, which spreads the queues over
 * the masters. On one node (or Sentinel) it stays the configured prefix, as before.
 */
export function queueKeyPrefix(prefix: string, queueName: string, cluster: boolean): string {
  return cluster ? `{${prefix}:${queueName}}` : prefix;
}
