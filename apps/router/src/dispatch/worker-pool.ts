import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  loadProto,
  type GenerateRequest,
  type GenerateStreamResponse__Output,
  type GetInfoResponse__Output,
  type Result__Output,
  type SlmProto,
  type WorkerDomain,
} from '@slm/contracts';
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
  /**
   * Requests the replica takes at once: its engine's slots plus its bounded queue, as its GetInfo
   * reports them. Undefined until it has answered (or when it reports none): no limit here then,
   * the worker's own QUEUE_FULL decides.
   */
  capacity?: number;
  /** Calls this router has open on the replica (streams until they end). */
  inFlight: number;
  /** A health check is on its way: a round skips the replica rather than overlap it. */
  checking: boolean;
}

/** A replica's slot, taken before the call starts; `release` is idempotent. */
interface Lease {
  replica: Replica;
  release(): void;
}

/** One replica as /readyz shows it. */
export interface ReplicaState {
  address: string;
  state: ReplicaHealth;
  /** What the replica takes at once (slots + queue); absent while unknown. */
  capacity?: number;
  /** This router's calls open on it. */
  inFlight: number;
}

/** A worker stream whose replica has admitted the call; `close` ends it early and frees its slot. */
export interface OpenStream {
  events: AsyncGenerator<GenerateStreamResponse__Output>;
  close(): void;
}

