import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { Classification } from '@slm/classifier';
import { loadProto, type Problem } from '@slm/contracts';
import { createLogger } from '@slm/platform';
import type { RunningWorker } from '@slm/worker-runtime';
import { loadRouterConfig } from '../src/config/router.config';
import { startRouter, type RunningRouter } from '../src/router.app';
import { FakeWorker } from './fake-worker';
import { KeywordClassifier } from './keyword-classifier';
import { startInstantWorker } from './real-worker';
import { getJson, postJson } from './router-harness';

type RouterClient = InstanceType<ReturnType<typeof loadProto>['slmrouter']['v1']['Router']>;
type LogLine = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A pino destination that keeps every JSON line and says when one arrives. */
class LogCapture extends EventEmitter {
  readonly lines: LogLine[] = [];
  write(chunk: string): void {
    for (const text of chunk.split('\n').filter(Boolean)) {
      const line = JSON.parse(text) as LogLine;
      this.lines.push(line);
      this.emit('line', line);
    }
  }
  where(predicate: (line: LogLine) => boolean): LogLine[] {
    return this.lines.filter(predicate);
  }
  /** The first line (already written or to come) that matches. */
  waitFor(predicate: (line: LogLine) => boolean): Promise<LogLine> {
    const found = this.lines.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const onLine = (line: LogLine) => {
        if (!predicate(line)) return;
        this.off('line', onLine);
        resolve(line);
      };
      this.on('line', onLine);
    });
  }
}

/** The keyword classifier, except that a text with "explode" makes it throw: a bug in the router. */
class ExplodingClassifier extends KeywordClassifier {
  override classify(text: string): Classification {
    if (text.includes('explode')) throw new Error('classifier exploded on purpose');
    return super.classify(text);
  }
}

function solveGrpc(
  client: RouterClient,
  problem: Problem,
  requestId?: string,
): Promise<{ error: grpc.ServiceError | null; trailer: grpc.Metadata }> {
  const metadata = new grpc.Metadata();
  if (requestId !== undefined) metadata.set('x-request-id', requestId);
  metadata.set('x-client-id', 'grpc-tester');
  return new Promise((resolve) => {
    let error: grpc.ServiceError | null = null;
    const call = client.solve({ problem }, metadata, { deadline: Date.now() + 10_000 }, (e) => (error = e));
    // grpc-js calls the callback, then emits the status with the trailing metadata.
    call.on('status', (status: grpc.StatusObject) => resolve({ error, trailer: status.metadata }));
  });
}

const accessLine = (requestId: string) => (line: LogLine) => line.msg === 'request completed' && line.requestId === requestId;

