import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { loadProto, type Problem } from '@slm/contracts';
import { getJson, parseSse, postJson, startHarness, type Harness } from './router-harness';

type RouterClient = InstanceType<ReturnType<typeof loadProto>['slmrouter']['v1']['Router']>;

/** A SolveStream call to its end: the messages it got, and its status code (OK = 0). */
function solveStream(client: RouterClient, problem: Problem): Promise<{ messages: number; code: number }> {
  return new Promise((resolve) => {
    let messages = 0;
    const call = client.solveStream({ problem }, { deadline: Date.now() + 10_000 });
    call.on('data', () => messages++);
    call.on('error', (error: grpc.ServiceError) => resolve({ messages, code: error.code }));
    call.on('end', () => resolve({ messages, code: grpc.status.OK }));
  });
}

function solve(client: RouterClient, problem: Problem): Promise<number> {
  return new Promise((resolve) =>
    client.solve({ problem }, { deadline: Date.now() + 10_000 }, (error: grpc.ServiceError | null) =>
      resolve(error ? error.code : grpc.status.OK),
    ),
  );
}

type ReplicaView = { state: string; capacity?: number; inFlight: number };

/**
 * Polls /readyz (which answers from the health checks' state) until the code replica matches, for
 * at most `limitMs`: a router that never shows the match then fails on the behaviour under test.
 */
async function untilCodeReplica(h: Harness, matches: (replica: ReplicaView) => boolean, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!matches((await getJson(`${h.base}/readyz?verbose=true`)).json.workers.code.replicas[0] as ReplicaView) && Date.now() < end)
    await sleep(20);
}

async function untilCalls(count: () => number, atLeast: number): Promise<void> {
  while (count() < atLeast) await sleep(5);
}

const CODE = { text: 'python function', domainOverride: 'DOMAIN_CODE' } as const;

describe('admission: a full or unhealthy domain is refused before any status line', () => {
  let h: Harness;
  let client: RouterClient;
  beforeAll(async () => {
    // Health rounds every second (each with a one-second deadline): a busy machine does not take
    // the replica out between a test's setup and its request.
    h = await startHarness({ ROUTER_HEALTH_INTERVAL_MS: '1000' });
    client = new (loadProto().slmrouter.v1.Router)(`127.0.0.1:${h.router.grpcPort}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client.close();
    await h.close();
  });

  describe('every replica at capacity (one slot, no queue, taken by a held call)', () => {
    let release!: () => void;
    let held: Promise<{ status: number }>;
    beforeAll(async () => {
      h.workers.code.behaviour = {
        capacity: { maxConcurrency: 1, maxQueue: 0 },
        holdPrefix: { prefix: 'hold', until: new Promise<void>((resolve) => (release = resolve)) },
      };
      await untilCodeReplica(h, (r) => r.state === 'serving' && r.capacity === 1);
      const before = h.workers.code.calls.length;
      held = postJson(`${h.base}/v1/solve`, { text: 'hold this python function', domain: 'code' });
      await untilCalls(() => h.workers.code.calls.length, before + 1);
    });
    afterAll(() => {
      release();
      h.workers.code.behaviour = {};
    });

    it('a unary request gets 429 QUEUE_FULL (REST) / RESOURCE_EXHAUSTED (gRPC) and no call reaches the worker', async () => {
      const generateCalls = h.workers.code.callsOf('Generate');
      const res = await postJson(`${h.base}/v1/solve`, { text: 'python function', domain: 'code' });
      expect(res.status).toBe(429);
      expect(res.json.error.code).toBe('QUEUE_FULL');
      expect(await solve(client, CODE)).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(h.workers.code.callsOf('Generate')).toBe(generateCalls);
    });

    it('a REST stream gets 429 with a JSON error, not 200 and an error event', async () => {
      const res = await postJson(`${h.base}/v1/solve`, { text: 'python function', domain: 'code', stream: true });
      expect(res.status).toBe(429);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.json.error.code).toBe('QUEUE_FULL');
    });

    it('an OpenAI stream gets 429 with an OpenAI error body', async () => {
      const res = await postJson(`${h.base}/v1/chat/completions`, {
        model: 'code',
        stream: true,
        messages: [{ role: 'user', content: 'python function' }],
      });
      expect(res.status).toBe(429);
      expect(res.json.error).toMatchObject({ code: 'QUEUE_FULL', type: 'rate_limit_error' });
    });

    it('gRPC SolveStream ends RESOURCE_EXHAUSTED before any message', async () => {
      expect(await solveStream(client, CODE)).toEqual({ messages: 0, code: grpc.status.RESOURCE_EXHAUSTED });
      expect(h.workers.code.callsOf('GenerateStream')).toBe(0);
    });

    it('the slot comes back when the held call ends: the next stream is served', async () => {
      release();
      expect((await held).status).toBe(200);
      await untilCodeReplica(h, (r) => r.inFlight === 0);
      const res = await postJson(`${h.base}/v1/solve`, { text: 'python function', domain: 'code', stream: true });
      expect(res.status).toBe(200);
      expect(parseSse(res.text).map((e) => e.event)).toEqual(['route', 'delta', 'delta', 'delta', 'result']);
      await untilCodeReplica(h, (r) => r.inFlight === 0);
    });
  });

  describe('no healthy replica: the only replica answers UNAVAILABLE though its health check says serving', () => {
    beforeEach(async () => {
      h.workers.code.behaviour = { unavailable: true };
      await untilCodeReplica(h, (r) => r.state === 'serving');
    });
    afterAll(() => {
      h.workers.code.behaviour = {};
    });

    it('a REST stream gets 503 NO_HEALTHY_REPLICA, not 200 and an error event', async () => {
      const res = await postJson(`${h.base}/v1/solve`, { text: 'python function', domain: 'code', stream: true });
      expect(res.status).toBe(503);
      expect(res.json.error.code).toBe('NO_HEALTHY_REPLICA');
    });

    it('an OpenAI stream gets 503', async () => {
      const res = await postJson(`${h.base}/v1/chat/completions`, {
        model: 'code',
        stream: true,
        messages: [{ role: 'user', content: 'python function' }],
      });
      expect(res.status).toBe(503);
      expect(res.json.error.code).toBe('NO_HEALTHY_REPLICA');
    });

    it('gRPC SolveStream ends UNAVAILABLE before any message', async () => {
      expect(await solveStream(client, CODE)).toEqual({ messages: 0, code: grpc.status.UNAVAILABLE });
    });
  });
});

describe('/readyz answers from the health checks already done', () => {
  let h: Harness;
  beforeAll(async () => {
    // One background round at start, the next a minute later: any check during the test is /readyz's.
    h = await startHarness({ ROUTER_HEALTH_INTERVAL_MS: '60000' });
    while ((await getJson(`${h.base}/readyz`)).status !== 200) await sleep(20);
  });
  afterAll(() => h.close());

  it('makes no call to any worker, however often it is asked', async () => {
    const calls = () => Object.values(h.workers).reduce((n, w) => n + w.callsOf('Check') + w.callsOf('GetInfo'), 0);
    const before = calls();
    expect(before).toBeGreaterThan(0);
    for (let i = 0; i < 50; i++) {
      const ready = await getJson(`${h.base}/readyz`);
      expect(ready.status).toBe(200);
      expect(ready.json.workers.math.replicas[0].state).toBe('serving');
    }
    expect(calls()).toBe(before);
  });
});