/** The longest a health round waits for a replica (the first round always waits this long). */
const MAX_CHECK_TIMEOUT_MS = 2000;

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
      inFlight: 0,
      checking: false,
    }));
  }

  /** Starts the background health checks (first one at once). */
  start(): void {
    // The first round may wait for the channels to connect: replicas stay eligible ('unknown')
    // meanwhile, rather than being taken out by a short deadline on a busy machine.
    void this.checkAll(MAX_CHECK_TIMEOUT_MS);
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

  /** Each replica's address, last known health and load (no call: what the health checks hold). */
  states(): ReplicaState[] {
    return this.replicas.map(({ address, state, capacity, inFlight }) => ({ address, state, ...(capacity === undefined ? {} : { capacity }), inFlight }));
  }

  /** True when some replica may take a request (serving, or not yet checked). */
  hasEligible(): boolean {
    return this.replicas.some((r) => r.state !== 'not_serving');
  }

  /** True when a health check has seen some replica serving. */
  isServing(): boolean {
    return this.replicas.some((r) => r.state === 'serving');
  }

  /** Runs one round of health checks now: the background timer's work. */
  async checkAll(timeoutMs = Math.min(this.healthIntervalMs, MAX_CHECK_TIMEOUT_MS)): Promise<void> {
    await Promise.all(this.replicas.map((replica) => this.check(replica, timeoutMs)));
  }

  /** Solves a problem on one replica; retries on another replica when one is unavailable. */
  async generate(request: GenerateRequest, context: CallContext): Promise<Result__Output> {
    const tried = new Set<Replica>();
    for (;;) {
      const lease = this.admit(tried);
      const replica = lease.replica;
      tried.add(replica);
      try {
        return await this.generateOn(replica, request, context);
      } catch (error) {
        if (!this.isUnavailable(error) || context.signal?.aborted) throw this.mapError(error, replica);
        this.markDown(replica);
        if (!this.replicas.some((r) => !tried.has(r) && r.state !== 'not_serving')) throw this.mapError(error, replica);
      } finally {
        lease.release();
      }
    }
  }

  /**
   * Opens a solution stream and resolves once a replica has admitted it: its response headers
   * (the worker sends them when its engine takes the request) or its first event arrived. Every
   * refusal (no replica with a free slot, no healthy replica, the worker's own RESOURCE_EXHAUSTED
   * or UNAVAILABLE) rejects here, before the caller has committed a status line. UNAVAILABLE before
   * admission moves on to another replica; once admitted, a broken stream ends with an error,
   * never a silent switch.
   */
  async openStream(request: GenerateRequest, context: CallContext): Promise<OpenStream> {
    const tried = new Set<Replica>();
    for (;;) {
      const lease = this.admit(tried);
      const replica = lease.replica;
      tried.add(replica);
      const call = replica.client.generateStream(request, this.metadataOf(context), { deadline: context.deadline });
      const abort = () => call.cancel();
      context.signal?.addEventListener('abort', abort, { once: true });
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        context.signal?.removeEventListener('abort', abort);
        call.cancel();
        lease.release();
      };
      const iterator = (call as AsyncIterable<GenerateStreamResponse__Output>)[Symbol.asyncIterator]();
      // Asked at once: it attaches the stream's listeners, so an early error is not lost.
      const first = iterator.next();
      try {
        await Promise.race([first.then(() => undefined), new Promise<void>((resolve) => call.once('metadata', () => resolve()))]);
        return { events: this.eventsOf(replica, first, iterator, close), close };
      } catch (error) {
        close();
        if (!this.isUnavailable(error) || context.signal?.aborted) throw this.mapError(error, replica);
        this.markDown(replica);
        if (!this.replicas.some((r) => !tried.has(r) && r.state !== 'not_serving')) throw this.mapError(error, replica);
      }
    }
  }

  private async *eventsOf(
    replica: Replica,
    first: Promise<IteratorResult<GenerateStreamResponse__Output>>,
    iterator: AsyncIterator<GenerateStreamResponse__Output>,
    close: () => void,
  ): AsyncGenerator<GenerateStreamResponse__Output> {
    try {
      for (let next = await first; !next.done; next = await iterator.next()) yield next.value;
    } catch (error) {
      throw this.mapError(error, replica);
    } finally {
      close();
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

  /**
   * Takes a slot on the next healthy replica (round-robin) that has one free, without any call:
   * NO_HEALTHY_REPLICA when no replica is serving, QUEUE_FULL when every serving one is at its
   * capacity. Synchronous, so a refusal is answered before anything reaches a worker.
   */
  private admit(exclude: Set<Replica>): Lease {
    const count = this.replicas.length;
    let healthy = 0;
    for (let i = 0; i < count; i++) {
      const replica = this.replicas[(this.next + i) % count] as Replica;
      if (exclude.has(replica) || replica.state === 'not_serving') continue;
      healthy++;
      if (replica.capacity !== undefined && replica.inFlight >= replica.capacity) continue;
      this.next = (this.next + i + 1) % count;
      return this.lease(replica);
    }
    const addresses = this.replicas.map((r) => r.address).join(', ');
    if (healthy === 0) throw new AppError(ErrorCode.NO_HEALTHY_REPLICA, `no healthy ${this.domain} worker replica (${addresses})`);
    const load = this.replicas.map((r) => `${r.address} ${r.inFlight}/${r.capacity ?? '?'}`).join(', ');
    throw new AppError(ErrorCode.QUEUE_FULL, `every ${this.domain} worker replica is at capacity (running + queued / slots + queue: ${load}); retry later`);
  }

  private lease(replica: Replica): Lease {
    replica.inFlight++;
    let released = false;
    return {
      replica,
      release: () => {
        if (released) return;
        released = true;
        replica.inFlight--;
      },
    };
  }

  private async check(replica: Replica, timeoutMs: number): Promise<void> {
    if (replica.checking) return;
    replica.checking = true;
    const deadline = new Date(Date.now() + timeoutMs);
    const [serving, info] = await Promise.all([
      new Promise<boolean>((resolve) => replica.health.Check({ service: '' }, { deadline }, (error, response) => resolve(!error && response?.status === 'SERVING'))),
      new Promise<GetInfoResponse__Output | undefined>((resolve) => replica.client.getInfo({}, { deadline }, (error, response) => resolve(error ? undefined : response))),
    ]).finally(() => (replica.checking = false));
    replica.state = serving ? 'serving' : 'not_serving';
    // A worker reports its engine's slots and queue bound. A dns:/// channel balances over backends
    // this pool cannot count, so one backend's figure would starve the rest: no limit here for it.
    if (info && !replica.address.startsWith('dns:')) replica.capacity = info.maxConcurrency > 0 ? info.maxConcurrency + info.maxQueue : undefined;
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
