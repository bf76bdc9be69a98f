import { randomUUID } from 'node:crypto';
import { createRedisConnection, freePort, type RedisConnection } from '@slm/platform';
import { SharedCounters } from '../src/limits/shared-counters';

/** Two router replicas' counters on one Redis; the tests sync them by hand (the timer's interval is long). */
describe('per-caller limits shared by replicas through Redis (SharedCounters)', () => {
  const connections: RedisConnection[] = [];
  const replicas: SharedCounters[] = [];
  const syncErrors: Error[] = [];
  let prefix: string;

  const replica = (syncMs = 60_000, url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') => {
    const redis = createRedisConnection(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined);
    connections.push(redis);
    const counters = new SharedCounters(redis, prefix, syncMs, 600, (error) => syncErrors.push(error));
    replicas.push(counters);
    return counters;
  };
  /** Every connection opened so far is connected (a sync before that fails, as it would while Redis is away). */
  const connected = () =>
    Promise.all(
      connections.map((redis) => (redis.status === 'ready' ? undefined : new Promise((resolve) => redis.once('ready', resolve)))),
    );

  beforeEach(() => {
    prefix = `t${randomUUID().slice(0, 8)}:slm:limit`;
    syncErrors.length = 0;
  });
  afterEach(() => {
    for (const counters of replicas.splice(0)) counters.close();
    for (const redis of connections.splice(0)) redis.disconnect();
  });

  it('on one replica the counts are exact before any sync', () => {
    const a = replica();
    a.admit('key-1', true);
    a.admit('key-1', true);
    a.admit('key-2', false);
    expect(a.read('key-1')).toEqual({ inFlight: 2, requestsThisMinute: 2, tokensThisMinute: 0 });
    a.release('key-1', true, 7);
    expect(a.read('key-1')).toEqual({ inFlight: 1, requestsThisMinute: 2, tokensThisMinute: 7 });
    expect(a.read('key-2')).toEqual({ inFlight: 0, requestsThisMinute: 1, tokensThisMinute: 0 });
  });

  it("each replica sees the others' requests, tokens and in-flight counts after a sync, and never counts its own twice", async () => {
    const a = replica();
    const b = replica();
    await connected();
    a.admit('key', true);
    a.admit('key', true);
    a.release('key', true, 5);
    await a.syncAll();
    b.admit('key', true);
    await b.syncAll();
    expect(b.read('key')).toEqual({ inFlight: 2, requestsThisMinute: 3, tokensThisMinute: 5 });
    a.admit('key', false);
    await a.syncAll();
    // A synced twice; its first requests are in Redis once.
    expect(a.read('key')).toEqual({ inFlight: 2, requestsThisMinute: 4, tokensThisMinute: 5 });
    expect(syncErrors).toEqual([]);
  });

  it('a replica that stops syncing drops out of the in-flight count (it died mid-request)', async () => {
    const a = replica();
    const b = replica(50); // stale after max(5 × 50 ms, 2 s)
    await connected();
    a.admit('key', true);
    await a.syncAll();
    a.close(); // A stops syncing, its slot still held
    b.admit('key', true);
    await b.syncAll();
    expect(b.read('key').inFlight).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 2_300));
    b.release('key', true, 0);
    b.admit('key', true);
    await b.syncAll();
    expect(b.read('key').inFlight).toBe(1);
  });

  it('while Redis is unreachable, each replica limits on its own counts and the sync errors are reported', async () => {
    const a = replica(60_000, `redis://127.0.0.1:${await freePort()}`);
    a.admit('key', true);
    a.admit('key', true);
    await a.syncAll();
    expect(syncErrors.length).toBeGreaterThan(0);
    expect(a.read('key')).toEqual({ inFlight: 2, requestsThisMinute: 2, tokensThisMinute: 0 });
  });
});
