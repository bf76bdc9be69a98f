import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { protoRoot } from '@slm/contracts';
import { PYTHON, describeWithPythonGrpc } from '../../../libs/platform/test/python-grpc';
import { QueueWorkers } from './queue-workers';
import { startHarness, type Harness } from './router-harness';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function runPython(address: string): Promise<Record<string, any>> {
  return new Promise((resolve, reject) =>
    execFile(PYTHON, [path.join(__dirname, 'grpc-client.py'), protoRoot(), address], { timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    ),
  );
}

describeWithPythonGrpc('gRPC Router service from a Python grpcio client', () => {
  let h: Harness;
  let workers: QueueWorkers;
  let seen: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  let release!: () => void;
  let started = 0;

  beforeAll(async () => {
    h = await startHarness({ ROUTER_MAX_NEW_TOKENS_LIMIT: '4096' });
    workers = new QueueWorkers(process.env.REDIS_URL as string, h.prefix);
    // "hold" problems wait until the test ends: the Python client's 0.5 s deadline must expire.
    h.workers.code.behaviour = { holdPrefix: { prefix: 'hold', until: new Promise<void>((resolve) => (release = resolve)) } };
    started = Date.now();
    seen = await runPython(`127.0.0.1:${h.router.grpcPort}`);
  });
  afterAll(async () => {
    release();
    await workers.close();
    await h.close();
  });

  it('Solve classifies, dispatches and echoes request id and metadata', () => {
    expect(seen.solve).toEqual({ answer: 'math:integral of x', domain: 'DOMAIN_MATH', request_id: 'py-1', metadata: { k: 'v' } });
  });

  it('SolveStream sends the route first, deltas, then the result; the override wins', () => {
    expect(seen.stream).toEqual({
      events: ['route', 'delta', 'delta', 'delta', 'result'],
      route: 'DOMAIN_SCIENCE',
      overridden: true,
      answer: 'science:python bug',
    });
  });

  it('Classify answers the decision', () => {
    expect(seen.classify).toEqual({ domain: 'DOMAIN_SCIENCE', scores: 4 });
  });

  it('maps caller mistakes to INVALID_ARGUMENT / NOT_FOUND with our code in slm-error-code trailing metadata', () => {
    expect(seen.empty).toEqual({
      code: 'INVALID_ARGUMENT',
      error_code: 'INVALID_ARGUMENT',
      details: 'problem: text or messages is required',
    });
    expect(seen.too_many_tokens).toMatchObject({ code: 'INVALID_ARGUMENT', error_code: 'INVALID_ARGUMENT' });
    expect(seen.too_many_tokens.details).toContain('ROUTER_MAX_NEW_TOKENS_LIMIT');
    expect(seen.unknown_batch).toMatchObject({ code: 'NOT_FOUND', error_code: 'NOT_FOUND' });
    // An idempotency key names one body: reused for another, it is ALREADY_EXISTS, never the first batch.
    expect(seen.key_reused_for_other_body).toMatchObject({
      code: 'ALREADY_EXISTS',
      error_code: 'CONFLICT',
      details: expect.stringContaining('py-batch'),
    });
  });

  it("propagates the caller's deadline to the worker", () => {
    expect(seen.deadline.code).toBe('DEADLINE_EXCEEDED');
    const index = h.workers.code.calls.findIndex((c) => c.problem?.text === 'hold python');
    // The worker got the client's deadline (0.5 s), not the router's default of 300 s.
    expect(h.workers.code.deadlines[index]).toBeLessThan(started + 60_000);
  });

  it('SubmitBatch (idempotent), WatchBatch from an index, GetBatch and CancelBatch', () => {
    expect(seen.batch).toEqual({
      total: 4,
      deduplicated: true,
      same_id: true,
      item_indexes: [1, 2, 3],
      item_answers: ['code:python b', 'science:atom c', 'math:integral of d'],
      last_state: 'BATCH_STATE_COMPLETED',
      completed: 4,
      metadata: { from: 'python' },
    });
    expect(seen.cancel_finished).toBe('BATCH_STATE_COMPLETED');
  });
});
