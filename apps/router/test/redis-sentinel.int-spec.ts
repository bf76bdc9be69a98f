import {
  BATCH,
  batchStackOn,
  expectCompleteAndSolvedOnce,
  redisCli,
  startSentinelGroup,
  statusOf,
  submitBatch,
  until,
} from './redis-topologies';

describe('batches on Redis Sentinel (one master, one replica, three sentinels)', () => {
  const stack = batchStackOn(startSentinelGroup);

  it('completes a 2,000-problem batch on the master the sentinels name', async () => {
    const batchId = await submitBatch(stack.h, 'plain');
    await expectCompleteAndSolvedOnce(stack.h, stack.workers, batchId, 'plain');
    // The same keys as on one Redis: the batch's record is on the master.
    expect((await redisCli(stack.topology.master.port, 'hget', `${stack.h.prefix}:slm:batch:${batchId}`, 'state')).trim()).toBe(
      'completed',
    );
  }, 90_000);

  it('completes a 2,000-problem batch while the master is killed and the sentinels promote the replica', async () => {
    const batchId = await submitBatch(stack.h, 'failover');
    let completedBefore = 0;
    await until(
      'the batch to be under way',
      async () => (completedBefore = (await statusOf(stack.h, batchId))?.counts.completed ?? 0) >= 100,
      30_000,
    );
    await stack.topology.master.kill();
    expect(completedBefore).toBeLessThan(BATCH);
    await until(
      'the sentinels to promote the replica',
      async () =>
        (await redisCli(stack.topology.sentinels[0]?.port ?? 0, 'sentinel', 'get-master-addr-by-name', stack.topology.name)).includes(
          String(stack.topology.replica.port),
        ),
      30_000,
    );
    await expectCompleteAndSolvedOnce(stack.h, stack.workers, batchId, 'failover');
    expect((await redisCli(stack.topology.replica.port, 'role')).startsWith('master')).toBe(true);
  }, 110_000);
});
