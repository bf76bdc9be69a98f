import { RedisAuthError, startRedisServer, type RedisServerProcess } from '@slm/platform';
import type { RunningWorker } from '@slm/worker-runtime';
import { startInstantWorker } from './real-worker';
import { batchStatusWhenDone, getJson, postJson, startHarness, untilReady, type Harness } from './router-harness';

// Issue 15, item 6: a Redis that requires a password, as `slm up`'s own does, end to end.

const PASSWORD = 'pw-5b1e/9:c@ret';

function mathWorker(redisUrl: string, prefix: string): Promise<RunningWorker> {
  return startInstantWorker(undefined, { REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, MATH_WORKER_QUEUE: 'true' });
}

async function failureOf(start: () => Promise<unknown>): Promise<Error> {
  try {
    await start();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the start to fail');
}

describe('Redis with requirepass', () => {
  let redis: RedisServerProcess;
  beforeAll(async () => {
    redis = await startRedisServer({ password: PASSWORD });
  });
  afterAll(() => redis?.stop());

  it('carries the password in the URL it hands out', () => {
    expect(redis.url).toBe(`redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${redis.port}`);
  });

  describe('router and a worker with the password in REDIS_URL', () => {
    const prefix = `auth${Date.now()}`;
    let worker: RunningWorker;
    let h: Harness;
    beforeAll(async () => {
      worker = await mathWorker(redis.url, prefix);
      h = await startHarness({ REDIS_URL: redis.url, QUEUE_PREFIX: prefix, MATH_WORKER_ADDRESSES: `127.0.0.1:${worker.grpcPort}` });
      await untilReady(h);
    });
    afterAll(async () => {
      await h?.close();
      await worker?.close();
    });

    it('submit a batch that the worker completes through the queue', async () => {
      const submitted = await postJson(`${h.base}/v1/batches`, {
        problems: [{ text: 'integral of x' }, { text: 'integral of x^2' }, { text: 'integral of sin x' }],
      });
      expect(submitted.status).toBe(202);
      const status = await batchStatusWhenDone(h, submitted.json.batchId);
      expect(status).toMatchObject({ state: 'BATCH_STATE_COMPLETED', counts: { completed: 3, failed: 0 } });
      expect((await getJson(`${h.base}/readyz`)).json.redis).toBe('up');
    });
  });

  describe('a wrong password', () => {
    const wrong = 'not-the-Password-42';
    const wrongUrl = () => `redis://:${wrong}@127.0.0.1:${redis.port}`;

    it('stops the router at start-up with a message that names Redis but not the password', async () => {
      const error = await failureOf(() => startHarness({ REDIS_URL: wrongUrl() }));
      expect(error).toBeInstanceOf(RedisAuthError);
      expect(error.message).toContain(`Redis at redis://:***@127.0.0.1:${redis.port} refused the credentials in REDIS_URL`);
      expect(error.message).not.toContain(wrong);
      expect(error.message).not.toContain(PASSWORD);
    });

    it('stops a worker at start-up the same way', async () => {
      const error = await failureOf(() => mathWorker(wrongUrl(), 'unused'));
      expect(error).toBeInstanceOf(RedisAuthError);
      expect(error.message).not.toContain(wrong);
    });

    it('and so does no password at all', async () => {
      const error = await failureOf(() => startHarness({ REDIS_URL: `redis://127.0.0.1:${redis.port}` }));
      expect(error).toBeInstanceOf(RedisAuthError);
      expect(error.message).toMatch(/NOAUTH/);
    });
  });
});
