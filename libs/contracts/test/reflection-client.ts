import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

// A server-reflection client for tests: what grpcurl does to list a port's services.

/** The two versions of the reflection protocol that grpcurl and Postman speak. */
export type ReflectionVersion = 'v1' | 'v1alpha';
type ReflectionClient = grpc.Client & {
  ServerReflectionInfo(): grpc.ClientDuplexStream<object, { list_services_response?: { service: { name: string }[] } }>;
};

function reflectionClient(version: ReflectionVersion, address: string): ReflectionClient {
  const file = path.join(
    path.dirname(require.resolve('@grpc/reflection/package.json')),
    `build/proto/grpc/reflection/${version}/reflection.proto`,
  );
  const proto = grpc.loadPackageDefinition(protoLoader.loadSync(file, { keepCase: true })) as unknown as {
    grpc: { reflection: Record<ReflectionVersion, { ServerReflection: grpc.ServiceClientConstructor }> };
  };
  return new proto.grpc.reflection[version].ServerReflection(address, grpc.credentials.createInsecure()) as unknown as ReflectionClient;
}

/** Asks a server's reflection service for its list of services (list_services). */
export async function listServices(version: ReflectionVersion, address: string): Promise<string[]> {
  const client = reflectionClient(version, address);
  try {
    const call = client.ServerReflectionInfo();
    const reply = new Promise<string[]>((resolve, reject) => {
      call.once('data', (message) =>
        resolve((message.list_services_response?.service ?? []).map((service: { name: string }) => service.name)),
      );
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
