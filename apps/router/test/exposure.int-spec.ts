import * as grpc from '@grpc/grpc-js';
import { createLogger } from '@slm/platform';
import type { RunningWorker } from '@slm/worker-runtime';
import { listServices } from '../../../libs/contracts/test/reflection-client';
import { startInstantWorker } from './real-worker';
import { getJson, startHarness, type Harness } from './router-harness';

// Issue 15, item 5: what the router and the workers show of themselves to whoever reaches them.

/** /readyz once it answers 200 (the first health round is under way when the router starts). */
async function ready(url: string) {
  for (;;) {
    const res = await getJson(url);
    if (res.status === 200) return res;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('/readyz keeps internal addresses to itself', () => {
  let h: Harness;
  afterEach(() => h?.close());

  const addressesOf = (h: Harness) => Object.values(h.workers).map((w) => w.address);

  it("answers each replica's state only, even when asked for details, unless ROUTER_READYZ_DETAILS=true", async () => {
    h = await startHarness({ ROUTER_READYZ_DETAILS: 'false' });
    for (const url of [`${h.base}/readyz`, `${h.base}/readyz?verbose=true`]) {
      const res = await ready(url);
      expect(res.json).toEqual({
        status: 'ready',
        redis: 'up',
        workers: {
          math: { serving: true, replicas: [{ state: 'serving' }] },
          code: { serving: true, replicas: [{ state: 'serving' }] },
          science: { serving: true, replicas: [{ state: 'serving' }] },
        },
      });
      for (const address of addressesOf(h)) expect(JSON.stringify(res.json)).not.toContain(address);
    }
  });

  it('shows addresses, capacity and in-flight calls at ?verbose=true where ROUTER_READYZ_DETAILS=true', async () => {
    h = await startHarness({ ROUTER_READYZ_DETAILS: 'true' });
    const plain = await ready(`${h.base}/readyz`);
    for (const address of addressesOf(h)) expect(JSON.stringify(plain.json)).not.toContain(address);
    const verbose = await ready(`${h.base}/readyz?verbose=true`);
    expect(verbose.json.workers.math.replicas).toEqual([
      expect.objectContaining({ address: h.workers.math.address, state: 'serving', inFlight: 0 }),
    ]);
  });
});

describe('gRPC server reflection can be turned off', () => {
  let worker: RunningWorker;
  let h: Harness;

  beforeAll(async () => {
    worker = await startInstantWorker(createLogger('test', 'silent'), { MATH_WORKER_GRPC_REFLECTION: 'false' });
    h = await startHarness({ MATH_WORKER_ADDRESSES: `127.0.0.1:${worker.grpcPort}`, ROUTER_GRPC_REFLECTION: 'false' });
  });

  afterAll(async () => {
    await h?.close();
    await worker?.close();
  });

  it.each(['v1', 'v1alpha'] as const)('a reflection client gets UNIMPLEMENTED from the router and from a worker (%s)', async (version) => {
    for (const port of [h.router.grpcPort, worker.grpcPort]) {
      await expect(listServices(version, `127.0.0.1:${port}`)).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    }
  });

  it('keeps health checks answering: the router sees the worker serving', async () => {
    expect((await ready(`${h.base}/readyz`)).json.workers.math.serving).toBe(true);
  });
});
