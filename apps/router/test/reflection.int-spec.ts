import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { RunningWorker } from '@slm/worker-runtime';
import { startInstantWorker } from './real-worker';
import { startHarness, type Harness } from './router-harness';

// Issue 14: server reflection must list only the services a port serves, on the router and on a
// worker, in both versions of the reflection protocol grpcurl and Postman speak.

const VERSIONS = ['v1', 'v1alpha'] as const;
type ReflectionVersion = (typeof VERSIONS)[number];
type ReflectionClient = grpc.Client & { ServerReflectionInfo(): grpc.ClientDuplexStream<object, { list_services_response?: { service: { name: string }[] } }> };

function reflectionClient(version: ReflectionVersion, address: string): ReflectionClient {
  const file = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), `build/proto/grpc/reflection/${version}/reflection.proto`);
  const proto = grpc.loadPackageDefinition(protoLoader.loadSync(file, { keepCase: true })) as unknown as {
    grpc: { reflection: Record<ReflectionVersion, { ServerReflection: grpc.ServiceClientConstructor }> };
  };
  return new proto.grpc.reflection[version].ServerReflection(address, grpc.credentials.createInsecure()) as unknown as ReflectionClient;
}

/** Asks a server's reflection service for its list of services (list_services). */
async function listServices(version: ReflectionVersion, address: string): Promise<string[]> {
  const client = reflectionClient(version, address);
  try {
    const call = client.ServerReflectionInfo();
    const reply = new Promise<string[]>((resolve, reject) => {
      call.once('data', (message) => resolve((message.list_services_response?.service ?? []).map((service: { name: string }) => service.name)));
      call.once('error', reject);
    });
    call.write({ list_services: '' });
    const names = await reply;
    call.end();
    return names.sort();
  } finally {
    client.close();
  }
}

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
