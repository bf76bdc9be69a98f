import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '@slm/platform';

/** The window of the per-minute limits (requests, generated tokens), ms. */
export const MINUTE_MS = 60_000;

/**
 * One sync of a caller's counters, in one round trip (the keys share the bucket's hash tag, so a
 * Redis Cluster keeps them on one node). Redis's clock dates each replica's in-flight count, so
 * the replicas' clocks need not agree.
 *   KEYS[1] in-flight hash of the bucket (field: replica id, value: "<count>:<ms>")
 *   KEYS[2] requests counter of the current minute
 *   KEYS[3] generated-tokens counter of the current minute
 *   ARGV[1] replica id             ARGV[2] its in-flight count
 *   ARGV[3] a count older than this is a dead replica's, ms
 *   ARGV[4] in-flight hash expiry, s
 *   ARGV[5] requests to add        ARGV[6] tokens to add
 *   ARGV[7] minute counters' expiry, s
 * Returns {in flight on the other replicas, requests this minute, tokens this minute}; removes the
 * counts of replicas that stopped syncing.
 */
const SYNC_SCRIPT = `
local time = redis.call('time')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local others = 0
local fields = redis.call('hgetall', KEYS[1])
for i = 1, #fields, 2 do
  if fields[i] ~= ARGV[1] then
    local value = fields[i + 1]
    local sep = string.find(value, ':', 1, true)
    if sep and now - tonumber(string.sub(value, sep + 1)) <= tonumber(ARGV[3]) then
      others = others + tonumber(string.sub(value, 1, sep - 1))
    else
      redis.call('hdel', KEYS[1], fields[i])
    end
  end
end
if tonumber(ARGV[2]) > 0 then
  redis.call('hset', KEYS[1], ARGV[1], ARGV[2] .. ':' .. now)
  redis.call('expire', KEYS[1], ARGV[4])
else
  redis.call('hdel', KEYS[1], ARGV[1])
end
local requests = redis.call('incrby', KEYS[2], ARGV[5])
redis.call('expire', KEYS[2], ARGV[7])
local tokens = redis.call('incrby', KEYS[3], ARGV[6])
redis.call('expire', KEYS[3], ARGV[7])
return {others, requests, tokens}`;

/** The script as the connection's command (EVALSHA, the source sent once). */
interface SyncCommand {
  slmSyncLimits(...args: (string | number)[]): Promise<[number, number, number]>;
}

/** A per-minute count: what Redis said at the last sync, and what this replica added since. */
class MinuteCount {
  minute = 0;
  shared = 0;
  unsynced = 0;

  /** The count of the minute `now` falls in (a new minute starts at zero). */
  total(now: number): number {
    this.roll(now);
    return this.shared + this.unsynced;
  }

  add(now: number, amount: number): void {
    this.roll(now);
    this.unsynced += amount;
  }

  private roll(now: number): void {
    const minute = Math.floor(now / MINUTE_MS);
    if (minute === this.minute) return;
    this.minute = minute;
    this.shared = 0;
    this.unsynced = 0;
  }
}

/** One caller's counters on this replica. */
class BucketCounts {
  inFlight = 0;
  /** In flight on the other replicas, as of the last sync. */
  othersInFlight = 0;
  othersSeenAt = 0;
  readonly requests = new MinuteCount();
  readonly tokens = new MinuteCount();
  /** Changed since its last sync. */
  dirty = false;
  syncedAt = 0;
  syncing = false;
}

/** What {@link SharedCounters} reads of one caller. */
export interface CallerCounts {
  /** In flight on every replica (this one exactly, the others as of the last sync). */
  inFlight: number;
  requestsThisMinute: number;
  tokensThisMinute: number;
}

/**
 * Per-caller counters shared by the router replicas, kept in memory and merged through Redis in
 * the background: every `syncMs` each replica sends what it added (requests, tokens, its in-flight
 * count) for the callers it served and reads back the totals, in one script call per caller. An
 * admission therefore costs no Redis round trip. On one replica the counts are exact; across
 * replicas each sees the others' as of its last sync, so a caller spraying several replicas at
 * once can pass a limit by what it gets admitted within one interval (the trade-off of Kong's
 * `sync_rate` and Envoy's local-then-global limits). A replica that stops syncing (it died, or lost
 * Redis) drops out of the others' in-flight counts after `staleMs`; while Redis is away each
 * replica goes on limiting with its own counts.
 */
