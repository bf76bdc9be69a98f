import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'node:path';
import { listServices } from '../test/reflection-client';
import {
  ROUTER_SERVICE,
  WORKER_SERVICE,
  addHealthAndReflection,
  loadPackageDefinition,
  loadProto,
  setServingStatus,
  type GenerateStreamResponse,
  type Result,
  type RouterHandlers,
  type SolveStreamResponse,
  type WatchBatchResponse,
  type WorkerHandlers,
} from './index';

// A generated client calls a generated server over loopback for every method shape of the
// contract (unary and server streaming), with health and reflection on the same server.
// The handlers are test doubles: this suite checks the wire contract, not the services.

const proto = loadProto();
const definition = loadPackageDefinition();

function resultFor(text: string): Result {
  return {
    requestId: 'req-1',
    text: `<think>plan</think>${text}`,
    reasoning: 'plan',
    answer: text,
    extracted: { value: text, kind: 'short_answer' },
    route: { domain: 'DOMAIN_MATH', confidence: 0.9, scores: [{ domain: 'DOMAIN_MATH', probability: 0.9 }] },
    usage: { promptTokens: 3, completionTokens: 2 },
    finishReason: 'FINISH_REASON_STOP',
    metadata: { tenant: 'acme' },
  };
}

const workerHandlers: WorkerHandlers = {
  Generate: (call, callback) => callback(null, { result: resultFor(call.request.problem?.text ?? '') }),
  GenerateStream: (call) => {
    call.write({ delta: { text: 'plan', channel: 'CHANNEL_REASONING', tokenIds: [1] } });
    call.write({ delta: { text: 'ok', channel: 'CHANNEL_ANSWER', tokenIds: [2] } });
    call.write({ result: resultFor('ok') });
    call.end();
  },
  GetInfo: (_call, callback) =>
    callback(null, {
      modelId: 'tiny',
      parameterCount: '123456789012',
      dtype: 'fp32',
      contextLength: 2048,
      domain: 'DOMAIN_SCIENCE',
      loadState: 'LOAD_STATE_READY',
    }),
};

const batchStatus = { batchId: 'b-1', state: 'BATCH_STATE_RUNNING' as const, total: 2, counts: { queued: 1, completed: 1 }, progress: 0.5 };

const routerHandlers: RouterHandlers = {
  Solve: (call, callback) => callback(null, { result: resultFor(call.request.problem?.conversation?.messages[0]?.content ?? '') }),
  SolveStream: (call) => {
    call.write({ route: { domain: 'DOMAIN_CODE', confidence: 0.8 } });
    call.write({ delta: { text: 'x', channel: 'CHANNEL_ANSWER' } });
    call.write({ result: resultFor('x') });
    call.end();
  },
  Classify: (call, callback) =>
    callback(null, { route: { domain: call.request.text.includes('integral') ? 'DOMAIN_MATH' : 'DOMAIN_OTHER', confidence: 0.7 } }),
  SubmitBatch: (call, callback) => callback(null, { batchId: 'b-1', total: call.request.problems.length }),
  GetBatch: (call, callback) => {
    if (call.request.batchId !== 'b-1')
      return callback({ code: grpc.status.NOT_FOUND, details: `batch ${call.request.batchId} not found` });
    callback(null, { status: batchStatus });
  },
  WatchBatch: (call) => {
    call.write({ status: batchStatus });
    call.write({ item: { index: call.request.fromIndex, result: resultFor('4') } });
    call.write({ status: { ...batchStatus, state: 'BATCH_STATE_COMPLETED', progress: 1 } });
    call.end();
  },
  CancelBatch: (_call, callback) => callback(null, { status: { ...batchStatus, state: 'BATCH_STATE_CANCELLED' } }),
};