describe('request ids, error logging and access lines (router and a real worker on loopback)', () => {
  const routerLog = new LogCapture();
  const workerLog = new LogCapture();
  let worker: RunningWorker;
  let fakes: FakeWorker[];
  let router: RunningRouter;
  let base: string;
  let client: RouterClient;

  beforeAll(async () => {
    worker = await startInstantWorker(createLogger('math-worker', 'info', workerLog));
    fakes = [await new FakeWorker('code').start(), await new FakeWorker('science').start()];
    const config = loadRouterConfig({
      ROUTER_HTTP_PORT: '0',
      ROUTER_GRPC_PORT: '0',
      ROUTER_HOST: '127.0.0.1',
      REDIS_URL: process.env.REDIS_URL,
      QUEUE_PREFIX: `t${Date.now().toString(36)}`,
      MATH_WORKER_ADDRESSES: `127.0.0.1:${worker.grpcPort}`,
      CODE_WORKER_ADDRESSES: fakes[0].address,
      SCIENCE_WORKER_ADDRESSES: fakes[1].address,
      ROUTER_HEALTH_INTERVAL_MS: '200',
      ROUTER_FALLBACK: 'domain:science',
      ROUTER_MAX_BODY_BYTES: '100000',
    });
    router = await startRouter(config, new ExplodingClassifier(), { logger: createLogger('router', 'debug', routerLog) });
    base = `http://127.0.0.1:${router.httpPort}`;
    client = new (loadProto().slmrouter.v1.Router)(`127.0.0.1:${router.grpcPort}`, grpc.credentials.createInsecure());
    while ((await getJson(`${base}/readyz`)).status !== 200);
  });
  afterAll(async () => {
    client.close();
    await router.close();
    await worker.close();
    for (const fake of fakes) fake.stop();
  });

  describe('an unexpected error is logged once (message, stack, request id, route) and the caller gets the id', () => {
    it('REST /v1/solve: a 500 whose body and header name the request id, one error line', async () => {
      const res = await postJson(`${base}/v1/solve`, { text: 'explode now' }, { 'x-request-id': 'trace-boom-1' });
      expect(res.status).toBe(500);
      expect(res.headers.get('x-request-id')).toBe('trace-boom-1');
      expect(res.json.error).toEqual({
        code: 'INTERNAL',
        message: 'internal error (see the server log, request id trace-boom-1)',
        requestId: 'trace-boom-1',
      });
      const errors = routerLog.where((line) => line.msg === 'unexpected error' && line.requestId === 'trace-boom-1');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({
        level: 50,
        route: '/v1/solve',
        method: 'POST',
        err: { message: 'classifier exploded on purpose' },
      });
      expect(errors[0].err.stack).toMatch(/classifier exploded on purpose\n\s+at /);
      expect(await routerLog.waitFor(accessLine('trace-boom-1'))).toMatchObject({ status: 500, route: '/v1/solve' });
    });

    it('REST without an x-request-id: the generated id is in the header, the body and the log line', async () => {
      const res = await postJson(`${base}/v1/solve`, { text: 'explode again' });
      const id = res.headers.get('x-request-id') ?? '';
      expect(id).toMatch(UUID);
      expect(res.json.error.requestId).toBe(id);
      expect(routerLog.where((line) => line.msg === 'unexpected error' && line.requestId === id)).toHaveLength(1);
    });

    it('OpenAI route: the OpenAI-shaped body quotes the request id', async () => {
      const res = await postJson(
        `${base}/v1/chat/completions`,
        { model: 'auto', messages: [{ role: 'user', content: 'explode here' }] },
        { 'x-request-id': 'trace-boom-oa' },
      );
      expect(res.status).toBe(500);
      expect(res.json.error).toEqual({
        message: 'internal error (see the server log, request id trace-boom-oa)',
        type: 'server_error',
        param: null,
        code: 'INTERNAL',
      });
      const errors = routerLog.where((line) => line.msg === 'unexpected error' && line.requestId === 'trace-boom-oa');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ route: '/v1/chat/completions', err: { message: 'classifier exploded on purpose' } });
    });

    it('gRPC Solve: INTERNAL with the request id in the trailing metadata, one error line (not "[object Object]")', async () => {
      const { error, trailer } = await solveGrpc(client, { text: 'explode over grpc' }, 'trace-boom-2');
      expect(error?.code).toBe(grpc.status.INTERNAL);
      expect(trailer.get('x-request-id')).toEqual(['trace-boom-2']);
      const errors = routerLog.where((line) => line.level === 50 && line.requestId === 'trace-boom-2');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({
        msg: 'unexpected error',
        route: '/slmrouter.v1.Router/Solve',
        err: { message: 'classifier exploded on purpose' },
      });
      expect(errors[0].err.stack).toContain('classifier exploded on purpose');
    });
  });

  describe("the caller's x-request-id is the correlation id, from the router's lines to the worker's", () => {
    it('REST: echoed in the header, on the access line and on the worker line; the body requestId stays the result key', async () => {
      const res = await postJson(
        `${base}/v1/solve`,
        { text: 'integral of x', requestId: 'problem-7' },
        { 'x-request-id': 'trace-ok-1', 'x-client-id': 'tester' },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBe('trace-ok-1');
      expect(res.json.result.requestId).toBe('problem-7');
      const access = await routerLog.waitFor(accessLine('trace-ok-1'));
      expect(access).toEqual(
        expect.objectContaining({
          level: 30,
          method: 'POST',
          route: '/v1/solve',
          status: 200,
          ms: expect.any(Number),
          domain: 'math',
          client: 'ip:127.0.0.1',
        }),
      );
      expect(routerLog.where(accessLine('trace-ok-1'))).toHaveLength(1);
      const solved = workerLog.where((line) => line.msg === 'solved' && line.requestId === 'trace-ok-1');
      expect(solved).toHaveLength(1);
      expect(solved[0]).toMatchObject({ problemRequestId: 'problem-7', domain: 'math' });
    });

    it('REST without a body requestId: the result gets its own generated id, the logs the header id', async () => {
      const res = await postJson(`${base}/v1/solve`, { text: 'integral of y' }, { 'x-request-id': 'trace-ok-3' });
      expect(res.json.result.requestId).toMatch(UUID);
      expect(res.json.result.requestId).not.toBe('trace-ok-3');
      expect(workerLog.where((line) => line.msg === 'solved' && line.requestId === 'trace-ok-3')).toHaveLength(1);
    });

    it('a REST stream echoes the header id, not the problem id', async () => {
      const res = await postJson(
        `${base}/v1/solve`,
        { text: 'integral of z', requestId: 'problem-8', stream: true },
        { 'x-request-id': 'trace-stream-1' },
      );
      expect(res.headers.get('x-request-id')).toBe('trace-stream-1');
      expect(res.text).toContain('"requestId":"problem-8"');
      expect(await routerLog.waitFor(accessLine('trace-stream-1'))).toMatchObject({ status: 200, domain: 'math' });
    });

    it('gRPC Solve: echoed in the trailing metadata, on the access line and on the worker line', async () => {
      const { error, trailer } = await solveGrpc(client, { text: 'integral of x' }, 'trace-ok-2');
      expect(error).toBeNull();
      expect(trailer.get('x-request-id')).toEqual(['trace-ok-2']);
      const access = routerLog.where(accessLine('trace-ok-2'));
      expect(access).toHaveLength(1);
      expect(access[0]).toEqual(
        expect.objectContaining({
          method: '/slmrouter.v1.Router/Solve',
          status: 'OK',
          ms: expect.any(Number),
          domain: 'math',
          client: 'ip:127.0.0.1',
        }),
      );
      expect(workerLog.where((line) => line.msg === 'solved' && line.requestId === 'trace-ok-2')).toHaveLength(1);
    });

    it('gRPC without metadata: a generated id comes back in the trailer and names the access line', async () => {
      const { error, trailer } = await solveGrpc(client, { text: 'integral of q' });
      expect(error).toBeNull();
      const id = String(trailer.get('x-request-id')[0]);
      expect(id).toMatch(UUID);
      expect(routerLog.where(accessLine(id))).toHaveLength(1);
      expect(workerLog.where((line) => line.msg === 'solved' && line.requestId === id)).toHaveLength(1);
    });
  });

  describe('an invalid x-request-id is refused before any work', () => {
    it('REST: 400 naming the bad character, with a generated id to quote', async () => {
      const calls = fakes[0].calls.length;
      const res = await postJson(`${base}/v1/solve`, { text: 'python bug' }, { 'x-request-id': 'bad id' });
      expect(res.status).toBe(400);
      expect(res.json.error).toEqual({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/^x-request-id header: must be 1 to 128 characters from .*; character 4 is U\+0020$/),
      });
      const id = res.headers.get('x-request-id') ?? '';
      expect(id).toMatch(UUID);
      expect(await routerLog.waitFor(accessLine(id))).toMatchObject({ status: 400, route: '/v1/solve' });
      expect(fakes[0].calls.length).toBe(calls);
    });

    it('REST: a 129-character id is a 400 too', async () => {
      const res = await postJson(`${base}/v1/classify`, { text: 'python bug' }, { 'x-request-id': 'a'.repeat(129) });
      expect(res.status).toBe(400);
      expect(res.json.error.message).toMatch(/x-request-id header: .*it has 129 characters/);
    });

    it('gRPC: INVALID_ARGUMENT naming the rule, and no handler runs', async () => {
      const calls = fakes[0].calls.length;
      const { error, trailer } = await solveGrpc(client, { text: 'python bug' }, 'bad id');
      expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error?.details).toMatch(/^x-request-id metadata: must be 1 to 128 characters from .*; character 4 is U\+0020$/);
      expect(trailer.get('slm-error-code')).toEqual(['INVALID_ARGUMENT']);
      const id = String(trailer.get('x-request-id')[0]);
      expect(id).toMatch(UUID);
      expect(routerLog.where(accessLine(id))).toEqual([expect.objectContaining({ status: 'INVALID_ARGUMENT' })]);
      // A valid call after it on the same connection reaches the worker: the refused one did not.
      expect((await solveGrpc(client, { text: 'python bug' }, 'trace-after-bad')).error).toBeNull();
      expect(fakes[0].calls.length).toBe(calls + 1);
    });
  });

  describe('one access line per request', () => {
    it('a body refused by the reader (413) still gets its id and its access line', async () => {
      const res = await postJson(`${base}/v1/solve`, { text: 'x'.repeat(200_000) }, { 'x-request-id': 'trace-big-1' });
      expect(res.status).toBe(413);
      expect(res.headers.get('x-request-id')).toBe('trace-big-1');
      expect(await routerLog.waitFor(accessLine('trace-big-1'))).toMatchObject({ method: 'POST', status: 413 });
    });

    it('probes are logged at debug, other routes at info', async () => {
      const health = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'trace-probe-1' } });
      expect(health.status).toBe(200);
      expect(await routerLog.waitFor(accessLine('trace-probe-1'))).toMatchObject({ level: 20, route: '/healthz', status: 200 });
      const models = await fetch(`${base}/v1/models`, { headers: { 'x-request-id': 'trace-models-1' } });
      expect(models.status).toBe(200);
      expect(await routerLog.waitFor(accessLine('trace-models-1'))).toMatchObject({
        level: 30,
        method: 'GET',
        route: '/v1/models',
        status: 200,
      });
      expect(routerLog.where(accessLine('trace-models-1'))).toHaveLength(1);
    });
  });
});
