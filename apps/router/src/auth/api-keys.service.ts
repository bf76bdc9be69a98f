import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  AppError,
  ApiKeyStore,
  ErrorCode,
  createRedisConnection,
  parseApiKey,
  verifyApiKeySecret,
  type ApiKeyRecord,
  type ApiKeyScope,
  type RedisConnection,
} from '@slm/platform';
import { ROUTER_CONFIG, type RouterConfig } from '../config/router.config';
import { ANONYMOUS_TENANT, bindPrincipal, type Principal } from '../tenancy/tenants';

/** A caller's limits, 0 meaning unlimited: its key's own, else the router's defaults. */
export interface CallerLimits {
  rpm: number;
  concurrency: number;
  tokensPerMinute: number;
  batchProblems: number;
}

/** An authenticated caller: its tenant and limit bucket, what it may do, and its limits. */
export interface Caller extends Principal {
  /** The API key's id; undefined in anonymous mode. */
  keyId?: string;
  /** The scopes of the key; every scope in anonymous mode. */
  scopes: readonly ApiKeyScope[];
  limits: CallerLimits;
}

/** The caller each request was authenticated as (HTTP request, gRPC call). */
const callers = new WeakMap<object, Caller>();

/** The caller a request was authenticated as; INTERNAL when its edge never authenticated it (a bug). */
export function callerOf(request: object): Caller {
  const caller = callers.get(request);
  if (!caller) throw new AppError(ErrorCode.INTERNAL, 'request was not authenticated');
  return caller;
}

/** The caller a request was already authenticated as (by an earlier step of its edge), if any. */
export function authenticatedCallerOf(request: object): Caller | undefined {
  return callers.get(request);
}

/** How long an id that Redis does not know is not asked about again, ms (bounds what random ids cost Redis). */
const MISS_TTL_MS = 1000;
const MAX_MISSES = 10_000;
/** How long the start waits for the first read of the keys before deciding without them, ms. */
const START_LOAD_TIMEOUT_MS = 2000;
const ALL_SCOPES: readonly ApiKeyScope[] = ['solve', 'batch', 'admin'];

/**
 * API keys at the edges. Each replica holds every key record in memory and reloads them from Redis
 * every ROUTER_API_KEYS_REFRESH_MS (default 2 s): checking a key is a map lookup and one HMAC (a few
 * microseconds, no round trip), and a revocation reaches every replica within one refresh. A key id
 * not in memory (created since the last reload) is read from Redis once, so a new key works at once;
 * an id Redis does not know either is not asked about again for a second.
 *
 * The router is in anonymous mode while the store holds no key at all (revoked keys count: revoking
 * every key locks callers out rather than opening the router). Creating the first key turns
 * authentication on within one refresh, without a restart.
 */
