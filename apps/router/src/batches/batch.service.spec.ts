import { ErrorCode } from '@slm/platform';
import { QUEUE_OF_DOMAIN, protoDomainOf, type Problem, type Result, type RouteDecision__Output, type WorkerDomain } from '@slm/contracts';
import { InMemoryBatchStore } from '../../test/in-memory-batch-store';
import { loadRouterConfig } from '../config/router.config';
import type { RouterMetricsService } from '../metrics/router-metrics.service';
import type { RoutingService } from '../routing/routing.service';
import type { BatchQueues, QueueEventHandlers } from './batch-queues';
import type { SolveJob } from './batch-store';
import { BatchService, type BatchProblem } from './batch.service';

/** The queue layer without Redis: keeps the jobs added and lets a test play a queue's events. */
class FakeQueues {
  connected = true;
  readonly jobs: Record<WorkerDomain, SolveJob[]> = { math: [], code: [], science: [] };
  readonly removed: string[] = [];
  readonly settled: string[] = [];
  /** How many addBulk calls were made. */
  addCalls = 0;
  private readonly handlers = new Map<WorkerDomain, QueueEventHandlers>();
  private eventId = 0;

  isConnected(): boolean {
    return this.connected;
  }
  async close(): Promise<void> {}
  async add(domain: WorkerDomain, jobs: readonly SolveJob[]): Promise<void> {
    this.addCalls++;
    this.jobs[domain].push(...jobs);
  }
  async removeWaiting(domain: WorkerDomain, jobIds: readonly string[]): Promise<void> {
    this.removed.push(...jobIds);
    this.jobs[domain] = this.jobs[domain].filter((job) => !jobIds.includes(job.opts.jobId));
  }
  async sampleDepths(): Promise<void> {}
  async listen(
    domain: WorkerDomain,
    startFrom: (queue: string, streamEnd: () => Promise<string>) => Promise<string>,
    handlers: QueueEventHandlers,
  ): Promise<void> {
    await startFrom(QUEUE_OF_DOMAIN[domain], async () => '0-0');
    this.handlers.set(domain, handlers);
  }
  async settleCompleted(_domain: WorkerDomain, jobId: string): Promise<number | undefined> {
    this.settled.push(jobId);
    return 0.5;
  }

  /** Plays a job of `domain` running, then completing with `result` (or failing with `reason`). */
  finish(domain: WorkerDomain, jobId: string, outcome: { result: Result } | { reason: string }): void {
    const handlers = this.handlers.get(domain);
    if (!handlers) throw new Error(`nobody listens to ${domain}`);
    handlers.active(jobId, `${++this.eventId}-0`);
    if ('result' in outcome) handlers.completed(jobId, outcome.result, `${++this.eventId}-0`);
    else handlers.failed(jobId, outcome.reason, `${++this.eventId}-0`);
  }
}

/** Routes text that mentions code to code, `unroutable` nowhere (a routing error), the rest to math. */
const routing = {
  decide(text: string): RouteDecision__Output {
    if (text.includes('unroutable')) throw new Error('classifier exploded');
    return {
      domain: protoDomainOf(text.includes('code') ? 'code' : 'math'),
      confidence: 1,
      scores: [],
    } as unknown as RouteDecision__Output;
  },
} as unknown as RoutingService;

const problem = (text: string, requestId?: string): BatchProblem => ({ problem: { text, ...(requestId ? { requestId } : {}) } as Problem });

