import * as grpc from '@grpc/grpc-js';
import { loadProto, type SolveResponse__Output } from '@slm/contracts';
import { postJson, startHarness, type Harness } from './router-harness';

const WORKER_MS = 60;

/** `router;dur=0.412, worker;dur=61.200` → { router: 0.412, worker: 61.2 }. */
function parseServerTiming(value: string | null | undefined): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const entry of (value ?? '').split(',')) {
    const match = /^\s*([\w-]+);dur=([\d.]+)\s*$/.exec(entry);
    if (match) metrics[match[1]] = Number(match[2]);
  }
  return metrics;
}

/**
 * Every synchronous solve reports the router's own time and the worker call apart (Server-Timing, and
 * gRPC trailing metadata): the worker here takes WORKER_MS over each call, which must land on the
 * worker side, and the two together fit inside what the caller measured.
 */
describe('Server-Timing: the router time and the worker call, apart', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  beforeEach(() => {
    h.workers.math.behaviour = { delayMs: WORKER_MS };
  });
  afterAll(() => h.close());

  const expectSplit = (header: string | null | undefined, callerMs: number) => {
    const timing = parseServerTiming(header);
    expect(Object.keys(timing).sort()).toEqual(['router', 'worker']);
    // Timers may fire a millisecond early; the worker's time is never the router's.
    expect(timing.worker).toBeGreaterThanOrEqual(WORKER_MS - 2);
    expect(timing.router).toBeGreaterThanOrEqual(0);
    expect(timing.router + timing.worker).toBeLessThanOrEqual(callerMs);
  };

  it('POST /v1/solve', async () => {
    const sent = performance.now();
    const res = await postJson(`${h.base}/v1/solve`, { text: 'solve x + 1 = 2', domain: 'math' });
    const callerMs = performance.now() - sent;
    expect(res.status).toBe(200);
    expectSplit(res.headers.get('server-timing'), callerMs);
  });

  it('POST /v1/chat/completions', async () => {
    const sent = performance.now();
    const res = await postJson(`${h.base}/v1/chat/completions`, {
      model: 'math',
      messages: [{ role: 'user', content: 'solve x + 1 = 2' }],
    });
    const callerMs = performance.now() - sent;
    expect(res.status).toBe(200);
    expectSplit(res.headers.get('server-timing'), callerMs);
  });

  it('gRPC Router.Solve, in the trailing metadata', async () => {
    const client = new (loadProto().slmrouter.v1.Router)(`127.0.0.1:${h.router.grpcPort}`, grpc.credentials.createInsecure());
    try {
      const sent = performance.now();
      const trailer = await new Promise<grpc.Metadata>((resolve, reject) => {
        const call = client.solve(
          { problem: { text: 'solve x + 1 = 2', domainOverride: 'DOMAIN_MATH' } },
          (error: grpc.ServiceError | null, response?: SolveResponse__Output) => {
            if (error || !response?.result) reject(error ?? new Error('no result'));
          },
        );
        call.on('status', (status: grpc.StatusObject) => resolve(status.metadata));
      });
      const callerMs = performance.now() - sent;
      expectSplit(String(trailer.get('server-timing')[0] ?? ''), callerMs);
    } finally {
      client.close();
    }
  });
});
