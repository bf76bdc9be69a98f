import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { QUEUE_OF_DOMAIN, batchCancelChannel, type WorkerDomain } from '@slm/contracts';
import { QueueWorkers } from './queue-workers';
import { getJson, postJson, startHarness, untilReady, type Harness } from './router-harness';

const DOMAIN_TEXT = ['integral of x', 'python function', 'atom energy'];
const DOMAINS = ['math', 'code', 'science'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function waitForState(h: Harness, batchId: string, state: string, onStatus?: (status: Record<string, any>) => void) {
  for (;;) {
    const { json } = await getJson(`${h.base}/v1/batches/${batchId}`);
    onStatus?.(json.status);
    if (json.status.state === state) return json.status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function waitForStatus(h: Harness, batchId: string, done: (status: Record<string, any>) => boolean) {
  for (;;) {
    const { json } = await getJson(`${h.base}/v1/batches/${batchId}`);
    if (done(json.status)) return json.status;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function resultLines(h: Harness, batchId: string, offset?: number) {
  const res = await fetch(`${h.base}/v1/batches/${batchId}/results${offset !== undefined ? `?offset=${offset}` : ''}`);
  const text = await res.text();
  return {
    res,
    items: text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line)),
  };
}

describe('batches through BullMQ queues', () => {
  let h: Harness;
  let workers: QueueWorkers;
  beforeAll(async () => {
    h = await startHarness({ ROUTER_MAX_BATCH_SIZE: '5000' });
    await untilReady(h);
    workers = new QueueWorkers(process.env.REDIS_URL as string, h.prefix);
  });
  afterAll(async () => {
    await workers.close();
    await h.close();
  });

  it('solves a 1,000-problem batch with progress, per-domain counts and results in input order', async () => {
    const problems = Array.from({ length: 1000 }, (_, i) => ({ text: `${DOMAIN_TEXT[i % 3]} #${i}`, requestId: `p-${i}` }));
    const submitted = await postJson(`${h.base}/v1/batches`, { problems, priority: 2, metadata: { owner: 'test' } });
    expect(submitted.status).toBe(202);
    expect(submitted.json).toMatchObject({ total: 1000, deduplicated: false });
    const progress: number[] = [];
    const final = await waitForState(h, submitted.json.batchId, 'BATCH_STATE_COMPLETED', (s) => progress.push(s.progress));
    expect(final).toMatchObject({
      total: 1000,
      progress: 1,
      counts: { completed: 1000, failed: 0, queued: 0, active: 0 },
      metadata: { owner: 'test' },
    });
    expect(final.byDomain).toEqual([
      { domain: 'DOMAIN_MATH', counts: { queued: 0, active: 0, completed: 334, failed: 0, cancelled: 0 } },
      { domain: 'DOMAIN_CODE', counts: { queued: 0, active: 0, completed: 333, failed: 0, cancelled: 0 } },
      { domain: 'DOMAIN_SCIENCE', counts: { queued: 0, active: 0, completed: 333, failed: 0, cancelled: 0 } },
    ]);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const { res, items } = await resultLines(h, submitted.json.batchId);
    expect(res.headers.get('content-type')).toContain('application/jsonl');
    expect(items.map((item) => item.index)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    items.forEach((item, i) => {
      expect(item.result.answer).toBe(`${DOMAINS[i % 3]}:${DOMAIN_TEXT[i % 3]} #${i}`);
      expect(item.result.requestId).toBe(`p-${i}`);
    });
    const tail = await resultLines(h, submitted.json.batchId, 995);
    expect(tail.items.map((item) => item.index)).toEqual([995, 996, 997, 998, 999]);
    const jobs = [...workers.runs.keys()].filter((id) => id.startsWith(submitted.json.batchId));
    expect(jobs).toHaveLength(1000);
    expect([...workers.runs.values()].every((n) => n === 1)).toBe(true);
  });

  it('takes a JSONL upload; a resubmission with the same idempotency key returns the same batch, solved once', async () => {
    const body = [
      '{"text": "integral of y"}',
      '',
      '{"text": "fail me", "domain": "code"}',
      '{"messages": [{"role": "user", "content": "python loop"}]}',
    ].join('\n');
    const post = () =>
      fetch(`${h.base}/v1/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/jsonl', 'idempotency-key': 'upload-1' },
        body,
      }).then(async (r) => ({ status: r.status, json: (await r.json()) as { batchId: string; total: number; deduplicated: boolean } }));
    const first = await post();
    expect(first).toMatchObject({ status: 202, json: { total: 3, deduplicated: false } });
    const final = await waitForState(h, first.json.batchId, 'BATCH_STATE_COMPLETED');
    expect(final.counts).toMatchObject({ completed: 2, failed: 1 });
    const again = await post();
    expect(again.json).toEqual({ batchId: first.json.batchId, total: 3, deduplicated: true });
    const { items } = await resultLines(h, first.json.batchId);
    expect(items[1]).toMatchObject({ index: 1, errorCode: 'INVALID_ARGUMENT', errorMessage: 'this problem always fails' });
    expect(items[2].result.answer).toBe('code:python loop');
    const runs = [...workers.runs.entries()].filter(([id]) => id.startsWith(first.json.batchId));
    expect(runs.map(([id, n]) => [id.slice(-2), n])).toEqual(
      expect.arrayContaining([
        ['-0', 1],
        ['-2', 1],
      ]),
    );
    // "fail me" is retried by BullMQ (3 attempts by default), never recorded twice.
    expect(runs.find(([id]) => id.endsWith('-1'))?.[1]).toBe(3);
  });

  it('takes a batch whose every problem is refused at submission: 202, each item failed (found by slm bench fuzz: was a 500)', async () => {
    // A router that refuses problems classified `other` (the product's default), so no problem is queued.
    const strict = await startHarness({ ROUTER_FALLBACK_OTHER: 'reject' });
    try {
      await untilReady(strict);
      for (const [type, body] of [
        ['application/jsonl', '{"text":"hello there"}'],
        ['application/json', '{"problems":[{"text":"hello"},{"text":"good morning"}]}'],
      ]) {
        const res = await fetch(`${strict.base}/v1/batches`, { method: 'POST', headers: { 'content-type': type }, body });
        expect(res.status).toBe(202);
        const { batchId, total } = (await res.json()) as { batchId: string; total: number };
        const final = await waitForState(strict, batchId, 'BATCH_STATE_COMPLETED');
        expect(final.counts).toMatchObject({ completed: 0, failed: total });
      }
    } finally {
      await strict.close();
    }
  });

  it('answers a resubmitted problem (same requestId) from its earlier result instead of solving it again', async () => {
    const first = await postJson(`${h.base}/v1/batches`, [
      { text: 'integral of q', requestId: 'reuse-1' },
      { text: 'python q', requestId: 'reuse-2' },
    ]);
    await waitForState(h, first.json.batchId, 'BATCH_STATE_COMPLETED');
    const earlier = (await resultLines(h, first.json.batchId)).items;
    // A new batch (no idempotency key) with one of those problems again and a new one.
    const second = await postJson(`${h.base}/v1/batches`, [
      { text: 'atom q', requestId: 'reuse-3' },
      { text: 'integral of q', requestId: 'reuse-1' },
    ]);
    const final = await waitForState(h, second.json.batchId, 'BATCH_STATE_COMPLETED');
    expect(final.counts).toMatchObject({ completed: 2, failed: 0 });
    const { items } = await resultLines(h, second.json.batchId);
    expect(items[1]).toEqual({ index: 1, result: earlier[0].result });
    expect(items[0].result).toMatchObject({ requestId: 'reuse-3', answer: 'science:atom q' });
    // Only the new problem reached a worker.
    expect(workers.runs.get(`${second.json.batchId}-0`)).toBe(1);
    expect(workers.runs.has(`${second.json.batchId}-1`)).toBe(false);
  });

  it('solves a problem once when two batches carry it (same requestId) at the same time', async () => {
    await workers.pause();
    try {
      const first = await postJson(`${h.base}/v1/batches`, [{ text: 'integral of shared', requestId: 'shared-1' }]);
      // The same problem twice more while the first batch's job has not run yet, once in this batch itself.
      const second = await postJson(`${h.base}/v1/batches`, [
        { text: 'python other' },
        { text: 'integral of shared', requestId: 'shared-1' },
        { text: 'integral of shared', requestId: 'shared-1' },
      ]);
      expect(second.json.deduplicated).toBe(false);
      workers.resume();
      await waitForState(h, first.json.batchId, 'BATCH_STATE_COMPLETED');
      const final = await waitForState(h, second.json.batchId, 'BATCH_STATE_COMPLETED');
      expect(final.counts).toMatchObject({ completed: 3, failed: 0 });
      const [solved] = (await resultLines(h, first.json.batchId)).items;
      const { items } = await resultLines(h, second.json.batchId);
      expect(items[1]).toEqual({ index: 1, result: solved.result });
      expect(items[2]).toEqual({ index: 2, result: solved.result });
      expect(workers.runs.get(`${first.json.batchId}-0`)).toBe(1);
      expect([...workers.runs.keys()].filter((id) => id.startsWith(second.json.batchId))).toEqual([`${second.json.batchId}-0`]);
    } finally {
      workers.resume();
    }
  });

  it('hands a shared problem to a waiting batch when the batch solving it is cancelled, or when it fails there', async () => {
    await workers.pause();
    try {
      const cancelledOwner = await postJson(`${h.base}/v1/batches`, [{ text: 'integral of handed', requestId: 'handed-1' }]);
      const failingOwner = await postJson(`${h.base}/v1/batches`, [{ text: 'fail me', domain: 'code', requestId: 'handed-2' }]);
      const waiter = await postJson(`${h.base}/v1/batches`, [{ text: 'integral of handed', requestId: 'handed-1' }]);
      const failWaiter = await postJson(`${h.base}/v1/batches`, [{ text: 'fail me', domain: 'code', requestId: 'handed-2' }]);
      const cancelledWaiter = await postJson(`${h.base}/v1/batches`, [{ text: 'fail me', domain: 'code', requestId: 'handed-2' }]);
      // A waiting batch that is cancelled stops waiting: it never solves the problem.
      expect((await fetch(`${h.base}/v1/batches/${cancelledWaiter.json.batchId}`, { method: 'DELETE' })).status).toBe(200);
      // The owner of handed-1 is cancelled while its job is queued: the waiting batch takes it over.
      await fetch(`${h.base}/v1/batches/${cancelledOwner.json.batchId}`, { method: 'DELETE' });
      workers.resume();
      const handed = await waitForState(h, waiter.json.batchId, 'BATCH_STATE_COMPLETED');
      expect(handed.counts).toMatchObject({ completed: 1, failed: 0, cancelled: 0 });
      expect((await resultLines(h, waiter.json.batchId)).items[0].result).toMatchObject({
        requestId: 'handed-1',
        answer: 'math:integral of handed',
      });
      expect(workers.runs.get(`${waiter.json.batchId}-0`)).toBe(1);
      expect(workers.runs.has(`${cancelledOwner.json.batchId}-0`)).toBe(false);
      // handed-2 fails in its owner's batch (after its retries); a failure is never shared, so the
      // waiting batch then solves it itself, and fails on its own.
      expect((await waitForState(h, failingOwner.json.batchId, 'BATCH_STATE_COMPLETED')).counts).toMatchObject({ failed: 1 });
      // It waited: had it run beside the owner, it would be through its retries too (1 s apart) by now.
      expect(workers.runs.get(`${failWaiter.json.batchId}-0`) ?? 0).toBeLessThanOrEqual(1);
      expect((await waitForState(h, failWaiter.json.batchId, 'BATCH_STATE_COMPLETED')).counts).toMatchObject({ completed: 0, failed: 1 });
      expect(workers.runs.get(`${failingOwner.json.batchId}-0`)).toBe(3);
      expect(workers.runs.get(`${failWaiter.json.batchId}-0`)).toBe(3);
      expect([...workers.runs.keys()].some((id) => id.startsWith(cancelledWaiter.json.batchId))).toBe(false);
    } finally {
      workers.resume();
    }
  });

  it('cancels a batch: queued problems removed and counted cancelled, none solved afterwards', async () => {
    await workers.pause();
    try {
      const submitted = await postJson(
        `${h.base}/v1/batches`,
        Array.from({ length: 30 }, (_, i) => ({ text: `${DOMAIN_TEXT[i % 3]} c${i}` })),
      );
      expect(submitted.status).toBe(202);
      const cancel = await fetch(`${h.base}/v1/batches/${submitted.json.batchId}`, { method: 'DELETE' });
      const { status } = (await cancel.json()) as { status: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(status).toMatchObject({ state: 'BATCH_STATE_CANCELLED', progress: 1, counts: { cancelled: 30, queued: 0, completed: 0 } });
      const { items } = await resultLines(h, submitted.json.batchId);
      expect(items).toHaveLength(30);
      expect(items.every((item) => item.errorCode === 'CANCELLED')).toBe(true);
      workers.resume();
      // A later batch is solved; the cancelled one never reaches a worker.
      const later = await postJson(`${h.base}/v1/batches`, [{ text: 'integral of z' }]);
      await waitForState(h, later.json.batchId, 'BATCH_STATE_COMPLETED');
      expect([...workers.runs.keys()].some((id) => id.startsWith(submitted.json.batchId))).toBe(false);
    } finally {
      workers.resume();
    }
  });

  it('cancels a batch whose problems are running: announces it to the workers, and a late outcome changes nothing', async () => {
    await workers.pause();
    const slow = new QueueWorkers(process.env.REDIS_URL as string, h.prefix, 50, { jobMs: 1500 });
    const listener = new Redis(process.env.REDIS_URL as string);
    try {
      const announced = new Promise<string>((resolve) => listener.on('message', (_channel: string, batchId: string) => resolve(batchId)));
      await listener.subscribe(batchCancelChannel(h.prefix));
      const submitted = await postJson(
        `${h.base}/v1/batches`,
        DOMAIN_TEXT.map((text) => ({ text: `${text} running` })),
      );
      for (;;) {
        const { json } = await getJson(`${h.base}/v1/batches/${submitted.json.batchId}`);
        if (json.status.counts.active === 3) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const cancel = await fetch(`${h.base}/v1/batches/${submitted.json.batchId}`, { method: 'DELETE' });
      expect(((await cancel.json()) as { status: { counts: { cancelled: number } } }).status.counts.cancelled).toBe(3);
      // The workers running its problems are told (they stop them: libs/worker-runtime tests that side).
      expect(await announced).toBe(submitted.json.batchId);
      // These test workers ignore the announcement and finish anyway (close waits for their jobs):
      // their outcomes are dropped.
      await slow.close();
      const { items } = await resultLines(h, submitted.json.batchId);
      expect(items.map((item) => item.errorCode)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
      const { json } = await getJson(`${h.base}/v1/batches/${submitted.json.batchId}`);
      expect(json.status).toMatchObject({ state: 'BATCH_STATE_CANCELLED', counts: { cancelled: 3, completed: 0 } });
    } finally {
      listener.disconnect();
      await slow.close();
      workers.resume();
    }
  });

  it('takes a multi-megabyte JSON batch (parsed in slices) like a small one', async () => {
    await workers.pause();
    try {
      const problems = Array.from({ length: 2000 }, (_, i) => ({
        text: `${DOMAIN_TEXT[i % 3]} ${i} ${'pad '.repeat(500)}`,
        requestId: `big-${i}`,
      }));
      const body = JSON.stringify({ problems, metadata: { size: 'big' } });
      expect(body.length).toBeGreaterThan(4_000_000);
      const submitted = await postJson(`${h.base}/v1/batches`, body);
      expect(submitted.status).toBe(202);
      expect(submitted.json).toMatchObject({ total: 2000, deduplicated: false });
      const { json } = await getJson(`${h.base}/v1/batches/${submitted.json.batchId}`);
      expect(json.status).toMatchObject({ total: 2000, metadata: { size: 'big' } });
      await fetch(`${h.base}/v1/batches/${submitted.json.batchId}`, { method: 'DELETE' });
    } finally {
      workers.resume();
    }
  });

  it('cancels a batch of many queued problems at once: its waiting jobs leave the queues, and workers take at most one more job per slot', async () => {
    await workers.pause();
    const slotsPerDomain = 5;
    const slow = new QueueWorkers(process.env.REDIS_URL as string, h.prefix, slotsPerDomain, { jobMs: 200 });
    const queues = (['math', 'code', 'science'] as WorkerDomain[]).map(
      (d) => new Queue(QUEUE_OF_DOMAIN[d], { connection: { url: process.env.REDIS_URL as string }, prefix: h.prefix }),
    );
    const runsOf = (workers: QueueWorkers, batchId: string) =>
      [...workers.runs.entries()].filter(([id]) => id.startsWith(`${batchId}-`)).reduce((sum, [, n]) => sum + n, 0);
    const unfinished = async () => {
      let jobs = 0;
      for (const queue of queues)
        jobs += Object.values(await queue.getJobCounts('prioritized', 'waiting', 'delayed', 'active')).reduce((a, b) => a + b, 0);
      return jobs;
    };
    try {
      const submitted = await postJson(
        `${h.base}/v1/batches`,
        Array.from({ length: 5000 }, (_, i) => ({ text: `${DOMAIN_TEXT[i % 3]} many ${i}` })),
      );
      expect(submitted.status).toBe(202);
      const { batchId } = submitted.json;
      // Every slot busy with it.
      await waitForStatus(h, batchId, (status) => status.counts.completed >= 3 * slotsPerDomain);
      const startedBefore = runsOf(slow, batchId);
      const cancel = await fetch(`${h.base}/v1/batches/${batchId}`, { method: 'DELETE' });
      expect(((await cancel.json()) as { status: { state: string } }).status.state).toBe('BATCH_STATE_CANCELLED');
      // Nothing of the batch waits any more; what was running finishes (these test workers ignore the announcement).
      while ((await unfinished()) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const startedAfter = runsOf(slow, batchId) - startedBefore;
      expect(startedAfter).toBeLessThanOrEqual(3 * slotsPerDomain);
      // The workers are idle, not starved: a later batch is solved, and the cancelled one gets no more runs.
      const quiet = runsOf(slow, batchId);
      const later = await postJson(
        `${h.base}/v1/batches`,
        DOMAIN_TEXT.map((text) => ({ text: `${text} after` })),
      );
      await waitForState(h, later.json.batchId, 'BATCH_STATE_COMPLETED');
      expect(runsOf(slow, batchId)).toBe(quiet);
      const { json } = await getJson(`${h.base}/v1/batches/${batchId}`);
      expect(json.status).toMatchObject({ state: 'BATCH_STATE_CANCELLED', progress: 1, counts: { queued: 0, active: 0, failed: 0 } });
      expect(json.status.counts.completed + json.status.counts.cancelled).toBe(5000);
      expect(json.status.counts.cancelled).toBeGreaterThan(4000);
    } finally {
      await slow.close();
      await Promise.all(queues.map((q) => q.close()));
      workers.resume();
    }
  });

  describe('limits and mistakes', () => {
    it.each([
      [
        'more problems than ROUTER_MAX_BATCH_SIZE',
        Array.from({ length: 5001 }, () => ({ text: 'x' })),
        413,
        'PAYLOAD_TOO_LARGE',
        /ROUTER_MAX_BATCH_SIZE/,
      ],
      ['an empty batch', { problems: [] }, 400, 'INVALID_ARGUMENT', /at least one problem/],
      ['a bad problem', [{ text: 'ok' }, { txt: 'typo' }], 400, 'INVALID_ARGUMENT', /problems\[1\]/],
      ['a bad priority', { problems: [{ text: 'x' }], priority: -1 }, 400, 'INVALID_ARGUMENT', /priority/],
    ])('%s', async (_name, body, status, code, message) => {
      const res = await postJson(`${h.base}/v1/batches`, body);
      expect(res.status).toBe(status);
      expect(res.json.error).toMatchObject({ code, message: expect.stringMatching(message) });
    });

    it('counts the problems before checking any: too many problems that are all wrong is the count error (JSON, bare array, JSONL)', async () => {
      const wrong = Array.from({ length: 5001 }, (_, i) => ({ txt: `typo ${i}` }));
      for (const body of [wrong, { problems: wrong, priority: -1 }]) {
        const res = await postJson(`${h.base}/v1/batches`, body);
        expect(res.status).toBe(413);
        expect(res.json.error).toMatchObject({
          code: 'PAYLOAD_TOO_LARGE',
          message: 'batch of more than 5000 problems exceeds the limit of 5000 (ROUTER_MAX_BATCH_SIZE)',
        });
      }
      const upload = await fetch(`${h.base}/v1/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/jsonl' },
        body: wrong.map((p) => JSON.stringify(p)).join('\n'),
      });
      expect(upload.status).toBe(413);
      // At the limit, the problems are checked: the first wrong one is named.
      const atLimit = await postJson(`${h.base}/v1/batches`, wrong.slice(0, 5000));
      expect(atLimit.status).toBe(400);
      expect(atLimit.json.error.message).toMatch(/problems\[0\]/);
    });

    it('a malformed JSONL line is named', async () => {
      const res = await fetch(`${h.base}/v1/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: '{"text": "a"}\n{oops\n',
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^line 2 of the upload is not JSON/);
    });

    it('an unknown batch is 404 on every route', async () => {
      expect((await getJson(`${h.base}/v1/batches/nope`)).json.error.code).toBe('NOT_FOUND');
      expect((await fetch(`${h.base}/v1/batches/nope/results`)).status).toBe(404);
      expect((await fetch(`${h.base}/v1/batches/nope`, { method: 'DELETE' })).status).toBe(404);
      expect((await fetch(`${h.base}/v1/batches/nope/results?offset=-1`)).status).toBe(400);
    });
  });
});
