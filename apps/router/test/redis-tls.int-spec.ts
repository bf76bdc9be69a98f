import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ConfigError,
  RedisAuthError,
  createRedisConnection,
  startRedisServer,
  writeDevCertificates,
  type DevCertFile,
  type RedisServerProcess,
} from '@slm/platform';
import type { RunningWorker } from '@slm/worker-runtime';
import { loadRouterConfig } from '../src/config/router.config';
import { startInstantWorker } from './real-worker';
import { batchStatusWhenDone, getJson, postJson, startHarness, untilReady, type Harness } from './router-harness';

// Issue 15, item 6: Redis over TLS (`--tls-port` with the development CA), the CA given to every
// client in REDIS_URL's tlsCaFile parameter; with a password too, as a production Redis has.

const PASSWORD = 'tls-pw-7f3a';

describe('Redis over TLS', () => {
  let dir: string;
  let certs: Record<DevCertFile, string>;
  let redis: RedisServerProcess;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-redis-tls-'));
    certs = writeDevCertificates(dir);
    redis = await startRedisServer({ password: PASSWORD, tls: { certFile: certs.redis, keyFile: certs.redisKey, caFile: certs.ca } });
  });
  afterAll(async () => {
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('hands out a rediss:// URL naming the CA', () => {
    expect(redis.url).toBe(`rediss://:${PASSWORD}@127.0.0.1:${redis.port}?tlsCaFile=${encodeURIComponent(certs.ca)}`);
  });

  describe('router and a worker on it', () => {
    const prefix = `tls${Date.now()}`;
    let worker: RunningWorker;
    let h: Harness;
    beforeAll(async () => {
      worker = await startInstantWorker(undefined, { REDIS_URL: redis.url, QUEUE_PREFIX: prefix, MATH_WORKER_QUEUE: 'true' });
      h = await startHarness({ REDIS_URL: redis.url, QUEUE_PREFIX: prefix, MATH_WORKER_ADDRESSES: `127.0.0.1:${worker.grpcPort}` });
      await untilReady(h);
    });
    afterAll(async () => {
      await h?.close();
      await worker?.close();
    });

    it('submit a batch that the worker completes through the queue', async () => {
      const submitted = await postJson(`${h.base}/v1/batches`, { problems: [{ text: 'integral of x' }, { text: 'integral of x^2' }] });
      expect(submitted.status).toBe(202);
      const status = await batchStatusWhenDone(h, submitted.json.batchId);
      expect(status).toMatchObject({ state: 'BATCH_STATE_COMPLETED', counts: { completed: 2, failed: 0 } });
      expect((await getJson(`${h.base}/readyz`)).json.redis).toBe('up');
    });
  });

  it('refuses a client that does not trust the CA, with a certificate error', async () => {
    const client = createRedisConnection(`rediss://:${PASSWORD}@127.0.0.1:${redis.port}`, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const errors: string[] = [];
    client.on('error', (error: Error) => errors.push(`${(error as NodeJS.ErrnoException).code} ${error.message}`));
    await expect(client.connect()).rejects.toThrow();
    client.disconnect();
    expect(errors.join('\n')).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
  });

  it('stops the router and a worker at start-up when they do not trust its certificate, saying where the CA goes', async () => {
    const untrusted = `rediss://:${PASSWORD}@127.0.0.1:${redis.port}`;
    for (const start of [
      () => startHarness({ REDIS_URL: untrusted }),
      () => startInstantWorker(undefined, { REDIS_URL: untrusted, MATH_WORKER_QUEUE: 'true' }),
    ]) {
      const error = await start().then(
        () => new Error('expected the start to fail'),
        (error: unknown) => error as Error,
      );
      expect(error).toBeInstanceOf(RedisAuthError);
      expect(error.message).toContain(`Redis at rediss://:***@127.0.0.1:${redis.port} presented a certificate this service does not trust`);
      expect(error.message).toContain("name its CA in REDIS_URL's tlsCaFile parameter");
      expect(error.message).not.toContain(PASSWORD);
    }
  });

  it('refuses plaintext redis:// on the TLS port', async () => {
    const client = createRedisConnection(`redis://:${PASSWORD}@127.0.0.1:${redis.port}`, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 2000,
    });
    client.on('error', () => undefined);
    await expect(client.connect().then(() => client.ping())).rejects.toThrow();
    client.disconnect();
  });

  it('stops at configuration when tlsCaFile is unusable', () => {
    const missing = path.join(dir, 'missing.pem');
    const problems = (url: string) => {
      try {
        loadRouterConfig({ REDIS_URL: url });
        return '';
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
    };
    expect(problems(`rediss://127.0.0.1:6380?tlsCaFile=${missing}`)).toBe(
      `invalid configuration: REDIS_URL: tlsCaFile: cannot read certificate file ${missing}: no such file`,
    );
    expect(problems(`rediss://127.0.0.1:6380?tlsCaFile=${certs.redisKey}`)).toContain('is not a PEM certificate');
    expect(problems(`redis://127.0.0.1:6380?tlsCaFile=${certs.ca}`)).toBe(
      'invalid configuration: REDIS_URL: tlsCaFile needs TLS: use rediss:// (or rediss-sentinel://)',
    );
  });
});
