import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '@slm/contracts';
import { FakeWorker } from './fake-worker';
import { getJson, parseSse, postJson, startHarness, type Harness } from './router-harness';

async function deadAddress(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

async function waitForReplicaState(h: Harness, domain: 'math' | 'code' | 'science', state: string): Promise<void> {
  for (;;) {
    const ready = await getJson(`${h.base}/readyz`);
    if (ready.json.workers[domain].replicas.every((r: { state: string }) => r.state === state)) return;
  }
}

/** Every state /readyz reports for the domain's replicas (polled every 10 ms) until `stop`. */
function watchReplicaStates(h: Harness, domain: 'math' | 'code' | 'science'): { states: Set<string>; stop: () => void } {
  const states = new Set<string>();
  const timer = setInterval(
    () =>
      void getJson(`${h.base}/readyz`).then((r) =>
        r.json.workers[domain].replicas.forEach((replica: { state: string }) => states.add(replica.state)),
      ),
    10,
  );
  return { states, stop: () => clearInterval(timer) };
}

describe('dispatch to worker replicas', () => {
  let h: Harness;
  let flaky: FakeWorker;
  beforeAll(async () => {
    flaky = await new FakeWorker('math').start();
    h = await startHarness({ ROUTER_MAX_CONCURRENT_PER_CLIENT: '2' }, { math: [flaky.address], science: [await deadAddress()] });
    // The first background health check has a 200 ms deadline here: on a busy machine it can time
    // out and take both math replicas out before the first request; the next rounds bring them back.
    await waitForReplicaState(h, 'math', 'serving');
  });
  afterAll(async () => {
    await h.close();
    flaky.stop();
  });

  it('spreads requests over the healthy replicas (a replica that has not answered yet is tried at once)', async () => {
    for (let i = 0; i < 4; i++) expect((await postJson(`${h.base}/v1/solve`, { text: `1+${i}*2` })).status).toBe(200);
    // Load-aware, not round-robin: which replica takes calls 3 and 4 depends on measured latency.
    expect(flaky.calls.length).toBeGreaterThanOrEqual(1);
    expect(h.workers.math.calls.length).toBeGreaterThanOrEqual(1);
    expect(flaky.calls.length + h.workers.math.calls.length).toBe(4);
  });

  it('retries on another replica when one answers UNAVAILABLE before any token', async () => {
    flaky.behaviour = { unavailable: true };
    try {
      const before = h.workers.math.calls.length;
      for (let i = 0; i < 3; i++) {
        const res = await postJson(`${h.base}/v1/solve`, { text: `2+${i}*3`, stream: i === 2 });
        expect(res.status).toBe(200);
        if (i === 2) expect(parseSse(res.text).at(-1)?.event).toBe('result');
      }
      expect(h.workers.math.calls.length).toBe(before + 3);
    } finally {
      flaky.behaviour = {};
    }
  });

  it('skips a replica that does not answer at all', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await postJson(`${h.base}/v1/solve`, { text: 'atom energy' });
      expect(res.status).toBe(200);
      expect(res.json.result.answer).toBe('science:atom energy');
    }
  });

  it('answers 503 NO_HEALTHY_REPLICA when no replica of the domain is serving, and recovers', async () => {
    h.workers.code.setServing(false);
    await waitForReplicaState(h, 'code', 'not_serving');
    const res = await postJson(`${h.base}/v1/solve`, { text: 'python function' });
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('NO_HEALTHY_REPLICA');
    h.workers.code.setServing(true);
    await waitForReplicaState(h, 'code', 'serving');
    expect((await postJson(`${h.base}/v1/solve`, { text: 'python function' })).status).toBe(200);
  });

  it('keeps a replica whose health check runs late once (a busy machine), takes it out when checks keep running late', async () => {
    const code = h.workers.code;
    const checks = () => code.callsOf('Check');
    const { states, stop: stopWatching } = watchReplicaStates(h, 'code');
    try {
      code.behaviour = { lateHealthChecks: 1 };
      const from = checks();
      // The late check and two answered ones after it (checks every 200 ms, each with a 200 ms deadline).
      while (checks() < from + 3) await new Promise((resolve) => setTimeout(resolve, 20));
      expect([...states]).toEqual(['serving']);
      code.behaviour = { lateHealthChecks: 2 };
      await waitForReplicaState(h, 'code', 'not_serving');
      await waitForReplicaState(h, 'code', 'serving');
    } finally {
      stopWatching();
      code.behaviour = {};
    }
  });

  it('keeps a replica whose health checks run late while it answers calls (a loaded machine, not a dead worker)', async () => {
    const code = h.workers.code;
    const checks = () => code.callsOf('Check');
    let solved = 0;
    const stop = { now: false };
    const load = (async () => {
      while (!stop.now) if ((await postJson(`${h.base}/v1/solve`, { text: 'python function' })).status === 200) solved++;
    })();
    const { states, stop: stopWatching } = watchReplicaStates(h, 'code');
    try {
      // Four late checks in a row: twice what takes a replica out that answers nothing (the test above).
      code.behaviour = { lateHealthChecks: 4 };
      const from = checks();
      while (checks() < from + 5) await new Promise((resolve) => setTimeout(resolve, 20));
      expect([...states]).toEqual(['serving']);
      expect(solved).toBeGreaterThan(10);
    } finally {
      stop.now = true;
      stopWatching();
      code.behaviour = {};
      await load;
    }
  });

  it('limits concurrent requests per client (anonymous: its address) with 429 RATE_LIMITED; a rotated x-client-id does not dodge it', async () => {
    let release!: () => void;
    h.workers.code.behaviour = { hold: new Promise<void>((resolve) => (release = resolve)) };
    const held = [
      postJson(`${h.base}/v1/solve`, { text: 'python a' }, { 'x-client-id': 'tenant-a' }),
      postJson(`${h.base}/v1/solve`, { text: 'python b' }),
    ];
    while (h.workers.code.calls.filter((c) => /python [ab]/.test(c.problem?.text ?? '')).length < 2)
      await new Promise((r) => setImmediate(r));
    const third = await postJson(`${h.base}/v1/solve`, { text: 'python c' });
    expect(third.status).toBe(429);
    expect(third.json.error.code).toBe('RATE_LIMITED');
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const rotated = await postJson(`${h.base}/v1/solve`, { text: 'python d' }, { 'x-client-id': 'tenant-b' });
    expect(rotated.status).toBe(429);
    h.workers.code.behaviour = {};
    release();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200]);
    // The slots came back.
    expect((await postJson(`${h.base}/v1/solve`, { text: 'python e' })).status).toBe(200);
  });

  it("passes a gRPC caller's cancellation on to the worker call", async () => {
    let release!: () => void;
    h.workers.code.behaviour = { holdPrefix: { prefix: 'cancel me', until: new Promise<void>((resolve) => (release = resolve)) } };
    const client = new (loadProto().slmrouter.v1.Router)(`127.0.0.1:${h.router.grpcPort}`, grpc.credentials.createInsecure());
    const solve = (text: string) =>
      new Promise<grpc.ServiceError | null>((resolve) => {
        const call = client.solve({ problem: { text, domainOverride: 'DOMAIN_CODE' } }, (error: grpc.ServiceError | null) =>
          resolve(error),
        );
        if (text.startsWith('cancel me')) {
          void (async () => {
            while (!h.workers.code.calls.some((c) => c.problem?.text === text)) await new Promise((r) => setTimeout(r, 5));
            call.cancel();
          })();
        }
      });
    try {
      expect(await solve('answered python')).toBeNull();
      expect((await solve('cancel me python'))?.code).toBe(grpc.status.CANCELLED);
      while (!h.workers.code.cancelled.includes('cancel me python')) await new Promise((r) => setTimeout(r, 5));
    } finally {
      h.workers.code.behaviour = {};
      release();
      client.close();
    }
  });
});