@Injectable()
export class ApiKeysService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeysService.name);
  private readonly redis: RedisConnection;
  private readonly store: ApiKeyStore;
  private keys = new Map<string, ApiKeyRecord>();
  private readonly misses = new Map<string, number>();
  private loadedOnce = false;
  private timer?: NodeJS.Timeout;

  constructor(@Inject(ROUTER_CONFIG) private readonly config: RouterConfig) {
    // Fail fast while Redis is away: the last loaded keys keep answering meanwhile.
    this.redis = createRedisConnection(config.redis.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    this.redis.on('error', (error) => this.logger.debug(`redis (api keys): ${error.message}`));
    this.store = new ApiKeyStore(this.redis, config.redis.prefix);
  }

  async onModuleInit(): Promise<void> {
    await this.loadAtStart();
    this.timer = setInterval(
      () => void this.reload().catch((error: Error) => this.logger.debug(`reloading API keys: ${error.message}`)),
      this.config.auth.refreshMs,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.redis.disconnect();
  }

  /** True while no key exists (or none could be read yet): every caller is the anonymous tenant. */
  get anonymous(): boolean {
    return this.keys.size === 0;
  }

  /** True once the keys were read from Redis at least once. */
  get loaded(): boolean {
    return this.loadedOnce;
  }

  /** Number of keys in the store (revoked ones included). */
  get size(): number {
    return this.keys.size;
  }

  /** Reads every key record from Redis. */
  async reload(): Promise<void> {
    const records = await this.store.records();
    this.keys = new Map(records.map((record) => [record.id, record]));
    this.loadedOnce = true;
  }

  /**
   * Authenticates a request from its `Authorization` value (HTTP header or gRPC metadata) and binds
   * its principal to `request`; `peer` is the caller's address (the limit bucket in anonymous mode).
   * Throws UNAUTHENTICATED saying what is wrong with the key. In anonymous mode any key is ignored
   * (the openai client always sends one).
   */
  async authenticate(request: object, authorization: unknown, peer: string, where: 'header' | 'metadata'): Promise<Caller> {
    const caller = this.anonymous ? this.anonymousCaller(peer) : await this.keyCaller(authorization, where);
    bindPrincipal(request, caller);
    callers.set(request, caller);
    return caller;
  }

  /** Throws PERMISSION_DENIED unless the caller's key has `scope`. */
  authorize(caller: Caller, scope: ApiKeyScope): void {
    if (caller.scopes.includes(scope)) return;
    throw new AppError(
      ErrorCode.PERMISSION_DENIED,
      `API key ${caller.keyId} lacks the scope "${scope}" this operation needs (it has: ${caller.scopes.join(', ') || 'none'})`,
    );
  }

  private anonymousCaller(peer: string): Caller {
    const limits = this.config.limits;
    return {
      tenant: ANONYMOUS_TENANT,
      bucket: `ip:${peer}`,
      scopes: ALL_SCOPES,
      limits: {
        rpm: limits.requestsPerMinute,
        concurrency: limits.maxConcurrentPerClient,
        tokensPerMinute: limits.tokensPerMinute,
        batchProblems: limits.batchProblemsInFlight,
      },
    };
  }

  private async keyCaller(authorization: unknown, where: 'header' | 'metadata'): Promise<Caller> {
    const how = where === 'header' ? 'an Authorization: Bearer <key> header' : 'authorization metadata "Bearer <key>"';
    if (typeof authorization !== 'string' || authorization.trim() === '') throw unauthenticated(`missing API key: send ${how}`);
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim());
    const parsed = match ? parseApiKey(match[1] as string) : undefined;
    if (!parsed) throw unauthenticated(`malformed API key: expected ${how} with a key of the form slm_<16 hex id>_<secret>`);
    const record = this.keys.get(parsed.id) ?? (await this.fetch(parsed.id));
    if (!record || !verifyApiKeySecret(record, parsed.secret)) throw unauthenticated(`unknown API key slm_${parsed.id}_…`);
    if (record.revokedAt) throw unauthenticated(`API key ${record.id} was revoked at ${record.revokedAt}`);
    if (record.expiresAt && Date.parse(record.expiresAt) <= Date.now())
      throw unauthenticated(`API key ${record.id} expired at ${record.expiresAt}`);
    const defaults = this.config.limits;
    return {
      tenant: record.id,
      bucket: `key:${record.id}`,
      keyId: record.id,
      scopes: record.scopes,
      limits: {
        rpm: record.limits.rpm ?? defaults.requestsPerMinute,
        concurrency: record.limits.concurrency ?? defaults.maxConcurrentPerClient,
        tokensPerMinute: record.limits.tokensPerMinute ?? defaults.tokensPerMinute,
        batchProblems: record.limits.batchProblems ?? defaults.batchProblemsInFlight,
      },
    };
  }

  /** A key created since the last reload; undefined for an id Redis does not know (remembered for a second). */
  private async fetch(id: string): Promise<ApiKeyRecord | undefined> {
    const now = Date.now();
    if ((this.misses.get(id) ?? 0) > now) return undefined;
    const record = await this.store.record(id).catch(() => undefined);
    if (record) {
      this.keys.set(id, record);
      return record;
    }
    if (this.misses.size >= MAX_MISSES) this.misses.clear();
    this.misses.set(id, now + MISS_TTL_MS);
    return undefined;
  }

  /**
   * The first read of the keys, waiting up to 2 s for Redis. Bound beyond loopback, the router
   * refuses to start without keys (or without being able to read them) unless ROUTER_ALLOW_ANONYMOUS.
   */
  private async loadAtStart(): Promise<void> {
    const end = Date.now() + START_LOAD_TIMEOUT_MS;
    let failure = '';
    for (;;) {
      try {
        await this.reload();
        break;
      } catch (error) {
        failure = (error as Error).message;
        if (Date.now() >= end) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const exposed = [this.config.http.host, this.config.grpc.host].filter((host) => !isLoopback(host));
    if (exposed.length === 0 || this.config.auth.allowAnonymous || this.keys.size > 0) {
      if (!this.loadedOnce) this.logger.warn(`API keys not read from Redis yet (${failure}): serving anonymously until they are`);
      else if (this.keys.size > 0) this.logger.log(`API keys: ${this.keys.size} in Redis; every caller must send one`);
      else
        this.logger.log(
          `anonymous mode: no API key exists, every caller is served${exposed.length ? ' (ROUTER_ALLOW_ANONYMOUS=true)' : ' (loopback only)'}`,
        );
      return;
    }
    throw new Error(
      this.loadedOnce
        ? `refusing to start: ROUTER_HOST ${exposed[0]} is reachable beyond this machine and no API key exists; create one (slm keys create --name NAME) or set ROUTER_ALLOW_ANONYMOUS=true to serve anyone who reaches the port`
        : `refusing to start: ROUTER_HOST ${exposed[0]} is reachable beyond this machine and the API keys could not be read from Redis (${failure}); set ROUTER_ALLOW_ANONYMOUS=true to serve without keys`,
    );
  }
}

function unauthenticated(message: string): AppError {
  return new AppError(ErrorCode.UNAUTHENTICATED, message);
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare) || /^::ffff:127\./.test(bare);
}
