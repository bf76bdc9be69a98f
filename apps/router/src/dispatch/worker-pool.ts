import * as grpc from '@grpc/grpc-js';
import {
  callOptions,
  createHealthClient,
  grpcChannelCredentials,
  loadProto,
  workerChannelOptions,
  type HealthClient,
  type GrpcClientTls,
  type GenerateRequest,
  type GenerateStreamResponse__Output,
  type GetInfoResponse__Output,
  type Result__Output,
  type SlmProto,
  type WorkerDomain,
} from '@slm/contracts';
import { AppError, ErrorCode, appErrorOfGrpc } from '@slm/platform';
import { failSpan, inSpan, startSpanIn } from '@slm/telemetry';
import { Logger } from '@nestjs/common';
import { replicaAddressOf, systemHostResolver, workerTargetOf, type HostResolver, type WorkerTarget } from './host-resolver';
import { LatencyEstimate } from './latency-estimate';
import { chooseReplica, hasFreeSlot } from './replica-choice';

type WorkerClient = InstanceType<SlmProto['slmrouter']['v1']['Worker']>;

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
  /** Its KV cache budget and the part its running requests reserve, in tokens, as its last GetInfo said. */
  kvCache?: KvCacheUse;
  /** Calls this router has open on the replica (streams until they end). */
  inFlight: number;
  /** A health check is on its way: a round skips the replica rather than overlap it. */
  checking: boolean;
  /** Health checks in a row that ran out of time without an answer, while it answered no call either. */
  lateChecks: number;
  /** Its expected call latency, from the calls it answered: the load-aware choice's weight. */
  latency: LatencyEstimate;
  /** When (performance.now()) it last answered a call: a replica that answers calls is alive. */
  answeredAt: number;
  /** Gone from its name's resolution: takes no new call; closed once its open calls have ended. */
  draining: boolean;
}

/** A replica's slot, taken before the call starts; `release` is idempotent. */
interface Lease {
  replica: Replica;
  release(): void;
}

/** A replica's KV cache, in tokens: what its budget holds and what its running requests reserve. */
export interface KvCacheUse {
  tokens: number;
  reservedTokens: number;
}

/** One replica as /readyz shows it. */
export interface ReplicaState {
  address: string;
  state: ReplicaHealth;
  /** What the replica takes at once (slots + queue); absent while unknown. */
  capacity?: number;
  /** Its KV cache use at its last health check; absent while unknown or when its engine reports none. */
  kvCache?: KvCacheUse;
  /** This router's calls open on it. */
  inFlight: number;
  /** Gone from its name's resolution: finishing its open calls, taking no new one. */
  draining?: true;
}

/** A call the replica answered (a unary result, or a stream's admission): its latency, and that it is alive. */
function noteAnswer(replica: Replica, startedAt: number): void {
  const now = performance.now();
  replica.latency.observe(now - startedAt);
  replica.answeredAt = now;
}

/** How a pool follows replicas that come and go behind a `dns:///name:port` address. */
export interface PoolMembership {
  /** How often the names are resolved again, ms. Default 5000. */
  resolveIntervalMs?: number;
  /** Resolves a name to its replicas' addresses. Default: the system resolver (`dns.lookup`, all addresses). */
  resolveHost?: HostResolver;
}

/** A worker stream whose replica has admitted the call; `close` ends it early and frees its slot. */
export interface OpenStream {
  events: AsyncGenerator<GenerateStreamResponse__Output>;
  close(): void;
}

/** The longest a health round waits for a replica (the first round always waits this long). */
const MAX_CHECK_TIMEOUT_MS = 2000;
/** Health checks in a row that may run out of time before a replica counts as down. */
const LATE_CHECKS_BEFORE_DOWN = 2;

/** Told of every result a replica returns (the router's per-replica token metrics). */
export type ResultObserver = (replica: string, result: Result__Output) => void;

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
 * The replicas of one domain's worker, health-checked with grpc.health.v1 in the background. Each
 * call goes to the less loaded of two healthy replicas picked at random (expected latency times
 * open calls, per reported slot: {@link chooseReplica}). A `dns:///name:port` address is resolved
 * here, every `resolveIntervalMs`, into one replica per address: replicas that appear take work at
 * once, replicas that vanish drain. Any other address is one fixed replica (a host name in it is
 * resolved by grpc-js, which balances over its addresses round-robin).
 */
