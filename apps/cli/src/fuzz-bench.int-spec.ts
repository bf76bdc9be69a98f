import { benchFuzz } from './fuzz-bench';

// A short fuzz run against a real stack (router, instant-engine workers, Redis): every REST route
// and gRPC method gets property-generated requests, and none is answered badly.
describe('slm bench fuzz', () => {
  it('finds nothing in 12 s of requests to every REST route and gRPC method, and the router survives', async () => {
    const report = await benchFuzz({ seconds: 12, redisUrl: process.env.REDIS_URL }, () => undefined);
    expect(report.findings).toEqual([]);
    expect(report.routerAlive).toBe(true);
    for (const method of [
      'POST /v1/solve',
      'POST /v1/classify',
      'POST /v1/chat/completions',
      'POST /v1/batches',
      'GET /v1/batches/:id',
      'GET /v1/batches/:id/results',
      'DELETE /v1/batches/:id',
    ]) {
      expect(report.requestsPerMethod[method]).toBeGreaterThan(0);
    }
    for (const rpc of ['Solve', 'SolveStream', 'Classify', 'SubmitBatch', 'GetBatch', 'CancelBatch', 'WatchBatch'])
      expect(report.requestsPerMethod[`grpc ${rpc}`]).toBeGreaterThan(0);
  }, 120_000);
});
