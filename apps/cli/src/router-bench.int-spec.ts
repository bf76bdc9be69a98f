import { benchRouter } from './router-bench';

// The bench itself (not its figures): real router, bare proxy and instant-engine worker processes,
// a few requests through every path and a small batch, every problem answered.
describe('slm bench router', () => {
  it('reports every figure for the router and for its two peers (bare proxy, framework floor), and solves the whole batch', async () => {
    const result = await benchRouter(
      {
        requests: 20,
        batchSize: 30,
        concurrency: [2],
        redisUrl: process.env.REDIS_URL,
        cancelBatchSize: 3000,
        largeBatchBytes: 2_000_000,
        largeBatchProblems: 2000,
      },
      () => undefined,
    );
    const c2 = result.c2 as Record<string, unknown>;
    for (const key of [
      'restOfBareProxy',
      'grpcOfBareProxy',
      'restAddedP50Ms',
      'restAddedP99Ms',
      'grpcAddedP50Ms',
      'grpcAddedP99Ms',
      'restRouterOverheadP50Ms',
      'grpcRouterOverheadP50Ms',
    ]) {
      expect(typeof c2[key]).toBe('number');
    }
    const bare = c2.bareProxy as Record<string, { requestsPerSecond: number } | number>;
    for (const key of ['restAddedP50Ms', 'restAddedP99Ms', 'grpcAddedP50Ms', 'grpcAddedP99Ms']) expect(typeof bare[key]).toBe('number');
    expect((bare.rest as { requestsPerSecond: number }).requestsPerSecond).toBeGreaterThan(0);
    // The second peer: Nest on Fastify with the router's validation pipe and nothing else.
    expect(c2.frameworkFloor).toMatchObject({
      rest: { requestsPerSecond: expect.any(Number) },
      restOfBareProxy: expect.any(Number),
      restAddedP50Ms: expect.any(Number),
      restAddedP99Ms: expect.any(Number),
    });
    // The overload phase floods a one-slot domain from 200 clients: some are refused, none fail.
    for (const key of ['overloadRejectP50Ms', 'overloadHealthzP99Ms']) expect(typeof result[key]).toBe('number');
    expect(result.overload).toMatchObject({ clients: 200, failed: 0 });
    expect((result.overload as { rejected: number }).rejected).toBeGreaterThan(0);
    expect(result.batch).toMatchObject({ problems: 30, failed: 0 });
    expect(result.batchProblemsPerSecond).toBeGreaterThan(0);
    // The same batch on a three-master Redis Cluster the bench starts.
    expect(result.clusterBatch).toMatchObject({ masters: 3, problems: 30, failed: 0 });
    expect(result.clusterBatchProblemsPerSecond).toBeGreaterThan(0);
    // A keyed router (every limit on) and a traced one beside the plain router.
    expect(result.edgeCost).toMatchObject({
      clients: 16,
      plain: expect.any(Object),
      apiKeyWithLimits: expect.any(Object),
      tracingSampled10Percent: expect.any(Object),
    });
    for (const key of ['authAddedP50Ms', 'tracingAddedP50Ms']) expect(typeof result[key]).toBe('number');
    // The big batch body is taken in whole; the router answered health checks meanwhile.
    expect(result).toMatchObject({ largeBatchProblems: 2000, cancelProblems: 3000 });
    expect(result.largeBatchBytes).toBeGreaterThan(1_500_000);
    expect(result.largeBatchHealthChecks).toBeGreaterThan(0);
    // Three math replicas, one slow: the load-aware dispatch's p99 beside three fast ones.
    expect(typeof result.slowReplicaP99Ratio).toBe('number');
    expect(result.slowReplica).toMatchObject({ clients: 16, requests: 20 });
    for (const key of [
      'largeBatchSubmitSeconds',
      'largeBatchMaxStallMs',
      'largeBatchMaxEventLoopLagMs',
      'largeBatchPeakRssMb',
      'cancelSeconds',
      'cancelQuietSeconds',
      'cancelSolvedAfter',
    ])
      expect(typeof result[key]).toBe('number');
    // Some ten stacks of processes one after another: ~50 s alone on a 2-core AVX2 EPYC, more beside other suites.
  }, 180_000);
});
