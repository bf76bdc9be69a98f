import { BATCH, InstantQueueWorkers, LocalRedisGroup, expectCompleteAndSolvedOnce, redisCli, startSentinelGroup, statusOf, submitBatch, until, type LocalSentinelGroup } from './redis-topologies';
import { startHarness, untilReady, type Harness } from './router-harness';

describe('batches on Redis Sentinel (one master, one replica, three sentinels)', () => {
  const group = new LocalRedisGroup();
  let sentinel: LocalSentinelGroup;
  let h: Harness | undefined;
  let workers: InstantQueueWorkers | undefined;

  beforeAll(async () => {
    sentinel = await startSentinelGroup(group);
    h = await startHarness({ REDIS_URL: sentinel.url, ROUTER_MAX_BATCH_SIZE: String(BATCH) });
    await untilReady(h);
    workers = await new InstantQueueWorkers().start(sentinel.url, h.prefix);
  }, 60_000);

  afterAll(async () => {
    await workers?.close();
    await h?.close();
    await group.stopAll();
  }, 30_000);

  it('completes a 2,000-problem batch on the master the sentinels name', async () => {
    const batchId = await submitBatch(h as Harness, 'plain');
    await expectCompleteAndSolvedOnce(h as Harness, workers as InstantQueueWorkers, batchId, 'plain');
    // The same keys as on one Redis: the batch's record is on the master.
    expect((await redisCli(sentinel.master.port, 'hget', `${h?.prefix}:slm:batch:${batchId}`, 'state')).trim()).toBe('completed');
  }, 90_000);

  it('completes a 2,000-problem batch while the master is killed and the sentinels promote the replica', async () => {
    const batchId = await submitBatch(h as Harness, 'failover');
    let completedBefore = 0;
    await until('the batch to be under way', async () => (completedBefore = (await statusOf(h as Harness, batchId))?.counts.completed ?? 0) >= 100, 30_000);
    await sentinel.master.kill();
    expect(completedBefore).toBeLessThan(BATCH);
    await until('the sentinels to promote the replica', async () => (await redisCli(sentinel.sentinels[0]?.port ?? 0, 'sentinel', 'get-master-addr-by-name', sentinel.name)).includes(String(sentinel.replica.port)), 30_000);
    await expectCompleteAndSolvedOnce(h as Harness, workers as InstantQueueWorkers, batchId, 'failover');
    expect((await redisCli(sentinel.replica.port, 'role')).startsWith('master')).toBe(true);
  }, 110_000);
});
