import type { RunningWorker } from '@slm/worker-runtime';
import { listServices } from '../../../libs/contracts/test/reflection-client';
import { startInstantWorker } from './real-worker';
import { startHarness, type Harness } from './router-harness';

// Issue 14: server reflection must list only the services a port serves, on the router and on a
// worker, in both versions of the reflection protocol grpcurl and Postman speak.

const VERSIONS = ['v1', 'v1alpha'] as const;

describe('gRPC server reflection lists exactly the served services', () => {
  let worker: RunningWorker;
  let h: Harness;

  beforeAll(async () => {
    worker = await startInstantWorker();
    h = await startHarness({ MATH_WORKER_ADDRESSES: `127.0.0.1:${worker.grpcPort}` });
  });

  afterAll(async () => {
    await h?.close();
    await worker?.close();
  });

  it.each(VERSIONS)('the router port lists Router and Health (reflection %s)', async (version) => {
    expect(await listServices(version, `127.0.0.1:${h.router.grpcPort}`)).toEqual(['grpc.health.v1.Health', 'slmrouter.v1.Router']);
  });

  it.each(VERSIONS)('a worker port lists Worker and Health (reflection %s)', async (version) => {
    expect(await listServices(version, `127.0.0.1:${worker.grpcPort}`)).toEqual(['grpc.health.v1.Health', 'slmrouter.v1.Worker']);
  });
});
