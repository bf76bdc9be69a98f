import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  loadProto,
  type GenerateRequest,
  type GenerateResponse__Output,
  type GenerateStreamResponse__Output,
  type GetInfoResponse__Output,
} from '@slm/contracts';

const proto = loadProto();
export type WorkerClient = InstanceType<typeof proto.slmrouter.v1.Worker>;

export function workerClient(port: number): WorkerClient {
  return new proto.slmrouter.v1.Worker(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

export function generate(
  client: WorkerClient,
  request: GenerateRequest,
  options: grpc.CallOptions = {},
): Promise<GenerateResponse__Output> {
  return new Promise((resolve, reject) =>
    client.generate(request, new grpc.Metadata(), options, (error, response) =>
      error ? reject(error) : resolve(response as GenerateResponse__Output),
    ),
  );
}

export function getInfo(client: WorkerClient): Promise<GetInfoResponse__Output> {
  return new Promise((resolve, reject) =>
    client.getInfo({}, (error, response) => (error ? reject(error) : resolve(response as GetInfoResponse__Output))),
  );
}

export async function collectStream(
  client: WorkerClient,
  request: GenerateRequest,
  options: grpc.CallOptions = {},
): Promise<GenerateStreamResponse__Output[]> {
  const events: GenerateStreamResponse__Output[] = [];
  for await (const event of client.generateStream(request, options)) events.push(event as GenerateStreamResponse__Output);
  return events;
}

const healthProto = grpc.loadPackageDefinition(
  protoLoader.loadSync(path.join(path.dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto'), {
    enums: String,
  }),
) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };

export async function healthOf(port: number, service = 'slmrouter.v1.Worker'): Promise<string> {
  const client = new healthProto.grpc.health.v1.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    return await new Promise<string>((resolve, reject) =>
      client.Check({ service }, (error: grpc.ServiceError | null, response: { status: string }) =>
        error ? reject(error) : resolve(response.status),
      ),
    );
  } finally {
    client.close();
  }
}
