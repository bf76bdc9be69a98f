import { setTimeout as sleep } from 'node:timers/promises';
import { DispatchService } from '../src/dispatch/dispatch.service';
import type { HostResolver } from '../src/dispatch/host-resolver';
import { FakeWorker } from './fake-worker';
import { parseSse, postJson, startHarness, untilReady, type Harness } from './router-harness';

const NAME = 'math.workers.test';

/** Polls `done` every 20 ms for up to `limitMs`; fails naming what it waited for. */
async function until(done: () => boolean, what: string, limitMs = 15_000): Promise<void> {
  for (const end = Date.now() + limitMs; !done(); await sleep(20)) {
    if (Date.now() > end) throw new Error(`waited ${limitMs} ms for: ${what}`);
  }
}

/** How the requests of the load ended. */
interface Outcomes {
  ok: number;
  /** Refused or failed before anything was streamed: what must never happen here. */
  failedBeforeStreaming: string[];
  /** A stream that broke after its first event (allowed: never silently moved to another replica). */
  brokenMidStream: number;
}

/**
 * `clients` loops sending math problems (every other client streams) until `stop` is set: the
 * steady load the replicas come and go under.
 */
function steadyLoad(h: Harness, clients: number, stop: { now: boolean }): Promise<Outcomes> {
  const outcomes: Outcomes = { ok: 0, failedBeforeStreaming: [], brokenMidStream: 0 };
  let n = 0;
  const client = async (stream: boolean) => {
    while (!stop.now) {
      const res = await postJson(`${h.base}/v1/solve`, { text: `1+${n++}`, domain: 'math', stream }).catch((error: Error) => ({
        status: 0,
        text: error.message,
      }));
      if (res.status !== 200) outcomes.failedBeforeStreaming.push(`${res.status} ${res.text.slice(0, 200)}`);
      else if (!stream || parseSse(res.text).at(-1)?.event === 'result') outcomes.ok++;
      else outcomes.brokenMidStream++;
    }
  };
  return Promise.all(Array.from({ length: clients }, (_, i) => client(i % 2 === 0))).then(() => outcomes);
}

describe('worker replicas that come and go behind one name (re-resolved, under load)', () => {
  let h: Harness;
  let replicas: { a: FakeWorker; b: FakeWorker; c: FakeWorker };
  /** What the name resolves to now; the test edits it like a headless Service's endpoints. */
  let answer: string[];
  const resolver: HostResolver = async (hostname) => {
    if (hostname !== NAME) throw new Error(`getaddrinfo ENOTFOUND ${hostname}`);
    return [...answer];
  };
  const callsOf = (worker: FakeWorker) => worker.calls.filter((c) => !(c.problem?.text ?? '').startsWith('held')).length;
  const members = () => h.router.app.get(DispatchService).pool('math').states();

  beforeAll(async () => {
    // Three replicas on one port, one loopback address each: how pods behind a headless Service look.
    const a = await new FakeWorker('math').start(0, '127.0.0.1');
    const port = Number(a.address.split(':')[1]);
    replicas = { a, b: await new FakeWorker('math').start(port, '127.0.0.2'), c: await new FakeWorker('math').start(port, '127.0.0.3') };
    answer = ['127.0.0.1', '127.0.0.2'];
    h = await startHarness(
      {
        MATH_WORKER_ADDRESSES: `dns:///${NAME}:${port}`,
        ROUTER_WORKER_RESOLVE_INTERVAL_MS: '100',
        ROUTER_MAX_CONCURRENT_PER_CLIENT: '1000',
      },
      {},
      { resolveWorkerHost: resolver },
    );
    await untilReady(h);
  });
  afterAll(async () => {
    await h.close();
    for (const worker of Object.values(replicas)) worker.stop();
  });

  it('takes in a new replica within seconds, drains a removed one, fails over from a crashed one: no request fails before streaming', async () => {
    const { a, b, c } = replicas;
    const stop = { now: false };
    const load = steadyLoad(h, 8, stop);
    try {
      await until(() => callsOf(a) >= 20 && callsOf(b) >= 20, 'both first replicas take work');

      // A replica appears. Within seconds, not at once: on a loaded machine (CI) a replica whose first
      // answers come late is avoided until its latency estimate decays (peak EWMA), as it should be.
      answer = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
      await until(() => callsOf(c) >= 20, 'the new replica takes work');

      // A replica disappears while one of its streams is still open: that stream runs to its end.
      let release!: () => void;
      a.behaviour = { holdPrefix: { prefix: 'held', until: new Promise<void>((resolve) => (release = resolve)) } };
      const held: Promise<{ status: number; text: string }>[] = [];
      while (!a.calls.some((call) => call.problem?.text?.startsWith('held'))) {
        const next = postJson(`${h.base}/v1/solve`, { text: `held ${held.length}`, domain: 'math', stream: true });
        held.push(next);
        await Promise.race([
          next,
          until(() => a.calls.some((call) => call.problem?.text === `held ${held.length - 1}`), 'a held call', 5_000).catch(
            () => undefined,
          ),
        ]);
      }
      answer = ['127.0.0.2', '127.0.0.3'];
      await until(() => members().some((r) => r.address === a.address && r.draining === true), 'the removed replica drains');
      // A call sent just before the drain may still be on its way: count once only the held streams are open on it.
      const heldOnA = () => a.calls.filter((call) => (call.problem?.text ?? '').startsWith('held')).length;
      await until(
        () => members().find((r) => r.address === a.address)?.inFlight === heldOnA(),
        'only the held streams open on the drained replica',
      );
      const drainedCalls = callsOf(a);
      const [bBefore, cBefore] = [callsOf(b), callsOf(c)];
      await until(() => callsOf(b) >= bBefore + 20 && callsOf(c) >= cBefore + 20, 'the others take the work');
      expect(callsOf(a)).toBe(drainedCalls);
      release();
      for (const res of await Promise.all(held)) {
        expect(res.status).toBe(200);
        expect(parseSse(res.text).at(-1)?.event).toBe('result');
      }
      await until(() => !members().some((r) => r.address === a.address), 'the drained replica is let go once its stream ended');
      a.behaviour = {};

      // A listed replica crashes: calls that meet it before their first token go to the other.
      b.stop();
      const cAfterCrash = callsOf(c);
      await until(() => callsOf(c) >= cAfterCrash + 40, 'the surviving replica takes the work');
      answer = ['127.0.0.3'];
      await until(() => members().length === 1, 'the crashed replica leaves');

      // The first one comes back.
      answer = ['127.0.0.3', '127.0.0.1'];
      const aBack = callsOf(a);
      await until(() => callsOf(a) >= aBack + 20, 'the returning replica takes work again');
    } finally {
      stop.now = true;
    }
    const outcomes = await load;
    expect(outcomes.failedBeforeStreaming).toEqual([]);
    expect(outcomes.ok).toBeGreaterThan(200);
  });
});
