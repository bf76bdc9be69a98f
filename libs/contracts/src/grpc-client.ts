import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

/** The metadata key that carries the request id from caller to router to worker (and back in trailers). */
export const REQUEST_ID_METADATA_KEY = 'x-request-id';

/** A server call of any kind, as far as deadlines and metadata go. */
type AnyServerCall = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getDeadline' | 'metadata'>;

/**
 * Channel options of a client of worker replicas: round-robin over every address a host name
 * resolves to (grpc-js' default, pick_first, would send everything to the first).
 */
export function workerChannelOptions(): grpc.ChannelOptions {
  return { 'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }) };
}

/** The absolute deadline a caller set on a call; undefined when it set none. */
export function deadlineOf(call: Pick<AnyServerCall, 'getDeadline'>): Date | undefined {
  const deadline = call.getDeadline();
  if (deadline instanceof Date) return Number.isFinite(deadline.getTime()) ? deadline : undefined;
  return Number.isFinite(deadline) ? new Date(deadline) : undefined;
}

/** The request id in a server call's metadata (the first value), as sent; undefined when absent or empty. */
export function requestIdMetadataOf(call: Pick<AnyServerCall, 'metadata'>): string | undefined {
  const value = call.metadata.get(REQUEST_ID_METADATA_KEY)[0];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** What an outgoing call carries: its deadline (always set, house rule) and its request id. */
export interface OutgoingCall {
  /** Absolute deadline, passed on to the server. */
  deadline: Date;
  /** Sent as `x-request-id` metadata when given. */
  requestId?: string;
}

/** The metadata and call options of an outgoing call: `x-request-id` and the deadline. */
export function callOptions(call: OutgoingCall): { metadata: grpc.Metadata; options: grpc.CallOptions } {
  const metadata = new grpc.Metadata();
  if (call.requestId) metadata.set(REQUEST_ID_METADATA_KEY, call.requestId);
  return { metadata, options: { deadline: call.deadline } };
}

/** What a grpc.health.v1 check said: a status, or 'late' when the deadline passed without an answer. */
export type HealthAnswer = 'SERVING' | 'NOT_SERVING' | 'late';

/** A client of the standard grpc.health.v1.Health service. */
export interface HealthClient {
  /** Checks `service` ('' for the whole server) within `deadline`; any failure but lateness is NOT_SERVING. */
  check(service: string, deadline: Date): Promise<HealthAnswer>;
  close(): void;
}

type RawHealthClient = grpc.Client & {
  Check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
  ): grpc.ClientUnaryCall;
};

let healthConstructor: grpc.ServiceClientConstructor | undefined;

/** A health client on its own channel to `address`. */
export function createHealthClient(address: string, credentials: grpc.ChannelCredentials, options: grpc.ChannelOptions = {}): HealthClient {
  healthConstructor ??= (
    grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, { enums: String })) as unknown as {
      grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
    }
  ).grpc.health.v1.Health;
  const client = new healthConstructor(address, credentials, options) as unknown as RawHealthClient;
  return {
    check: (service, deadline) =>
      new Promise((resolve) =>
        client.Check({ service }, { deadline }, (error, response) =>
          resolve(
            error?.code === grpc.status.DEADLINE_EXCEEDED ? 'late' : !error && response?.status === 'SERVING' ? 'SERVING' : 'NOT_SERVING',
          ),
        ),
      ),
    close: () => client.close(),
  };
}