export class WorkerPool {
  private readonly logger = new Logger(WorkerPool.name);
  /** The current members: the replicas new calls may go to. */
  private replicas: Replica[] = [];
  /** Former members still finishing calls. */
  private readonly draining = new Set<Replica>();
  private readonly targets: WorkerTarget[];
  /** Each name's last good answer (`name:port` → addresses): a failed lookup keeps it. */
  private readonly resolved = new Map<string, string[]>();
  private readonly newReplica: (address: string) => Replica;
  private readonly resolveHost: HostResolver;
  private readonly resolveIntervalMs: number;
  private resolving?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private resolveTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly domain: WorkerDomain,
    addresses: readonly string[],
    private readonly healthIntervalMs: number,
    proto: SlmProto = loadProto(),
    /** TLS to the replicas (mutual TLS when it holds a client certificate). Default: plaintext. */
    tls?: GrpcClientTls,
    /** Told of each result, with the replica's address. Default: none. */
    private readonly onResult?: ResultObserver,
    /** How `dns:///` addresses are followed. Default: the system resolver every 5 s. */
    membership: PoolMembership = {},
  ) {
    const options = workerChannelOptions();
    const credentials = grpcChannelCredentials(tls);
    this.newReplica = (address) => ({
      address,
      client: new proto.slmrouter.v1.Worker(address, credentials, options),
      health: createHealthClient(address, credentials, options),
      state: 'unknown',
      inFlight: 0,
      checking: false,
      lateChecks: 0,
      latency: new LatencyEstimate(),
      answeredAt: -Infinity,
      draining: false,
    });
    this.targets = addresses.map(workerTargetOf);
    this.resolveHost = membership.resolveHost ?? systemHostResolver;
    this.resolveIntervalMs = membership.resolveIntervalMs ?? 5000;
    this.replicas = this.targets.flatMap((target) => (target.kind === 'static' ? [this.newReplica(target.address)] : []));
  }

  /** Starts the background health checks (first one at once). */
  start(): void {
    // The first round may wait for the channels to connect: replicas stay eligible ('unknown')
    // meanwhile, rather than being taken out by a short deadline on a busy machine.
    void this.checkAll(MAX_CHECK_TIMEOUT_MS);
    this.timer = setInterval(() => void this.checkAll(), this.healthIntervalMs);
    this.timer.unref();
    if (!this.targets.some((target) => target.kind === 'dns')) return;
    void this.resolve();
    this.resolveTimer = setInterval(() => void this.resolve(), this.resolveIntervalMs);
    this.resolveTimer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.resolveTimer) clearInterval(this.resolveTimer);
    for (const replica of [...this.replicas, ...this.draining]) this.closeReplica(replica);
  }

  /**
   * Resolves the `dns:///` names again and follows the answer: a new address becomes a replica at
   * once (eligible before its first health check answers, like every replica, and checked at once);
   * a vanished one drains: no new call, its open calls and streams run to their end, then its
   * channels close. A failed lookup keeps the name's last answer (a DNS hiccup empties no pool).
   * The resolve timer's work; a round already running is joined, not doubled.
   */
  resolve(): Promise<void> {
    this.resolving ??= this.resolveRound().finally(() => (this.resolving = undefined));
    return this.resolving;
  }

  /** Each replica's address, last known health and load (no call: what the health checks hold). */
  states(): ReplicaState[] {
    return [...this.replicas, ...this.draining].map(({ address, state, capacity, kvCache, inFlight, draining }) => ({
      address,
      state,
      ...(capacity === undefined ? {} : { capacity }),
      ...(kvCache === undefined ? {} : { kvCache }),
      inFlight,
      ...(draining ? { draining: true as const } : {}),
    }));
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
        const startedAt = performance.now();
        const result = await inSpan(`dispatch ${this.domain}`, this.spanAttributes(replica, tried.size), () =>
          this.generateOn(replica, request, context),
        );
        noteAnswer(replica, startedAt);
        return result;
      } catch (error) {
        if (!this.isReplicaLost(error, context)) throw this.mapError(error, replica);
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
      // The span lasts as long as the stream; the worker call made inside it is its child.
      const { span, run } = startSpanIn(`dispatch ${this.domain}`, this.spanAttributes(replica, tried.size));
      const startedAt = performance.now();
      const { metadata, options } = callOptions(context);
      const call = run(() => replica.client.generateStream(request, metadata, options));
      const abort = () => call.cancel();
      context.signal?.addEventListener('abort', abort, { once: true });
      let closed = false;
      const close = (error?: unknown) => {
        if (closed) return;
        closed = true;
        context.signal?.removeEventListener('abort', abort);
        call.cancel();
        lease.release();
        if (error !== undefined) failSpan(span, error);
        span.end();
      };
      const iterator = (call as AsyncIterable<GenerateStreamResponse__Output>)[Symbol.asyncIterator]();
      // Asked at once: it attaches the stream's listeners, so an early error is not lost.
      const first = iterator.next();
      try {
        await Promise.race([first.then(() => undefined), new Promise<void>((resolve) => call.once('metadata', () => resolve()))]);
        // A stream's length is the caller's (its token budget): the time to admission is the replica's.
        noteAnswer(replica, startedAt);
        return { events: this.eventsOf(replica, first, iterator, close), close };
      } catch (error) {
        close(error);
        if (!this.isReplicaLost(error, context)) throw this.mapError(error, replica);
        this.markDown(replica);
        if (!this.replicas.some((r) => !tried.has(r) && r.state !== 'not_serving')) throw this.mapError(error, replica);
      }
    }
  }

  private async *eventsOf(
    replica: Replica,
    first: Promise<IteratorResult<GenerateStreamResponse__Output>>,
    iterator: AsyncIterator<GenerateStreamResponse__Output>,
    close: (error?: unknown) => void,
  ): AsyncGenerator<GenerateStreamResponse__Output> {
    let failure: unknown;
    try {
      for (let next = await first; !next.done; next = await iterator.next()) {
        if (next.value.result) this.onResult?.(replica.address, next.value.result);
        yield next.value;
      }
    } catch (error) {
      failure = this.mapError(error, replica);
      throw failure;
    } finally {
      close(failure);
    }
  }

  /** What a dispatch span says: the replica and which try this is (retries go to another replica). */
  private spanAttributes(replica: Replica, attempt: number) {
    return { 'slm.domain': this.domain, 'server.address': replica.address, 'slm.dispatch.attempt': attempt };
  }

  private generateOn(replica: Replica, request: GenerateRequest, context: CallContext): Promise<Result__Output> {
    return new Promise((resolve, reject) => {
      const { metadata, options } = callOptions(context);
      const call = replica.client.generate(request, metadata, options, (error, response) => {
        context.signal?.removeEventListener('abort', abort);
        if (error) return reject(error);
        if (!response?.result) return reject(new AppError(ErrorCode.INTERNAL, `worker ${replica.address} answered without a result`));
        this.onResult?.(replica.address, response.result);
        resolve(response.result);
      });
      const abort = () => call.cancel();
      context.signal?.addEventListener('abort', abort, { once: true });
    });
  }

  /**
   * Takes a slot, without any call, on the less loaded of two healthy replicas with a free slot
   * ({@link chooseReplica}): NO_HEALTHY_REPLICA when no replica is serving, QUEUE_FULL when every
   * serving one is at its capacity. Synchronous, so a refusal is answered before anything reaches
   * a worker.
   */
  private admit(exclude: Set<Replica>): Lease {
    const healthy = this.replicas.filter((replica) => !exclude.has(replica) && replica.state !== 'not_serving');
    const now = performance.now();
    const eligible = healthy
      .filter(hasFreeSlot)
      .map((replica) => ({ replica, inFlight: replica.inFlight, capacity: replica.capacity, latencyMs: replica.latency.currentMs(now) }));
    if (eligible.length > 0) return this.lease(chooseReplica(eligible).replica);
    const addresses = this.replicas.map((r) => r.address).join(', ');
    if (healthy.length === 0) throw new AppError(ErrorCode.NO_HEALTHY_REPLICA, `no healthy ${this.domain} worker replica (${addresses})`);
    const load = this.replicas.map((r) => `${r.address} ${r.inFlight}/${r.capacity ?? '?'}`).join(', ');
    throw new AppError(
      ErrorCode.QUEUE_FULL,
      `every ${this.domain} worker replica is at capacity (running + queued / slots + queue: ${load}); retry later`,
    );
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
        if (replica.draining && replica.inFlight === 0) this.closeReplica(replica);
      },
    };
  }

  private async check(replica: Replica, timeoutMs: number): Promise<void> {
    if (replica.checking) return;
    replica.checking = true;
    const startedAt = performance.now();
    const deadline = new Date(Date.now() + timeoutMs);
    const [health, info] = await Promise.all([
      replica.health.check('', deadline),
      new Promise<GetInfoResponse__Output | undefined>((resolve) =>
        replica.client.getInfo({}, { deadline }, (error, response) => resolve(error ? undefined : response)),
      ),
    ]).finally(() => (replica.checking = false));
    // A check that only ran out of time (a busy machine, a long GC pause) takes a replica out after
    // LATE_CHECKS_BEFORE_DOWN in a row, and not at all while the replica answers calls meanwhile (on a
    // loaded machine the last replica standing was taken out so, and every caller got 503 while it
    // served); an answer of NOT_SERVING or a refused connection, at once.
    const late = health === 'late' && replica.answeredAt < startedAt;
    replica.lateChecks = late ? replica.lateChecks + 1 : 0;
    if (health !== 'late' || replica.lateChecks >= LATE_CHECKS_BEFORE_DOWN)
      replica.state = health === 'SERVING' ? 'serving' : 'not_serving';
    // A worker reports its engine's slots and queue bound.
    if (info) {
      replica.capacity = info.maxConcurrency > 0 ? info.maxConcurrency + info.maxQueue : undefined;
      replica.kvCache = info.kvCacheTokens > 0 ? { tokens: info.kvCacheTokens, reservedTokens: info.kvCacheReservedTokens } : undefined;
    }
  }

  private async resolveRound(): Promise<void> {
    const wanted = new Set<string>();
    for (const target of this.targets) {
      if (target.kind === 'static') {
        wanted.add(target.address);
        continue;
      }
      const name = `${target.hostname}:${target.port}`;
      try {
        this.resolved.set(name, await this.resolveHost(target.hostname));
      } catch (error) {
        const kept = this.resolved.get(name)?.length ?? 0;
        this.logger.warn(
          `${this.domain} workers: resolving ${target.hostname} failed (${(error as Error).message}); keeping its last ${kept} address(es)`,
        );
      }
      for (const ip of this.resolved.get(name) ?? []) wanted.add(replicaAddressOf(ip, target.port));
    }
    if (!this.closed) this.follow(wanted);
  }

  /** Makes the members the `wanted` addresses: new ones join, missing ones drain, returning ones are kept. */
  private follow(wanted: Set<string>): void {
    const members: Replica[] = [];
    for (const replica of this.replicas) {
      if (wanted.has(replica.address)) members.push(replica);
      else this.drain(replica);
    }
    for (const address of wanted) {
      if (members.some((r) => r.address === address)) continue;
      const returning = [...this.draining].find((r) => r.address === address);
      if (returning) {
        this.draining.delete(returning);
        returning.draining = false;
        members.push(returning);
        continue;
      }
      const replica = this.newReplica(address);
      members.push(replica);
      this.logger.log(`${this.domain} worker replica ${address} joined`);
      void this.check(replica, MAX_CHECK_TIMEOUT_MS);
    }
    this.replicas = members;
  }

  private drain(replica: Replica): void {
    replica.draining = true;
    this.logger.log(`${this.domain} worker replica ${replica.address} left: draining ${replica.inFlight} open call(s)`);
    if (replica.inFlight === 0) this.closeReplica(replica);
    else this.draining.add(replica);
  }

  private closeReplica(replica: Replica): void {
    this.draining.delete(replica);
    replica.client.close();
    replica.health.close();
  }

  private markDown(replica: Replica): void {
    replica.state = 'not_serving';
  }

  /**
   * The replica is gone or going, not the request wrong: UNAVAILABLE, or CANCELLED that our caller
   * did not ask for (a replica that crashes or is killed resets its open streams: grpc-js reports
   * that as CANCELLED). Only asked before a call is admitted, where moving on is safe.
   */
  private isReplicaLost(error: unknown, context: CallContext): boolean {
    if (this.closed || context.signal?.aborted) return false;
    const code = (error as grpc.ServiceError | undefined)?.code;
    return code === grpc.status.UNAVAILABLE || code === grpc.status.CANCELLED;
  }

  private mapError(error: unknown, replica: Replica): unknown {
    if (error instanceof AppError) return error;
    // The worker's own code travels in its trailing metadata (slm-error-code), so it survives the hop.
    if (typeof (error as grpc.ServiceError)?.code === 'number' && 'details' in (error as object))
      return appErrorOfGrpc(error as grpc.ServiceError, `worker ${replica.address}`);
    return error;
  }
}