export class SharedCounters {
  private readonly replicaId = randomUUID();
  private readonly buckets = new Map<string, BucketCounts>();
  private readonly timer: NodeJS.Timeout;
  private readonly staleMs: number;

  constructor(
    private readonly redis: RedisConnection,
    private readonly keyPrefix: string,
    private readonly syncMs: number,
    /** How long an in-flight count may stand without a sync (the longest request, for a replica that died mid-request). */
    private readonly inFlightExpirySeconds: number,
    private readonly onSyncError: (error: Error) => void,
  ) {
    this.staleMs = Math.max(5 * syncMs, 2_000);
    redis.defineCommand('slmSyncLimits', { numberOfKeys: 3, lua: SYNC_SCRIPT });
    this.timer = setInterval(() => this.syncAll(), syncMs);
    this.timer.unref();
  }

  /** The caller's counts now. */
  read(bucket: string, now = Date.now()): CallerCounts {
    const counts = this.bucket(bucket);
    const othersInFlight = now - counts.othersSeenAt <= this.staleMs ? counts.othersInFlight : 0;
    return {
      inFlight: counts.inFlight + othersInFlight,
      requestsThisMinute: counts.requests.total(now),
      tokensThisMinute: counts.tokens.total(now),
    };
  }

  /** Counts an admitted request: one more request this minute, and (`inFlight`) one more in flight. */
  admit(bucket: string, inFlight: boolean, now = Date.now()): void {
    const counts = this.bucket(bucket);
    counts.requests.add(now, 1);
    if (inFlight) counts.inFlight += 1;
    counts.dirty = true;
  }

  /** Counts a request's end: one fewer in flight (when it was counted so), and the tokens it generated. */
  release(bucket: string, inFlight: boolean, tokens: number, now = Date.now()): void {
    const counts = this.bucket(bucket);
    if (inFlight) counts.inFlight = Math.max(0, counts.inFlight - 1);
    if (tokens > 0) counts.tokens.add(now, tokens);
    counts.dirty = true;
  }

  /**
   * Syncs the callers whose counts changed, and those with requests in flight whose count on Redis
   * would soon look stale; forgets callers idle for a while (tests call it; the timer runs it every `syncMs`).
   */
  async syncAll(): Promise<void> {
    const now = Date.now();
    const pending: Promise<void>[] = [];
    for (const [bucket, counts] of this.buckets) {
      if (counts.syncing) continue;
      const age = now - counts.syncedAt;
      if (counts.dirty || (counts.inFlight > 0 && age > this.staleMs / 3)) pending.push(this.sync(bucket, counts, now));
      else if (counts.inFlight === 0 && age > 2 * MINUTE_MS) this.buckets.delete(bucket);
    }
    await Promise.all(pending);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private bucket(bucket: string): BucketCounts {
    let counts = this.buckets.get(bucket);
    if (!counts) {
      counts = new BucketCounts();
      this.buckets.set(bucket, counts);
    }
    return counts;
  }

  private async sync(bucket: string, counts: BucketCounts, now: number): Promise<void> {
    const minute = Math.floor(now / MINUTE_MS);
    const requests = counts.requests.total(now) - counts.requests.shared;
    const tokens = counts.tokens.total(now) - counts.tokens.shared;
    const stem = `${this.keyPrefix}:{${bucket}}`;
    counts.syncing = true;
    counts.dirty = false;
    try {
      const [others, sharedRequests, sharedTokens] = await (this.redis as RedisConnection & SyncCommand).slmSyncLimits(
        `${stem}:in-flight`,
        `${stem}:requests:${minute}`,
        `${stem}:tokens:${minute}`,
        this.replicaId,
        counts.inFlight,
        this.staleMs,
        this.inFlightExpirySeconds,
        requests,
        tokens,
        Math.ceil((2 * MINUTE_MS) / 1000),
      );
      counts.othersInFlight = others;
      counts.othersSeenAt = counts.syncedAt = Date.now();
      // What was added meanwhile stays unsynced; a minute that ended meanwhile is not written back.
      if (counts.requests.minute === minute) {
        counts.requests.unsynced -= requests;
        counts.requests.shared = sharedRequests;
      }
      if (counts.tokens.minute === minute) {
        counts.tokens.unsynced -= tokens;
        counts.tokens.shared = sharedTokens;
      }
    } catch (error) {
      counts.dirty = true;
      this.onSyncError(error as Error);
    } finally {
      counts.syncing = false;
    }
  }
}