describe('routing policy fallbacks', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ ROUTER_FALLBACK: 'reject', ROUTER_FALLBACK_OTHER: 'worker:code', ROUTER_UNAVAILABLE_FALLBACK: 'math' });
  });
  afterAll(() => h.close());

  it('rejects below-threshold problems with 422 ROUTE_REJECTED carrying the scores', async () => {
    const res = await postJson(`${h.base}/v1/solve`, { text: 'unsure atom' });
    expect(res.status).toBe(422);
    expect(res.json.error).toMatchObject({ code: 'ROUTE_REJECTED', details: { scores: { DOMAIN_SCIENCE: 0.3 } } });
  });

  it('sends "other" to the named worker', async () => {
    const res = await postJson(`${h.base}/v1/solve`, { text: 'tell me a joke' });
    expect(res.json.result.answer).toBe('code:tell me a joke');
    expect(res.json.result.route).toMatchObject({ fallback: true, fallbackReason: expect.stringContaining('sent to worker code') });
  });

  it('sends a problem whose domain has no healthy replica to the configured domain', async () => {
    h.workers.science.setServing(false);
    await waitForReplicaState(h, 'science', 'not_serving');
    const res = await postJson(`${h.base}/v1/solve`, { text: 'atom energy' });
    expect(res.status).toBe(200);
    expect(res.json.result.answer).toBe('math:atom energy');
    expect(res.json.result.route.fallbackReason).toContain('no healthy replica');
    h.workers.science.setServing(true);
  });
});
