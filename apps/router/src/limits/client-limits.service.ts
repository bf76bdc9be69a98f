import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError, ErrorCode, createRedisConnection, errorCodeOf, type RedisConnection } from '@slm/platform';
import type { Caller } from '../auth/api-keys.service';
import { BatchService } from '../batches/batch.service';
import { ROUTER_CONFIG, type RouterConfig } from '../config/router.config';

/** A synchronous request's admission: release it once, with the completion tokens it generated. */
export type Release = (completionTokens?: number) => void;

/**
 * The concurrency counter's Lua (rate-limiter-flexible's `customIncrTtlLuaScript`): every acquire
 * and release renews the key's expiry, so a busy caller's count never resets under its in-flight
 * requests (the stock script's fixed window would), and a slot leaked by a replica that died is
 * freed once the caller has been idle for the window. Never below 0.
 */
const CONCURRENCY_SCRIPT = `local consumed = redis.call('incrby', KEYS[1], ARGV[1])
if consumed < 0 then redis.call('set', KEYS[1], 0) consumed = 0 end
redis.call('expire', KEYS[1], ARGV[2])
return {consumed, redis.call('pttl', KEYS[1])}`;

/** How long after a refusal a batch submission may be retried, s (batch problems finish at their own pace). */
const BATCH_RETRY_AFTER_SECONDS = 5;

/**
 * Per-caller limits shared by every router replica, kept in Redis by rate-limiter-flexible. The
 * bucket is the caller's API key (anonymous mode: its address), never a header it chooses.
 * - requests per minute: a fixed one-minute window per bucket;
 * - concurrent synchronous requests: a counter taken on admission and given back on release;
 * - generated tokens per minute: a request is refused while the bucket is spent; the completion
 *   tokens are counted when a request ends (the count is only known then);
 * - batch problems in flight: at submission, the problems not yet finished in the caller's running
 *   batches plus the new ones must fit (checked, not reserved: two racing submissions may both pass).
 * While Redis is down each replica limits on its own, in memory (the insurance limiters), so
 * synchronous solving goes on.
 */
