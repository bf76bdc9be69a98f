import { freePort, startRedisServer, type RedisServerProcess } from '@slm/platform';
import { getJson, postJson, startHarness, type Harness } from './router-harness';

/** Polls until the predicate holds (the router notices Redis's state through ioredis's reconnects). */
async function until(predicate: () => Promise<boolean>): Promise<void> {
  while (!(await predicate())) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('when Redis goes down and comes back', () => {
  let redis: RedisServerProcess;
  let port: number;
  let h: Harness;
  beforeAll(async () => {
    port = await freePort();
    redis = await startRedisServer({ port });
    h = await startHarness({ REDIS_URL: `redis://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await h.close();
    await redis.stop('SIGKILL');
  });

  it('batch routes answer 503 REDIS_UNAVAILABLE, synchronous solving keeps working, and all recover', async () => {
    await until(async () => (await postJson(`${h.base}/v1/batches`, [{ text: 'integral of x' }])).status === 202);
    await redis.stop('SIGKILL');

    await until(async () => (await postJson(`${h.base}/v1/batches`, [{ text: 'integral of x' }])).status === 503);
    const refused = await postJson(`${h.base}/v1/batches`, [{ text: 'integral of x' }]);
    expect(refused.json.error).toEqual({ code: 'REDIS_UNAVAILABLE', message: expect.stringContaining('Redis is not reachable') });
    expect((await getJson(`${h.base}/v1/batches/anything`)).status).toBe(503);
    const ready = await getJson(`${h.base}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.json.redis).toBe('down');
    const solved = await postJson(`${h.base}/v1/solve`, { text: 'integral of x' });
    expect(solved.status).toBe(200);
    expect(solved.json.result.answer).toBe('math:integral of x');
    expect((await fetch(`${h.base}/metrics`)).status).toBe(200);

    redis = await startRedisServer({ port });
    await until(async () => (await postJson(`${h.base}/v1/batches`, [{ text: 'integral of x' }])).status === 202);
    expect((await getJson(`${h.base}/readyz`)).json.redis).toBe('up');
  });
});
