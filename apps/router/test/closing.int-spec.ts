import { setTimeout as sleep } from 'node:timers/promises';
import { parseSse, postJson, startHarness, untilReady, type Harness } from './router-harness';

/**
 * Closing the router while requests run (a rolling update, SIGTERM under load): each finishes with
 * its answer, and the connections they came on (kept alive by the client, as fetch does) do not
 * hold the close. Before, they held it for the client's keep-alive time (72 s).
 */
describe('closing the router while requests run', () => {
  let h: Harness;
  let release: () => void;

  beforeEach(async () => {
    h = await startHarness();
    await untilReady(h);
    h.workers.math.behaviour = { hold: new Promise<void>((resolve) => (release = resolve)) };
  });
  afterEach(() => release());

  /** Starts closing once the worker holds `requests` calls; resolves with what the close did within 30 s. */
  async function closeWhileHeld(requests: number): Promise<Promise<'closed' | 'still open after 30 s'>> {
    while (h.workers.math.calls.length < requests) await sleep(10);
    const closed = h.close().then(() => 'closed' as const);
    // The close has begun (the HTTP server stops listening) before the held calls are let go.
    await sleep(200);
    release();
    return Promise.race([closed, sleep(30_000).then(() => 'still open after 30 s' as const)]);
  }

  it('answers the requests it holds, says Connection: close on their answers, and closes', async () => {
    const answers = [1, 2, 3].map((n) => postJson(`${h.base}/v1/solve`, { text: `1+${n}`, domain: 'math' }));
    const closed = await closeWhileHeld(3);
    for (const res of await Promise.all(answers)) {
      expect(res.status).toBe(200);
      expect(res.headers.get('connection')).toBe('close');
    }
    expect(await closed).toBe('closed');
  });

  it('lets a stream that began before the close run to its end, then closes its connection', async () => {
    const stream = postJson(`${h.base}/v1/solve`, { text: '2+2', domain: 'math', stream: true });
    const closed = await closeWhileHeld(1);
    const res = await stream;
    expect(res.status).toBe(200);
    expect(parseSse(res.text).at(-1)?.event).toBe('result');
    expect(await closed).toBe('closed');
  });
});
