import { setTimeout as sleep } from 'node:timers/promises';
import { loadProto, type GenerateRequest } from '@slm/contracts';
import { WorkerPool, type CallContext } from '../src/dispatch/worker-pool';
import { FakeWorker } from './fake-worker';

const request = (i: number): GenerateRequest => ({ problem: { text: `1+${i}` } });
const context = (): CallContext => ({ deadline: new Date(Date.now() + 30_000), requestId: '' });

describe('load-aware dispatch (least loaded of two random replicas)', () => {
  let workers: FakeWorker[];
  let pool: WorkerPool;
  beforeAll(async () => {
    workers = await Promise.all([0, 1, 2].map(() => new FakeWorker('math').start()));
    // A fixed 20 ms per call: the machine's own hiccups (a first call, a GC pause) stay small beside it.
    for (const worker of workers) worker.behaviour = { capacity: { maxConcurrency: 8, maxQueue: 16 }, delayMs: 20 };
    pool = new WorkerPool(
      'math',
      workers.map((w) => w.address),
      60_000,
      loadProto(),
    );
    pool.start();
    await pool.checkAll(2000);
  });
  afterAll(() => {
    pool.close();
    for (const worker of workers) worker.stop();
  });

  it('sends new calls to the other replicas while one holds calls that do not end', async () => {
    const [busy, ...others] = workers as [FakeWorker, FakeWorker, FakeWorker];
    // Each replica answers some calls first, so that each has a measured latency.
    for (let i = 0; i < 30; i++) await pool.generate(request(i), context());
    expect(workers.every((w) => w.calls.length > 0)).toBe(true);

    let release!: () => void;
    busy.behaviour = { ...busy.behaviour, hold: new Promise<void>((resolve) => (release = resolve)) };
    const before = busy.calls.length;
    const open: Promise<unknown>[] = [];
    // One call after another: one the busy replica takes stays open there, the others answer at once.
    for (let i = 0; i < 60; i++) {
      let answered = false;
      const reached = busy.calls.length + 1;
      open.push(pool.generate(request(100 + i), context()).finally(() => (answered = true)));
      while (!answered && busy.calls.length < reached) await sleep(2);
    }
    const held = busy.calls.length - before;
    expect(pool.states().find((r) => r.address === busy.address)?.inFlight).toBe(held);
    // Round robin would have left 20 calls waiting on the busy replica.
    expect(held).toBeLessThan(10);
    expect(others.reduce((n, w) => n + w.calls.length, 0)).toBeGreaterThan(50);
    release();
    await Promise.all(open);
    expect(pool.states().every((r) => r.inFlight === 0)).toBe(true);
  });
});
