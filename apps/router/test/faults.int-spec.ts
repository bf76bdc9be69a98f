import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, startRedisServer, type RedisServerProcess } from '@slm/platform';
import { QueueWorkers } from './queue-workers';
import { getJson, postJson, startHarness, type Harness } from './router-harness';

// Faults in the middle of a batch: every problem must be answered exactly once, in order.

type Status = { state: string; counts: { completed: number; failed: number } };

async function statusOf(h: Harness, batchId: string): Promise<Status | undefined> {
  const res = await getJson(`${h.base}/v1/batches/${batchId}`);
  return res.status === 200 ? res.json.status : undefined;
}

/** Polls the batch until `done`; after 30 s fails with the last status (a hang says where it stuck). */
async function waitFor(h: Harness, batchId: string, done: (s: Status) => boolean): Promise<Status> {
  const deadline = Date.now() + 30_000;
  let status: Status | undefined;
  for (;;) {
    status = await statusOf(h, batchId);
    if (status && done(status)) return status;
    if (Date.now() > deadline) throw new Error(`batch stuck: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function expectAnsweredOnceInOrder(h: Harness, batchId: string, total: number): Promise<void> {
  const text = await (await fetch(`${h.base}/v1/batches/${batchId}/results`)).text();
  const items = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  expect(items.map((item) => item.index)).toEqual(Array.from({ length: total }, (_, i) => i));
  items.forEach((item, i) => expect(item.result.answer).toBe(`math:integral ${i}`));
}

describe('faults in the middle of a batch', () => {
  let dir: string;
  let port: number;
  let redis: RedisServerProcess;
  let h: Harness;
  const workers: QueueWorkers[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-redis-'));
    port = await freePort();
    redis = await startRedisServer({ port, dir, appendFsync: 'always' }); // every write on disk: a kill -9 loses nothing
    h = await startHarness({ REDIS_URL: `redis://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    for (const w of workers) await w.close().catch(() => undefined);
    await h.close();
    await redis.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const problems = (n: number) => Array.from({ length: n }, (_, i) => ({ text: `integral ${i}` }));
  const url = () => `redis://127.0.0.1:${port}`;

  it('a worker replica killed mid-batch: its jobs stall, another replica solves them, each recorded once', async () => {
    const stalling = { jobMs: 20, lockDuration: 1000, stalledInterval: 500 };
    const doomed = new QueueWorkers(url(), h.prefix, 10, stalling);
    const survivor = new QueueWorkers(url(), h.prefix, 10, stalling);
    workers.push(doomed, survivor);
    const { json } = await postJson(`${h.base}/v1/batches`, problems(400));
    await waitFor(h, json.batchId, (s) => s.counts.completed >= 50);
    await doomed.kill();
    const final = await waitFor(h, json.batchId, (s) => s.state !== 'BATCH_STATE_RUNNING');
    expect(final).toMatchObject({ state: 'BATCH_STATE_COMPLETED', counts: { completed: 400, failed: 0 } });
    await expectAnsweredOnceInOrder(h, json.batchId, 400);
  });

  it('Redis killed and restarted mid-batch: the batch resumes by itself, each problem recorded once', async () => {
    const steady = new QueueWorkers(url(), h.prefix, 10, { jobMs: 20, lockDuration: 2000, stalledInterval: 1000 });
    workers.push(steady);
    const { json } = await postJson(`${h.base}/v1/batches`, problems(300));
    await waitFor(h, json.batchId, (s) => s.counts.completed >= 30);
    await redis.stop('SIGKILL');
    redis = await startRedisServer({ port, dir, appendFsync: 'always' }); // every write on disk: a kill -9 loses nothing
    const final = await waitFor(h, json.batchId, (s) => s.state !== 'BATCH_STATE_RUNNING');
    expect(final).toMatchObject({ state: 'BATCH_STATE_COMPLETED', counts: { completed: 300, failed: 0 } });
    await expectAnsweredOnceInOrder(h, json.batchId, 300);
  });

  it('a router restarted mid-batch: the new router picks up the outcomes produced while none ran', async () => {
    for (const w of workers.splice(0)) await w.close().catch(() => undefined);
    const paused = new QueueWorkers(url(), h.prefix, 10);
    workers.push(paused);
    await paused.pause();
    const { json } = await postJson(`${h.base}/v1/batches`, problems(200));
    await h.close();
    paused.resume();
    // Solved while no router listens: the outcomes wait in each queue's event stream.
    while ([...paused.runs.keys()].filter((id) => id.startsWith(json.batchId)).length < 200)
      await new Promise((resolve) => setTimeout(resolve, 50));
    h = await startHarness({ REDIS_URL: url(), QUEUE_PREFIX: h.prefix });
    const final = await waitFor(h, json.batchId, (s) => s.state !== 'BATCH_STATE_RUNNING');
    expect(final).toMatchObject({ state: 'BATCH_STATE_COMPLETED', counts: { completed: 200, failed: 0 } });
    await expectAnsweredOnceInOrder(h, json.batchId, 200);
  });
});
