import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '@slm/contracts';
import { freePort } from '@slm/platform';
import { InstantQueueWorkers, until } from './redis-topologies';
import { getJson, postJson } from './router-harness';

// Two router processes sharing one Redis and one QUEUE_PREFIX, no load balancer in front: a client
// that alternates between them. Everything a batch is (its record, outcomes, idempotency keys,
// requestIds in flight, the queues' event cursors) lives in Redis, so either router answers for a
// batch the other took, and a router SIGKILLed mid-batch loses nothing: the survivor keeps reading
// the queues' event streams and records every outcome. Workers are real queue consumers
// (the shared worker runtime with an instant engine) in this process.

const root = path.resolve(__dirname, '..', '..', '..');
const redisUrl = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface RouterProcess {
  child: ChildProcess;
  base: string;
  grpcAddress: string;
  exited: Promise<unknown>;
}

const TEXTS = ['integral of x', 'python function', 'atom energy'];
const problemsOf = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ text: `${TEXTS[i % 3]} ${tag} #${i}`, requestId: `${tag}-${i}` }));

/** The batch's status through one router (undefined while that router answers otherwise). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function statusOn(router: RouterProcess, batchId: string): Promise<Record<string, any> | undefined> {
  const { status, json } = await getJson(`${router.base}/v1/batches/${batchId}`).catch(() => ({ status: 0, json: undefined }));
  return status === 200 ? json.status : undefined;
}

async function resultsOn(router: RouterProcess, batchId: string, offset = 0): Promise<{ index: number; result?: { requestId: string } }[]> {
  const res = await fetch(`${router.base}/v1/batches/${batchId}/results${offset ? `?offset=${offset}` : ''}`);
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

describe('two routers on one Redis, a client alternating between them', () => {
  const prefix = `routers${randomUUID().slice(0, 8)}`;
  const routers: RouterProcess[] = [];
  let a: RouterProcess;
  let b: RouterProcess;
  let workers: InstantQueueWorkers | undefined;

  async function startRouterProcess(): Promise<RouterProcess> {
    const [httpPort, grpcPort, ...workerPorts] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const child = spawn(
      process.execPath,
      ['--require', path.join(root, 'tools/jest/swc-register.js'), path.join(root, 'apps/router/src/main.ts')],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          LOG_LEVEL: 'warn',
          REDIS_URL: redisUrl(),
          QUEUE_PREFIX: prefix,
          ROUTER_HOST: '127.0.0.1',
          ROUTER_HTTP_PORT: String(httpPort),
          ROUTER_GRPC_PORT: String(grpcPort),
          ROUTER_FALLBACK: 'domain:science',
          // Batches go through the queues only: no gRPC worker is needed (nothing listens there).
          MATH_WORKER_ADDRESSES: `127.0.0.1:${workerPorts[0]}`,
          CODE_WORKER_ADDRESSES: `127.0.0.1:${workerPorts[1]}`,
          SCIENCE_WORKER_ADDRESSES: `127.0.0.1:${workerPorts[2]}`,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const router: RouterProcess = {
      child,
      base: `http://127.0.0.1:${httpPort}`,
      grpcAddress: `127.0.0.1:${grpcPort}`,
      exited: once(child, 'exit'),
    };
    routers.push(router);
    readline.createInterface({ input: child.stdout! }).on('line', () => undefined);
    // Up when its batch routes answer (a 404 for an unknown batch needs Redis connected).
    for (const end = Date.now() + 40_000; ; await sleep(200)) {
      if (child.exitCode !== null) throw new Error(`router exited with ${child.exitCode} during start-up`);
      if (Date.now() > end) throw new Error('router not up within 40 s');
      if ((await getJson(`${router.base}/v1/batches/none`).catch(() => ({ status: 0 }))).status === 404) return router;
    }
  }

  beforeAll(async () => {
    [a, b] = await Promise.all([startRouterProcess(), startRouterProcess()]);
  }, 60_000);

  afterAll(async () => {
    await workers?.close();
    for (const router of routers) if (router.child.exitCode === null && router.child.signalCode === null) router.child.kill('SIGKILL');
  }, 30_000);

  it('an idempotency key names one batch on both routers; it is watched and cancelled on the other one', async () => {
    const problems = problemsOf('idem', 30);
    const key = `key-${randomUUID()}`;
    const first = await postJson(`${a.base}/v1/batches`, { problems }, { 'idempotency-key': key });
    const again = await postJson(`${b.base}/v1/batches`, { problems }, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    expect(again).toMatchObject({ status: 202, json: { batchId: first.json.batchId, total: 30, deduplicated: true } });
    // A different body under the same key is a conflict on the other router too.
    expect((await postJson(`${b.base}/v1/batches`, { problems: problemsOf('other', 3) }, { 'idempotency-key': key })).status).toBe(409);

    const batchId = first.json.batchId as string;
    expect(await statusOn(b, batchId)).toMatchObject({ batchId, total: 30, state: 'BATCH_STATE_RUNNING' });
    const cancelled = await fetch(`${b.base}/v1/batches/${batchId}`, { method: 'DELETE' });
    expect(cancelled.status).toBe(200);
    await until(
      'the cancel to be seen on the first router',
      async () => (await statusOn(a, batchId))?.state === 'BATCH_STATE_CANCELLED',
      10_000,
    );
    expect(await statusOn(a, batchId)).toMatchObject({ counts: { cancelled: 30, completed: 0, queued: 0 } });
  });

  it('requestIds in flight are shared: the same problems submitted on both routers are solved once', async () => {
    // Both batches queued before any worker runs: the second one's problems wait on the first's jobs.
    const problems = problemsOf('shared', 60);
    const x = await postJson(`${a.base}/v1/batches`, { problems });
    const y = await postJson(`${b.base}/v1/batches`, { problems });
    expect([x.status, y.status]).toEqual([202, 202]);
    workers = await new InstantQueueWorkers().start(redisUrl(), prefix);
    for (const [router, batchId] of [
      [b, x.json.batchId],
      [a, y.json.batchId],
    ] as const) {
      await until('both batches to complete', async () => (await statusOn(router, batchId))?.state === 'BATCH_STATE_COMPLETED', 30_000);
      const items = await resultsOn(router, batchId);
      expect(items.map((item) => item.result?.requestId)).toEqual(problems.map((p) => p.requestId));
    }
    expect(problems.filter((p) => workers?.solved.get(p.text) !== 1)).toEqual([]);
  }, 45_000);

  it('a router SIGKILLed mid-batch loses nothing: the other one records every outcome, watches it over gRPC and pages its results', async () => {
    const total = 1500;
    const problems = problemsOf('kill', total);
    const submitted = await postJson(`${a.base}/v1/batches`, { problems });
    expect(submitted.status).toBe(202);
    const batchId = submitted.json.batchId as string;

    // A gRPC WatchBatch on the survivor, open from before the kill to the end.
    const client = new (loadProto().slmrouter.v1.Router)(b.grpcAddress, grpc.credentials.createInsecure());
    const watched = new Set<number>();
    let lastState = '';
    const watch = client.watchBatch({ batchId, fromIndex: 0 }, { deadline: Date.now() + 60_000 });
    watch.on('data', (event: { item?: { index: number }; status?: { state: string } }) => {
      if (event.item) watched.add(event.item.index);
      if (event.status) lastState = event.status.state;
    });
    const watchEnded = new Promise<grpc.StatusObject>((resolve) => watch.on('status', resolve));
    watch.on('error', () => undefined);

    let completedBefore = 0;
    await until(
      'the batch to be under way',
      async () => (completedBefore = (await statusOn(b, batchId))?.counts.completed ?? 0) >= 50,
      30_000,
    );
    a.child.kill('SIGKILL');
    await a.exited;
    expect(completedBefore).toBeLessThan(total); // the kill did land mid-batch

    let final: Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
    await until(
      'the batch to complete on the survivor',
      async () => (final = await statusOn(b, batchId))?.state === 'BATCH_STATE_COMPLETED',
      40_000,
    );
    expect(final).toMatchObject({ total, progress: 1, counts: { completed: total, failed: 0, cancelled: 0, queued: 0, active: 0 } });
    expect(problems.filter((p) => workers?.solved.get(p.text) !== 1)).toEqual([]);

    // Paginated: a page from an offset holds the rest, in input order.
    const all = await resultsOn(b, batchId);
    expect(all.map((item) => item.index)).toEqual(problems.map((_, i) => i));
    expect(all.every((item, i) => item.result?.requestId === `kill-${i}`)).toBe(true);
    const page = await resultsOn(b, batchId, 1000);
    expect(page.map((item) => item.index)).toEqual(problems.slice(1000).map((_, i) => 1000 + i));

    expect((await watchEnded).code).toBe(grpc.status.OK);
    client.close();
    expect(lastState).toBe('BATCH_STATE_COMPLETED');
    expect(watched.size).toBe(total);
  }, 80_000);
});
