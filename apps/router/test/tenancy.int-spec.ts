import Redis from 'ioredis';
import type { BatchItem, BatchStatus__Output, Problem } from '@slm/contracts';
import { ErrorCode } from '@slm/platform';
import { BatchService } from '../src/batches/batch.service';
import { ANONYMOUS_TENANT } from '../src/tenancy/tenants';
import { QueueWorkers } from './queue-workers';
import { postJson, startHarness, type Harness } from './router-harness';

// The edges have one tenant until API keys exist: two tenants are two ids at the service layer.
const A = 'tenant-a';
const B = 'tenant-b';

describe('tenant isolation and conflicts of batches, requestIds and idempotency keys', () => {
  let h: Harness;
  let workers: QueueWorkers;
  let batches: BatchService;

  const submit = (
    tenant: string,
    problems: Partial<Problem>[],
    options: { idempotencyKey?: string; metadata?: Record<string, string>; priority?: number } = {},
  ) =>
    batches.submit(
      tenant,
      problems.map((problem) => ({ problem: problem as Problem })),
      options,
    );

  async function finished(tenant: string, batchId: string): Promise<BatchStatus__Output> {
    for (;;) {
      const status = await batches.status(tenant, batchId);
      if (status.state !== 'BATCH_STATE_RUNNING') return status;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function items(tenant: string, batchId: string): Promise<BatchItem[]> {
    await finished(tenant, batchId);
    const lines: BatchItem[] = [];
    for await (const line of batches.items(tenant, batchId, 0)) lines.push(JSON.parse(line) as BatchItem);
    return lines;
  }

  const ranJobsOf = (batchId: string) => [...workers.runs.keys()].filter((id) => id.startsWith(batchId));

  beforeAll(async () => {
    h = await startHarness();
    workers = new QueueWorkers(process.env.REDIS_URL as string, h.prefix);
    batches = h.router.app.get(BatchService);
    // The router starts before its Redis connections are up; batches need them (an unknown id is NOT_FOUND once they are).
    for (;;) {
      const code = await batches.status(A, 'none').then(
        () => undefined,
        (error: unknown) => (error as { code?: string }).code,
      );
      if (code === ErrorCode.NOT_FOUND) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  afterAll(async () => {
    await workers.close();
    await h.close();
  });

  it("two tenants reusing one requestId each get their own solve: tenant A's metadata never reaches tenant B", async () => {
    const a = await submit(A, [{ text: 'integral of secret', requestId: 'same-1', metadata: { secret: 'a-only' } }]);
    expect((await items(A, a.batchId))[0]?.result).toMatchObject({ answer: 'math:integral of secret', metadata: { secret: 'a-only' } });

    // Another question under the same requestId: B's own answer and metadata, no conflict with A.
    const b = await submit(B, [{ text: 'python secret', requestId: 'same-1', metadata: { owner: 'b' } }]);
    const [bItem] = await items(B, b.batchId);
    expect(bItem?.result).toMatchObject({ requestId: 'same-1', answer: 'code:python secret', metadata: { owner: 'b' } });
    expect(JSON.stringify(bItem)).not.toContain('a-only');
    // The same question as A's: still B's own solve (a job of B's batch ran), not A's stored result.
    const b2 = await submit(B, [{ text: 'integral of secret', requestId: 'same-2' }]);
    const a2 = await submit(A, [{ text: 'integral of secret', requestId: 'same-2' }]);
    expect((await items(B, b2.batchId))[0]?.result).toMatchObject({ answer: 'math:integral of secret', metadata: {} });
    expect((await items(A, a2.batchId))[0]?.result).toMatchObject({ answer: 'math:integral of secret', metadata: {} });
    expect(ranJobsOf(b2.batchId)).toHaveLength(1);
    expect(ranJobsOf(a2.batchId)).toHaveLength(1);
  });

  it('shares an in-flight problem within a tenant only', async () => {
    await workers.pause();
    try {
      const a1 = await submit(A, [{ text: 'integral of flight', requestId: 'flight-1' }]);
      const b1 = await submit(B, [{ text: 'integral of flight', requestId: 'flight-1' }]);
      const a2 = await submit(A, [{ text: 'integral of flight', requestId: 'flight-1' }]);
      workers.resume();
      for (const [tenant, { batchId }] of [
        [A, a1],
        [B, b1],
        [A, a2],
      ] as const) {
        expect((await items(tenant, batchId))[0]?.result).toMatchObject({ requestId: 'flight-1', answer: 'math:integral of flight' });
      }
      // A's second batch waited for A's first; B's solved its own.
      expect(ranJobsOf(a1.batchId)).toHaveLength(1);
      expect(ranJobsOf(b1.batchId)).toHaveLength(1);
      expect(ranJobsOf(a2.batchId)).toHaveLength(0);
    } finally {
      workers.resume();
    }
  });

  it("two tenants reusing one idempotency key get their own batch; another tenant's batch id is NOT_FOUND, also to cancel", async () => {
    await workers.pause();
    try {
      const problems = [{ text: 'integral of idem' }];
      const a = await submit(A, problems, { idempotencyKey: 'shared-key', metadata: { secret: 'a-only' } });
      const b = await submit(B, problems, { idempotencyKey: 'shared-key', metadata: { secret: 'a-only' } });
      expect(b).toMatchObject({ deduplicated: false, total: 1 });
      expect(b.batchId).not.toBe(a.batchId);
      expect(await submit(A, problems, { idempotencyKey: 'shared-key', metadata: { secret: 'a-only' } })).toEqual({
        ...a,
        deduplicated: true,
      });

      for (const call of [
        () => batches.status(B, a.batchId),
        () => batches.cancel(B, a.batchId),
        () => batches.items(B, a.batchId, 0).next(),
      ]) {
        await expect(call()).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
      }
      // B's cancel changed nothing: A's batch still runs and completes.
      expect((await batches.status(A, a.batchId)).state).toBe('BATCH_STATE_RUNNING');
      workers.resume();
      expect(await finished(A, a.batchId)).toMatchObject({ state: 'BATCH_STATE_COMPLETED', counts: { completed: 1 } });
      await expect(batches.cancel(B, a.batchId)).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    } finally {
      workers.resume();
    }
  });

  it('a batch item reusing a requestId with a different question fails as CONFLICT; the same question is answered from the earlier result', async () => {
    const first = await submit(A, [{ text: 'integral of c', requestId: 'conflict-1', metadata: { k: 'v' } }]);
    await items(A, first.batchId);
    const second = await submit(A, [
      { text: 'python c', requestId: 'conflict-1' }, // another question
      { text: 'integral of c', requestId: 'conflict-1', metadata: { k: 'other' } }, // other metadata: another question too
      { text: 'integral of c', requestId: 'conflict-1', metadata: { k: 'v' } }, // the same question
      { text: 'atom c', requestId: 'conflict-2' },
      { text: 'integral of c2', requestId: 'conflict-2' }, // a conflict inside one batch
    ]);
    const [other, otherMetadata, same, fresh, inside] = await items(A, second.batchId);
    for (const item of [other, otherMetadata, inside]) {
      expect(item).toMatchObject({ errorCode: ErrorCode.CONFLICT });
      expect(item?.result).toBeUndefined();
    }
    expect(other?.errorMessage).toContain('requestId conflict-1 was already used for a different problem');
    expect(inside?.errorMessage).toContain('requestId conflict-2');
    expect(same?.result).toMatchObject({ requestId: 'conflict-1', answer: 'math:integral of c', metadata: { k: 'v' } });
    expect(fresh?.result).toMatchObject({ requestId: 'conflict-2', answer: 'science:atom c' });
    expect(await batches.status(A, second.batchId)).toMatchObject({ counts: { completed: 2, failed: 3 } });
    // Only the new problem was solved.
    expect(ranJobsOf(second.batchId)).toEqual([`${second.batchId}-3`]);
  });

  it('a requestId whose problem failed is free again: a different question with it is solved', async () => {
    const failed = await submit(A, [{ text: 'fail me', domainOverride: 'DOMAIN_CODE', requestId: 'freed-1' }]);
    expect((await items(A, failed.batchId))[0]).toMatchObject({ errorCode: ErrorCode.INVALID_ARGUMENT });
    const next = await submit(A, [{ text: 'integral of freed', requestId: 'freed-1' }]);
    expect((await items(A, next.batchId))[0]?.result).toMatchObject({ answer: 'math:integral of freed' });
  });

  it('an idempotency key reused with a different body is 409 CONFLICT naming the key; the same body returns the first batch', async () => {
    const body = { problems: [{ text: 'integral of k' }], idempotencyKey: 'key-409', metadata: { run: '1' } };
    const first = await postJson(`${h.base}/v1/batches`, body);
    expect(first).toMatchObject({ status: 202, json: { deduplicated: false } });
    expect(await postJson(`${h.base}/v1/batches`, { ...body, problems: [{ text: 'integral of k' }] })).toMatchObject({
      status: 202,
      json: { batchId: first.json.batchId, deduplicated: true },
    });
    for (const changed of [
      { ...body, problems: [{ text: 'integral of j' }] },
      { ...body, metadata: { run: '2' } },
      { ...body, priority: 3 },
    ]) {
      const conflict = await postJson(`${h.base}/v1/batches`, changed);
      expect(conflict.status).toBe(409);
      expect(conflict.json.error).toEqual({
        code: 'CONFLICT',
        message: expect.stringContaining('idempotency key key-409 was already used for a different batch'),
      });
    }
    // A long key is quoted truncated.
    const long = 'k'.repeat(100);
    await postJson(`${h.base}/v1/batches`, { ...body, idempotencyKey: long });
    const conflict = await postJson(`${h.base}/v1/batches`, { ...body, idempotencyKey: long, metadata: { run: '2' } });
    expect(conflict.status).toBe(409);
    expect(conflict.json.error.message).toContain(`${'k'.repeat(64)}… was already used`);
  });

  it('a batch recorded before tenants existed belongs to the anonymous tenant', async () => {
    const redis = new Redis(process.env.REDIS_URL as string);
    try {
      await redis.hset(`${h.prefix}:slm:batch:legacy-1`, {
        id: 'legacy-1',
        total: '1',
        state: 'completed',
        completed: '1',
        createdAtMs: '1',
        metadata: '{}',
      });
      expect(await batches.status(ANONYMOUS_TENANT, 'legacy-1')).toMatchObject({ state: 'BATCH_STATE_COMPLETED', total: 1 });
      expect(await batches.cancel(ANONYMOUS_TENANT, 'legacy-1')).toMatchObject({ state: 'BATCH_STATE_COMPLETED' });
      await expect(batches.status(B, 'legacy-1')).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
      await expect(batches.cancel(B, 'legacy-1')).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    } finally {
      redis.disconnect();
    }
  });
});