/** Lets the fire-and-forget writes of the event handlers and handovers run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function itemsOf(service: BatchService, tenant: string, batchId: string, offset = 0): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const line of service.items(tenant, batchId, offset)) items.push(JSON.parse(line) as Record<string, unknown>);
  return items;
}

describe('BatchService (in-memory store)', () => {
  let store: InMemoryBatchStore;
  let queues: FakeQueues;
  let service: BatchService;
  let queueWaits: number[];

  beforeEach(() => {
    store = new InMemoryBatchStore();
    queues = new FakeQueues();
    queueWaits = [];
    const metrics = {
      queueWait: { observe: (_labels: unknown, seconds: number) => queueWaits.push(seconds) },
      recordVerification: () => undefined,
    } as unknown as RouterMetricsService;
    service = new BatchService(loadRouterConfig({}), routing, metrics, store, queues as unknown as BatchQueues);
    service.onModuleInit();
  });

  afterEach(() => service.onApplicationShutdown());

  it('queues each problem on its domain, records outcomes from the events, and lists results in input order', async () => {
    const { batchId, total } = await service.submit('acme', [problem('2+2'), problem('write code'), problem('3+3')]);
    expect(total).toBe(3);
    expect(queues.jobs.math.map((job) => job.data.index)).toEqual([0, 2]);
    expect(queues.jobs.code.map((job) => job.data.index)).toEqual([1]);
    expect((await service.status('acme', batchId)).counts).toEqual({ queued: 3, active: 0, completed: 0, failed: 0, cancelled: 0 });

    queues.finish('math', `${batchId}-2`, { result: { requestId: `${batchId}-2`, answer: '6' } });
    await settle();
    // Index 0 has no outcome yet: a reader gets nothing past it.
    expect(await itemsOf(service, 'acme', batchId)).toEqual([]);

    queues.finish('math', `${batchId}-0`, { result: { requestId: `${batchId}-0`, answer: '4' } });
    queues.finish('code', `${batchId}-1`, { reason: JSON.stringify({ code: 'INPUT_TOO_LONG', message: 'the problem is too long' }) });
    await settle();
    const status = await service.status('acme', batchId);
    expect(status.state).toBe('BATCH_STATE_COMPLETED');
    expect(status.counts).toEqual({ queued: 0, active: 0, completed: 2, failed: 1, cancelled: 0 });
    expect(await itemsOf(service, 'acme', batchId)).toEqual([
      { index: 0, result: { requestId: `${batchId}-0`, answer: '4' } },
      { index: 1, errorCode: 'INPUT_TOO_LONG', errorMessage: 'the problem is too long' },
      { index: 2, result: { requestId: `${batchId}-2`, answer: '6' } },
    ]);
    expect(await itemsOf(service, 'acme', batchId, 2)).toHaveLength(1);
    // Once recorded, the queue's copy of each result is dropped; the cursor follows the events.
    expect(queues.settled.sort()).toEqual([`${batchId}-0`, `${batchId}-2`]);
    expect(queueWaits).toEqual([0.5, 0.5]);
    expect(store.cursors.get(QUEUE_OF_DOMAIN.math)).toBe('4-0');
  });

  it('records the outcome of a problem only once', async () => {
    const { batchId } = await service.submit('acme', [problem('1+1')]);
    queues.finish('math', `${batchId}-0`, { result: { answer: '2' } });
    queues.finish('math', `${batchId}-0`, { result: { answer: 'two' } });
    await settle();
    expect((await service.status('acme', batchId)).counts?.completed).toBe(1);
    expect(await itemsOf(service, 'acme', batchId)).toEqual([{ index: 0, result: { answer: '2' } }]);
  });

  it('writes the outcomes known at submission in one store call per chunk, not one per problem', async () => {
    const recordOutcomes = jest.spyOn(store, 'recordOutcomes');
    const { batchId } = await service.submit('acme', [
      problem('unroutable 1'),
      problem('2+2'),
      problem('unroutable 2'),
      problem('unroutable 3'),
    ]);
    expect(recordOutcomes).toHaveBeenCalledTimes(1);
    expect(recordOutcomes.mock.calls[0]?.[1]).toHaveLength(3);
    expect((await service.status('acme', batchId)).counts).toEqual({ queued: 1, active: 0, completed: 0, failed: 3, cancelled: 0 });
    expect(queues.jobs.math).toHaveLength(1);
  });

  it('returns the first batch for a resubmission with the same idempotency key, and refuses another body', async () => {
    const first = await service.submit('acme', [problem('1+1')], { idempotencyKey: 'k1' });
    const again = await service.submit('acme', [problem('1+1')], { idempotencyKey: 'k1' });
    expect(again).toEqual({ batchId: first.batchId, total: 1, deduplicated: true });
    expect(queues.jobs.math).toHaveLength(1);
    await expect(service.submit('acme', [problem('2+2')], { idempotencyKey: 'k1' })).rejects.toMatchObject({ code: ErrorCode.CONFLICT });
    // Another tenant's same key is its own.
    expect((await service.submit('globex', [problem('2+2')], { idempotencyKey: 'k1' })).deduplicated).toBe(false);
  });

  it("hides a tenant's batch from other tenants", async () => {
    const { batchId } = await service.submit('acme', [problem('1+1')]);
    await expect(service.status('globex', batchId)).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    await expect(service.cancel('globex', batchId)).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    expect((await service.status('acme', batchId)).state).toBe('BATCH_STATE_RUNNING');
  });

  it("answers a second batch's problem with the same requestId from the first batch's job", async () => {
    const first = await service.submit('acme', [problem('1+1', 'r-1')]);
    const second = await service.submit('acme', [problem('1+1', 'r-1'), problem('2+2')]);
    // The second batch's r-1 waits for the first batch's job instead of being solved again.
    expect(queues.jobs.math.map((job) => job.opts.jobId)).toEqual([`${first.batchId}-0`, `${second.batchId}-1`]);

    queues.finish('math', `${first.batchId}-0`, { result: { requestId: 'r-1', answer: '2' } });
    await settle();
    expect(await itemsOf(service, 'acme', first.batchId)).toEqual([{ index: 0, result: { requestId: 'r-1', answer: '2' } }]);
    expect(await itemsOf(service, 'acme', second.batchId)).toEqual([{ index: 0, result: { requestId: 'r-1', answer: '2' } }]);
    // Kept once, under the requestId: both batches refer to it.
    expect([store.batches.get(first.batchId)?.results.get(0), store.batches.get(second.batchId)?.results.get(0)]).toEqual(['@r-1', '@r-1']);
    // A third batch gets the stored result at once; the same requestId with another problem is a conflict.
    const third = await service.submit('acme', [problem('1+1', 'r-1'), problem('5+5', 'r-1')]);
    const items = await itemsOf(service, 'acme', third.batchId);
    expect(items[0]).toEqual({ index: 0, result: { requestId: 'r-1', answer: '2' } });
    expect(items[1]).toMatchObject({ index: 1, errorCode: ErrorCode.CONFLICT });
  });

  it('hands a requestId over to the waiting batch when the owning batch is cancelled', async () => {
    const first = await service.submit('acme', [problem('1+1', 'r-2')]);
    const second = await service.submit('acme', [problem('1+1', 'r-2')]);
    expect(queues.jobs.math).toHaveLength(1);
    await service.cancel('acme', first.batchId);
    await settle();
    expect(queues.jobs.math.map((job) => job.opts.jobId)).toEqual([`${second.batchId}-0`]);
  });

  it('cancels the unfinished problems, keeps the finished ones, and takes the waiting jobs off the queues', async () => {
    const { batchId } = await service.submit('acme', [problem('1+1'), problem('code it'), problem('2+2')]);
    queues.finish('math', `${batchId}-0`, { result: { answer: '2' } });
    await settle();
    const status = await service.cancel('acme', batchId);
    expect(status.state).toBe('BATCH_STATE_CANCELLED');
    expect(status.counts).toEqual({ queued: 0, active: 0, completed: 1, failed: 0, cancelled: 2 });
    expect(store.published).toEqual([batchId]);
    expect(queues.removed.sort()).toEqual([`${batchId}-0`, `${batchId}-1`, `${batchId}-2`].sort());
    expect((await itemsOf(service, 'acme', batchId))[2]).toEqual({
      index: 2,
      errorCode: ErrorCode.CANCELLED,
      errorMessage: 'batch cancelled',
    });
    // A late outcome does not overwrite the cancelled record.
    queues.finish('math', `${batchId}-2`, { result: { answer: '4' } });
    await settle();
    expect((await service.status('acme', batchId)).counts?.cancelled).toBe(2);
  });

  it('answers REDIS_UNAVAILABLE while the store is down', async () => {
    store.connected = false;
    await expect(service.submit('acme', [problem('1+1')])).rejects.toMatchObject({ code: ErrorCode.REDIS_UNAVAILABLE });
    await expect(service.status('acme', 'x')).rejects.toMatchObject({ code: ErrorCode.REDIS_UNAVAILABLE });
    expect(await service.runningBatches()).toEqual([]);
  });
});
