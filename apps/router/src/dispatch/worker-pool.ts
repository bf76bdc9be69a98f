import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { loadProto, type GenerateRequest, type GenerateStreamResponse__Output, type Result__Output, type SlmProto, type WorkerDomain } from '@slm/contracts';
import { AppError, ErrorCode } from '@slm/platform';
import { appErrorOfWorker } from './worker-errors';

type WorkerClient = InstanceType<SlmProto['slmrouter']['v1']['Worker']>;
type HealthClient = grpc.Client & {
  Check(req: { service: string }, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { status: string }) => void): grpc.ClientUnaryCall;
};

/** Health of one replica: unknown until the first check answers. */
export type ReplicaHealth = 'unknown' | 'serving' | 'not_serving';

interface Replica {
  address: string;
  client: WorkerClient;
  health: HealthClient;
  state: ReplicaHealth;
}

let healthConstructor: grpc.ServiceClientConstructor | undefined;
function healthClientConstructor(): grpc.ServiceClientConstructor {
  if (healthConstructor) return healthConstructor;
  const file = path.join(path.dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');
  const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(file, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  return (healthConstructor = loaded.grpc.health.v1.Health);
}

/** What dispatch needs to know per call. */
export interface CallContext {
  /** Absolute deadline, passed on to the worker. */
  deadline: Date;
  /** Request id, sent as `x-request-id` metadata. */
  requestId: string;
  /** Aborts the call (the caller went away). */
  signal?: AbortSignal;
}

/**
 * The replicas of one domain's worker: round-robin over the healthy ones, health-checked with
 * grpc.health.v1 in the background. A `dns:///name:port` address is one channel balanced by
 * grpc-js itself (round_robin over every resolved address), so it counts as one replica here.
 */
export class WorkerPool {
  private readonly replicas: Replica[];
  private next = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    readonly domain: WorkerDomain,
    addresses: readonly string[],
    private readonly healthIntervalMs: number,
    proto: SlmProto = loadProto(),
  ) {
    const options: grpc.ChannelOptions = { 'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }) };
    const Health = healthClientConstructor();
    this.replicas = addresses.map((address) => ({
      address,
      client: new proto.slmrouter.v1.Worker(address, grpc.credentials.createInsecure(), options),
      health: new Health(address, grpc.credentials.createInsecure(), options) as unknown as HealthClient,
      state: 'unknown' as ReplicaHealth,
    }));
  }

  /** Starts the background health checks (first one at once). */
  start(): void {
    void this.checkAll();
    this.timer = setInterval(() => void this.checkAll(), this.healthIntervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const replica of this.replicas) {
      replica.client.close();
      replica.health.close();
    }
  }

  /** Each replica's address and last known health. */
  states(): { address: string; state: ReplicaHealth }[] {
    return this.replicas.map(({ address, state }) => ({ address, state }));
  }

  /** True when some replica may take a request (serving, or not yet checked). */
  hasEligible(): boolean {
    return this.replicas.some((r) => r.state !== 'not_serving');
  }

  /** True when a health check has seen some replica serving. */
  isServing(): boolean {
    return this.replicas.some((r) => r.state === 'serving');
  }

  /** Runs one round of health checks now (also used by /readyz and tests). */
  async checkAll(): Promise<void> {
    await Promise.all(this.replicas.map((replica) => this.check(replica)));
  }

  /** Solves a problem on one replica; retries on another replica when one is unavailable. */
  async generate(request: GenerateRequest, context: CallContext): Promise<Result__Output> {
    const tried = new Set<Replica>();
    for (;;) {
      const replica = this.pick(tried);
      tried.add(replica);
      try {
        return await this.generateOn(replica, request, context);
      } catch (error) {
        if (!this.isUnavailable(error) || context.signal?.aborted) throw this.mapError(error, replica);
        this.markDown(replica);
        if (!this.replicas.some((r) => !tried.has(r) && r.state !== 'not_serving')) throw this.mapError(error, replica);
      }
    }
  }

  /**
   * Streams a solution. Retries on another replica on UNAVAILABLE only before the first event:
   * once text has reached the caller, a broken stream ends with an error, never a silent switch.
   */
  async *generateStream(request: GenerateRequest, context: CallContext): AsyncGenerator<GenerateStreamResponse__Output> {
    const tried = new Set<Replica>();
    for (;;) {
      const replica = this.pick(tried);
      tried.add(replica);
      const call = replica.client.generateStream(request, this.metadataOf(context), { deadline: context.deadline });
      const abort = () => call.cancel();
      context.signal?.addEventListener('abort', abort, { once: true });
      let received = false;
      try {
        for await (const event of call as AsyncIterable<GenerateStreamResponse__Output>) {
          received = true;
          yield event;
        }
        return;
      } catch (error) {
        const retry = !received && this.isUnavailable(error) && !context.signal?.aborted;
        if (!retry) throw this.mapError(error, replica);
        this.markDown(replica);
        if (!this.replicas.some((r) => !tried.has(r) && r.state !== 'not_serving')) throw this.mapError(error, replica);
      } finally {
        context.signal?.removeEventListener('abort', abort);
        call.cancel();
      }
    }
  }

  private generateOn(replica: Replica, request: GenerateRequest, context: CallContext): Promise<Result__Output> {
    return new Promise((resolve, reject) => {
      const call = replica.client.generate(request, this.metadataOf(context), { deadline: context.deadline }, (error, response) => {
        context.signal?.removeEventListener('abort', abort);
        if (error) return reject(error);
        if (!response?.result) return reject(new AppError(ErrorCode.INTERNAL, `worker ${replica.address} answered without a result`));
        resolve(response.result);
      });
      const abort = () => call.cancel();
      context.signal?.addEventListener('abort', abort, { once: true });
    });
  }

  private pick(exclude: Set<Replica>): Replica {
    const count = this.replicas.length;
    for (let i = 0; i < count; i++) {
      const replica = this.replicas[(this.next + i) % count] as Replica;
      if (exclude.has(replica) || replica.state === 'not_serving') continue;
      this.next = (this.next + i + 1) % count;
      return replica;
    }
    throw new AppError(ErrorCode.NO_HEALTHY_REPLICA, `no healthy ${this.domain} worker replica (${this.replicas.map((r) => r.address).join(', ')})`);
  }

  private check(replica: Replica): Promise<void> {
    return new Promise((resolve) => {
      replica.health.Check({ service: '' }, { deadline: new Date(Date.now() + Math.min(this.healthIntervalMs, 2000)) }, (error, response) => {
        replica.state = !error && response?.status === 'SERVING' ? 'serving' : 'not_serving';
        resolve();
      });
    });
  }

  private markDown(replica: Replica): void {
    replica.state = 'not_serving';
  }

  private isUnavailable(error: unknown): boolean {
    return (error as grpc.ServiceError | undefined)?.code === grpc.status.UNAVAILABLE;
  }

  private mapError(error: unknown, replica: Replica): unknown {
    if (error instanceof AppError) return error;
    if (typeof (error as grpc.ServiceError)?.code === 'number' && 'details' in (error as object)) return appErrorOfWorker(error as grpc.ServiceError, replica.address);
    return error;
  }

  private metadataOf(context: CallContext): grpc.Metadata {
    const metadata = new grpc.Metadata();
    if (context.requestId) metadata.set('x-request-id', context.requestId);
    return metadata;
  }
}
