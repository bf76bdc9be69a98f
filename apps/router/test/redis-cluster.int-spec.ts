import { QUEUE_OF_DOMAIN, batchCancelChannel } from '@slm/contracts';
import { createRedisConnection } from '@slm/platform';
import {
  BATCH,
  batchStackOn,
  expectCompleteAndSolvedOnce,
  redisCli,
  startRedisCluster,
  statusOf,
  submitBatch,
  until,
} from './redis-topologies';
import { startHarness, untilReady } from './router-harness';

describe('batches on a Redis Cluster (three masters, three replicas)', () => {
  const stack = batchStackOn(startRedisCluster);

  it('completes a 2,000-problem batch across the three domains, each problem solved once', async () => {
    const batchId = await submitBatch(stack.h, 'plain');
    await expectCompleteAndSolvedOnce(stack.h, stack.workers, batchId, 'plain');
    // Each queue's keys under its own hash tag, the batch's records under the deployment's: each on the master of its slot.
    for (const queue of Object.values(QUEUE_OF_DOMAIN)) {
      const tag = `{${stack.h.prefix}:${queue}}`;
      expect((await redisCli((await stack.topology.masterOf(tag)).port, 'exists', `${tag}:${queue}:events`)).trim()).toBe('1');
    }
    const stateTag = `{${stack.h.prefix}:slm}`;
    expect((await redisCli((await stack.topology.masterOf(stateTag)).port, 'hget', `${stateTag}:batch:${batchId}`, 'state')).trim()).toBe(
      'completed',
    );
  }, 90_000);

  it('cancels a batch: the cancel reaches subscribers on any node, every problem is counted cancelled', async () => {
    // A router of its own without queue workers, so the batch is still waiting when it is cancelled.
    const idle = await startHarness({ REDIS_URL: stack.topology.url, ROUTER_MAX_BATCH_SIZE: String(BATCH) });
    const listener = createRedisConnection(stack.topology.url, { maxRetriesPerRequest: null });
    try {
      await untilReady(idle);
      const heard: string[] = [];
      listener.on('message', (_channel: string, message: string) => heard.push(message));
      await listener.subscribe(batchCancelChannel(idle.prefix));
      const batchId = await submitBatch(idle, 'cancel');
      expect((await fetch(`${idle.base}/v1/batches/${batchId}`, { method: 'DELETE' })).status).toBe(200);
      await until('the cancel to be announced', async () => heard.includes(batchId), 10_000);
      const final = await statusOf(idle, batchId);
      expect(final).toMatchObject({ state: 'BATCH_STATE_CANCELLED', counts: { cancelled: BATCH, completed: 0, queued: 0 } });
      // Its waiting jobs left the queues (the bulk removal script ran in each queue's slot).
      for (const queue of Object.values(QUEUE_OF_DOMAIN)) {
        const tag = `{${idle.prefix}:${queue}}`;
        expect((await redisCli((await stack.topology.masterOf(tag)).port, 'zcard', `${tag}:${queue}:prioritized`)).trim()).toBe('0');
      }
    } finally {
      listener.disconnect();
      await idle.close();
    }
  }, 60_000);

  it('completes a 2,000-problem batch while the master of its records is killed and its replica takes over', async () => {
    const stateKey = `{${stack.h.prefix}:slm}`;
    const victim = await stack.topology.masterOf(stateKey);
    const batchId = await submitBatch(stack.h, 'failover');
    // Mid-batch: some problems done, most still to come.
    let completedBefore = 0;
    await until(
      'the batch to be under way',
      async () => (completedBefore = (await statusOf(stack.h, batchId))?.counts.completed ?? 0) >= 100,
      30_000,
    );
    await victim.kill();
    expect(completedBefore).toBeLessThan(BATCH);
    await until(
      "a replica to take over the killed master's slots",
      async () => (await stack.topology.masterOf(stateKey)).port !== victim.port,
      30_000,
    );
    await expectCompleteAndSolvedOnce(stack.h, stack.workers, batchId, 'failover');
  }, 110_000);
});