function unary<Req, Res>(fn: (req: Req, cb: (err: grpc.ServiceError | null, res?: Res) => void) => unknown, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => fn(request, (err, res) => (err ? reject(err) : resolve(res as Res))));
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const events: T[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('wire contracts over loopback gRPC', () => {
  let server: grpc.Server;
  let address: string;
  let health: ReturnType<typeof addHealthAndReflection>;

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(proto.slmrouter.v1.Worker.service, workerHandlers);
    server.addService(proto.slmrouter.v1.Router.service, routerHandlers);
    health = addHealthAndReflection(server, definition, [ROUTER_SERVICE, WORKER_SERVICE], 'NOT_SERVING');
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });

  afterAll(() => server.forceShutdown());

  describe('Worker', () => {
    let client: InstanceType<typeof proto.slmrouter.v1.Worker>;
    beforeAll(() => (client = new proto.slmrouter.v1.Worker(address, grpc.credentials.createInsecure())));
    afterAll(() => client.close());

    it('Generate (unary) round-trips a problem and a result with every part', async () => {
      const res = await unary(client.generate.bind(client), { problem: { text: '2+2?', options: { maxNewTokens: 8, temperature: 0 } } });
      expect(res.result?.answer).toBe('2+2?');
      expect(res.result?.reasoning).toBe('plan');
      expect(res.result?.finishReason).toBe('FINISH_REASON_STOP');
      expect(res.result?.usage).toEqual({ promptTokens: 3, completionTokens: 2 });
      expect(res.result?.metadata).toEqual({ tenant: 'acme' });
      expect(res.result?.route?.scores[0]?.domain).toBe('DOMAIN_MATH');
    });

    it('GenerateStream (server streaming) delivers deltas then one result', async () => {
      const events = await collect<GenerateStreamResponse>(client.generateStream({ problem: { text: 'hi' } }));
      expect(events.map((e) => (e as { event?: string }).event)).toEqual(['delta', 'delta', 'result']);
      expect(events[0]?.delta?.channel).toBe('CHANNEL_REASONING');
      expect(events[2]?.result?.answer).toBe('ok');
    });

    it('GetInfo carries 64-bit parameter counts as strings', async () => {
      const info = await unary(client.getInfo.bind(client), {});
      expect(info).toMatchObject({
        modelId: 'tiny',
        parameterCount: '123456789012',
        domain: 'DOMAIN_SCIENCE',
        loadState: 'LOAD_STATE_READY',
      });
    });
  });

  describe('Router', () => {
    let client: InstanceType<typeof proto.slmrouter.v1.Router>;
    beforeAll(() => (client = new proto.slmrouter.v1.Router(address, grpc.credentials.createInsecure())));
    afterAll(() => client.close());

    it('Solve accepts a conversation instead of a text', async () => {
      const res = await unary(client.solve.bind(client), {
        problem: { conversation: { messages: [{ role: 'user', content: 'integrate x' }] }, domainOverride: 'DOMAIN_MATH' },
      });
      expect(res.result?.answer).toBe('integrate x');
    });

    it('SolveStream sends the route first and the result last', async () => {
      const events = await collect<SolveStreamResponse>(client.solveStream({ problem: { text: 'sort a list' } }));
      expect(events.map((e) => (e as { event?: string }).event)).toEqual(['route', 'delta', 'result']);
      expect(events[0]?.route?.domain).toBe('DOMAIN_CODE');
    });

    it('Classify answers a route decision', async () => {
      const res = await unary(client.classify.bind(client), { text: 'compute the integral' });
      expect(res.route?.domain).toBe('DOMAIN_MATH');
    });

    it('SubmitBatch, GetBatch, CancelBatch round-trip', async () => {
      const submitted = await unary(client.submitBatch.bind(client), {
        problems: [{ text: 'a' }, { text: 'b' }],
        idempotencyKey: 'k',
        priority: 1,
      });
      expect(submitted).toMatchObject({ batchId: 'b-1', total: 2, deduplicated: false });
      const got = await unary(client.getBatch.bind(client), { batchId: 'b-1' });
      expect(got.status?.counts).toMatchObject({ queued: 1, completed: 1, active: 0 });
      const cancelled = await unary(client.cancelBatch.bind(client), { batchId: 'b-1' });
      expect(cancelled.status?.state).toBe('BATCH_STATE_CANCELLED');
    });

    it('GetBatch errors carry a status code and message', async () => {
      await expect(unary(client.getBatch.bind(client), { batchId: 'nope' })).rejects.toMatchObject({
        code: grpc.status.NOT_FOUND,
        details: 'batch nope not found',
      });
    });

    it('WatchBatch streams progress and items, resuming from an index', async () => {
      const events = await collect<WatchBatchResponse>(client.watchBatch({ batchId: 'b-1', fromIndex: 7 }));
      expect(events.map((e) => (e as { event?: string }).event)).toEqual(['status', 'item', 'status']);
      expect(events[1]?.item?.index).toBe(7);
      expect(events[2]?.status?.state).toBe('BATCH_STATE_COMPLETED');
    });
  });

  describe('health and reflection', () => {
    const healthProto = grpc.loadPackageDefinition(
      protoLoader.loadSync(path.join(path.dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto'), {
        enums: String,
      }),
    ) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };

    async function healthOf(service: string): Promise<string> {
      const client = new healthProto.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
      try {
        const res = await new Promise<{ status: string }>((resolve, reject) =>
          client.Check({ service }, (err: grpc.ServiceError | null, r: { status: string }) => (err ? reject(err) : resolve(r))),
        );
        return res.status;
      } finally {
        client.close();
      }
    }

    it('grpc.health.v1 reports NOT_SERVING, then SERVING once set', async () => {
      expect(await healthOf(WORKER_SERVICE)).toBe('NOT_SERVING');
      setServingStatus(health, [ROUTER_SERVICE, WORKER_SERVICE], 'SERVING');
      expect(await healthOf(WORKER_SERVICE)).toBe('SERVING');
      expect(await healthOf('')).toBe('SERVING');
    });

    it('server reflection lists the Router and Worker services', async () => {
      const names = await listServices('v1alpha', address);
      expect(names).toEqual(expect.arrayContaining([ROUTER_SERVICE, WORKER_SERVICE]));
    });
  });
});