@Injectable()
export class ClientLimitsService implements OnApplicationShutdown {
  private readonly logger = new Logger(ClientLimitsService.name);
  private readonly redis: RedisConnection;
  /** Its own connection: rate-limiter-flexible defines its Lua command per connection, and this one's differs. */
  private readonly concurrencyRedis: RedisConnection;
  private readonly limiters = new Map<string, RateLimiterRedis>();
  private readonly concurrencyWindowSeconds: number;

  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly batches: BatchService,
  ) {
    const options = { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (times: number) => Math.min(times * 200, 2000) };
    this.redis = createRedisConnection(config.redis.url, options);
    this.redis.on('error', (error) => this.logger.debug(`redis (limits): ${error.message}`));
    this.concurrencyRedis = createRedisConnection(config.redis.url, options);
    this.concurrencyRedis.on('error', (error) => this.logger.debug(`redis (concurrency): ${error.message}`));
    this.concurrencyWindowSeconds = Math.ceil(config.limits.requestTimeoutMs / 1000) + 60;
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
    this.concurrencyRedis.disconnect();
  }

  /**
   * Admits a synchronous request (solve, chat completion): refuses it with RATE_LIMITED (and when to
   * retry) while the caller's tokens per minute are spent, past its requests per minute or at its
   * concurrency; else takes a concurrency slot, given back by the returned release.
   */
  async admit(caller: Caller): Promise<Release> {
    const { rpm, concurrency, tokensPerMinute } = caller.limits;
    const [tokens, requests, slot] = await Promise.allSettled([
      tokensPerMinute > 0 ? this.limiter('tokens', tokensPerMinute, 60).get(caller.bucket) : Promise.resolve(null),
      rpm > 0 ? this.limiter('rpm', rpm, 60).consume(caller.bucket) : Promise.resolve(null),
      concurrency > 0
        ? this.limiter('concurrency', concurrency, this.concurrencyWindowSeconds).consume(caller.bucket)
        : Promise.resolve(null),
    ]);
    // A refused acquire counted itself: give it back; a granted one goes back too when another limit refuses.
    const concurrencyLimiter = concurrency > 0 ? this.limiter('concurrency', concurrency, this.concurrencyWindowSeconds) : undefined;
    const giveBack = () =>
      void concurrencyLimiter?.reward(caller.bucket, 1).catch((error: Error) => this.logger.debug(`releasing a slot: ${error.message}`));
    const refusal =
      this.spentTokens(caller, tokens, tokensPerMinute) ??
      this.refusalOf(
        requests,
        () => `${caller.keyId ? `API key ${caller.keyId}` : 'this address'} is over its ${rpm} requests per minute`,
      ) ??
      this.refusalOf(
        slot,
        () =>
          `${caller.keyId ? `API key ${caller.keyId}` : 'this address'} already has ${concurrency} requests in flight (its concurrency limit)`,
      );
    if (refusal) {
      if (slot.status === 'fulfilled' || slot.reason instanceof RateLimiterRes) giveBack();
      throw refusal;
    }
    let released = false;
    return (completionTokens = 0) => {
      if (released) return;
      released = true;
      giveBack();
      if (tokensPerMinute > 0 && completionTokens > 0) {
        this.limiter('tokens', tokensPerMinute, 60)
          .penalty(caller.bucket, Math.round(completionTokens))
          .catch((error: Error) => this.logger.debug(`counting tokens: ${error.message}`));
      }
    };
  }

  /**
   * Refuses (RATE_LIMITED) a batch of `adding` problems when the caller's unfinished batch problems
   * would pass its limit. Its running batches are remembered per bucket by {@link noteBatch}.
   */
  async checkBatchProblems(caller: Caller, adding: number): Promise<void> {
    const limit = caller.limits.batchProblems;
    if (limit <= 0) return;
    const key = this.openBatchesKey(caller);
    let inFlight = 0;
    for (const batchId of await this.redis.smembers(key).catch(() => [] as string[])) {
      const status = await this.batches.status(caller.tenant, batchId).catch((error: unknown) => {
        if (errorCodeOf(error) === ErrorCode.NOT_FOUND) return undefined;
        throw error;
      });
      if (!status || status.state !== 'BATCH_STATE_RUNNING') {
        await this.redis.srem(key, batchId).catch(() => 0);
        continue;
      }
      const counts = status.counts;
      inFlight += (status.total ?? 0) - ((counts?.completed ?? 0) + (counts?.failed ?? 0) + (counts?.cancelled ?? 0));
    }
    if (inFlight + adding <= limit) return;
    throw new AppError(
      ErrorCode.RATE_LIMITED,
      `${caller.keyId ? `API key ${caller.keyId}` : 'this address'} has ${inFlight} batch problems unfinished; ${adding} more would pass its limit of ${limit} batch problems in flight`,
      { retryAfterSeconds: BATCH_RETRY_AFTER_SECONDS },
    );
  }

  /** Remembers a submitted batch among the caller's running ones (for {@link checkBatchProblems}). */
  async noteBatch(caller: Caller, batchId: string): Promise<void> {
    if (caller.limits.batchProblems <= 0) return;
    const key = this.openBatchesKey(caller);
    await this.redis
      .multi()
      .sadd(key, batchId)
      .expire(key, this.config.batches.resultTtlSeconds)
      .exec()
      .catch((error: Error) => this.logger.debug(`noting a batch: ${error.message}`));
  }

  private openBatchesKey(caller: Caller): string {
    return `${this.config.redis.prefix}:slm:limit:open-batches:${caller.bucket}`;
  }

  private spentTokens(caller: Caller, result: PromiseSettledResult<RateLimiterRes | null>, limit: number): AppError | undefined {
    if (result.status !== 'fulfilled' || !result.value || result.value.consumedPoints < limit) return undefined;
    return new AppError(
      ErrorCode.RATE_LIMITED,
      `${caller.keyId ? `API key ${caller.keyId}` : 'this address'} generated its ${limit} tokens per minute`,
      {
        retryAfterSeconds: Math.max(1, Math.ceil(result.value.msBeforeNext / 1000)),
      },
    );
  }

  /** RATE_LIMITED for a refused consume; undefined when granted, or when the limiter itself failed (logged; the request goes on). */
  private refusalOf(result: PromiseSettledResult<RateLimiterRes | null>, message: () => string): AppError | undefined {
    if (result.status === 'fulfilled') return undefined;
    if (!(result.reason instanceof RateLimiterRes)) {
      this.logger.warn(`rate limiter failed: ${(result.reason as Error)?.message}`);
      return undefined;
    }
    return new AppError(ErrorCode.RATE_LIMITED, message(), {
      retryAfterSeconds: Math.max(1, Math.ceil(result.reason.msBeforeNext / 1000)),
    });
  }

  /** One limiter per kind and size (rate-limiter-flexible's points are per instance; keys choose theirs). */
  private limiter(kind: 'rpm' | 'tokens' | 'concurrency', points: number, seconds: number): RateLimiterRedis {
    const name = `${kind}:${points}`;
    let limiter = this.limiters.get(name);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: kind === 'concurrency' ? this.concurrencyRedis : this.redis,
        keyPrefix: `${this.config.redis.prefix}:slm:limit:${name}`,
        points,
        duration: seconds,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ points, duration: seconds }),
        ...(kind === 'concurrency' ? { customIncrTtlLuaScript: CONCURRENCY_SCRIPT } : {}),
      });
      this.limiters.set(name, limiter);
    }
    return limiter;
  }
}
