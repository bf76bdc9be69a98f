import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AppError, ErrorCode, createRedisConnection, errorCodeOf, type RedisConnection } from '@slm/platform';
import type { Caller } from '../auth/api-keys.service';
import { BatchService } from '../batches/batch.service';
import { ROUTER_CONFIG, type RouterConfig } from '../config/router.config';
import { MINUTE_MS, SharedCounters } from './shared-counters';

/** A synchronous request's admission: release it once, with the completion tokens it generated. */
export type Release = (completionTokens?: number) => void;

/** How long after a refusal a batch submission may be retried, s (batch problems finish at their own pace). */
const BATCH_RETRY_AFTER_SECONDS = 5;

/**
 * Per-caller limits shared by every router replica. The bucket is the caller's API key (anonymous
 * mode: its address), never a header it chooses.
 * - requests per minute: a window per clock minute;
 * - concurrent synchronous requests: taken on admission and given back on release;
 * - generated tokens per minute: a request is refused while the minute's tokens are spent; the
 *   completion tokens are counted when a request ends (the count is only known then);
 * - batch problems in flight: at submission, the problems not yet finished in the caller's running
 *   batches plus the new ones must fit (checked, not reserved: two racing submissions may both pass).
 * The synchronous limits are counted in memory and merged across replicas through Redis every
 * ROUTER_LIMITS_SYNC_MS ({@link SharedCounters}): exact on one replica, as of the last sync across
 * several, and an admission waits for no Redis round trip. While Redis is down each replica limits
 * on its own counts, so synchronous solving goes on.
 */
@Injectable()
export class ClientLimitsService implements OnApplicationShutdown {
  private readonly logger = new Logger(ClientLimitsService.name);
  private readonly redis: RedisConnection;
  private readonly counters: SharedCounters;

  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly batches: BatchService,
  ) {
    const options = { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (times: number) => Math.min(times * 200, 2000) };
    this.redis = createRedisConnection(config.redis.url, options);
    this.redis.on('error', (error) => this.logger.debug(`redis (limits): ${error.message}`));
    this.counters = new SharedCounters(
      this.redis,
      `${config.redis.prefix}:slm:limit`,
      config.limits.syncMs,
      Math.ceil(config.limits.requestTimeoutMs / 1000) + 60,
      (error) => this.logger.debug(`syncing the limits: ${error.message}`),
    );
  }

  onApplicationShutdown(): void {
    this.counters.close();
    this.redis.disconnect();
  }

  /**
   * Admits a synchronous request (solve, chat completion): refuses it with RATE_LIMITED (and when to
   * retry) while the caller's tokens per minute are spent, past its requests per minute or at its
   * concurrency; else counts it, and takes a concurrency slot given back by the returned release.
   */
  admit(caller: Caller): Release {
    const { rpm, concurrency, tokensPerMinute } = caller.limits;
    const now = Date.now();
    const counts = this.counters.read(caller.bucket, now);
    const who = caller.keyId ? `API key ${caller.keyId}` : 'this address';
    const untilNextMinute = { retryAfterSeconds: Math.max(1, Math.ceil((MINUTE_MS - (now % MINUTE_MS)) / 1000)) };
    if (tokensPerMinute > 0 && counts.tokensThisMinute >= tokensPerMinute)
      throw new AppError(ErrorCode.RATE_LIMITED, `${who} generated its ${tokensPerMinute} tokens per minute`, untilNextMinute);
    if (rpm > 0 && counts.requestsThisMinute >= rpm)
      throw new AppError(ErrorCode.RATE_LIMITED, `${who} is over its ${rpm} requests per minute`, untilNextMinute);
    if (concurrency > 0 && counts.inFlight >= concurrency)
      throw new AppError(ErrorCode.RATE_LIMITED, `${who} already has ${concurrency} requests in flight (its concurrency limit)`, {
        retryAfterSeconds: 1,
      });
    const holdsSlot = concurrency > 0;
    this.counters.admit(caller.bucket, holdsSlot, now);
    let released = false;
    return (completionTokens = 0) => {
      if (released) return;
      released = true;
      this.counters.release(caller.bucket, holdsSlot, tokensPerMinute > 0 ? Math.round(completionTokens) : 0);
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
}
