import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import {
  ROUTER_SERVICE,
  createGrpcServer,
  deadlineOf,
  describeTransport,
  loadPackageDefinition,
  loadProto,
  type ContractGrpcServer,
  type BatchStatus,
  type RouterHandlers,
  type SolveStreamResponse,
} from '@slm/contracts';
import {
  AppError,
  ErrorCode,
  errorCodeOf,
  logUnexpectedError,
  toGrpcStatus,
  type ApiKeyScope,
  type Logger as PinoLogger,
} from '@slm/platform';
import { ApiKeysService, type Caller } from '../auth/api-keys.service';
import { BatchService } from '../batches/batch.service';
import { ROUTER_CONFIG, type RouterConfig } from '../config/router.config';
import { ClientLimitsService } from '../limits/client-limits.service';
import { RouterMetricsService } from '../metrics/router-metrics.service';
import { RoutingService } from '../routing/routing.service';
import { checkText } from '../solve/problem.schemas';
import { SolveService, serverTimingOf } from '../solve/solve.service';
import { tenantOf } from '../tenancy/tenants';
import { ROUTER_LOGGER, requestContextOf, requestTracingInterceptor } from './request-tracing.interceptor';

const WATCH_POLL_MS = 250;
/** How long a shutdown lets running calls finish before cutting them. */
const SHUTDOWN_GRACE_MS = 5000;

/**
 * The gRPC `Router` service, with grpc.health.v1 and reflection, on its own port. A plain grpc-js
 * server owned by this provider (not Nest's microservice transport): handlers need the call's
 * deadline, cancellation and write backpressure, which grpc-js gives directly.
 */
@Injectable()
export class RouterGrpcController implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RouterGrpcController.name);
  private readonly server: ContractGrpcServer;
  /** The bound port (differs from the configured one when that is 0). */
  port = 0;

  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly solver: SolveService,
    private readonly routing: RoutingService,
    private readonly batches: BatchService,
    private readonly limits: ClientLimitsService,
    private readonly keys: ApiKeysService,
    private readonly metrics: RouterMetricsService,
    @Inject(ROUTER_LOGGER) rootLogger: PinoLogger,
  ) {
    const definition = loadPackageDefinition();
    this.server = createGrpcServer({
      services: [{ name: ROUTER_SERVICE, definition: loadProto(definition).slmrouter.v1.Router.service, handlers: this.handlers() }],
      reflection: config.grpc.reflection,
      tls: config.tls,
      interceptors: [requestTracingInterceptor(rootLogger)],
      packageDefinition: definition,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.port = await this.server.listen(this.config.grpc.host, this.config.grpc.port);
    this.logger.log(`gRPC Router listening on ${this.config.grpc.host}:${this.port} (${tlsNote(this.config.tls)})`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server.shutdown(SHUTDOWN_GRACE_MS);
  }

  private handlers(): RouterHandlers {
    return {
      Solve: (call, callback) =>
        void this.unary('solve', 'solve', call, callback, async (trailer, caller) => {
          const receivedAt = performance.now();
          const problem = this.solver.prepare(call.request.problem);
          const release = this.limits.admit(caller);
          const cancellation = abortOnCancel(call);
          let completionTokens = 0;
          try {
            const { result, workerMs } = await this.solver.solve(problem, {
              deadline: deadlineOf(call),
              signal: cancellation.signal,
              request: requestContextOf(call),
            });
            completionTokens = result.usage?.completionTokens ?? 0;
            trailer.set('server-timing', serverTimingOf(receivedAt, workerMs));
            return { result };
          } finally {
            cancellation.detach();
            release(completionTokens);
          }
        }),
      SolveStream: (call) => void this.solveStream(call),
      Classify: (call, callback) =>
        void this.unary('classify', 'solve', call, callback, async () => {
          const text = call.request.text ?? '';
          if (!text) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'text is required');
          checkText(text, 'text');
          if (text.length > this.config.limits.maxProblemChars) {
            throw new AppError(
              ErrorCode.INPUT_TOO_LONG,
              `text of ${text.length} characters exceeds ${this.config.limits.maxProblemChars} (ROUTER_MAX_PROBLEM_CHARS)`,
            );
          }
          return { route: this.routing.decide(text) };
        }),
      SubmitBatch: (call, callback) =>
        void this.unary('batch_submit', 'batch', call, callback, async (_trailer, caller) => {
          await this.limits.checkBatchProblems(caller, call.request.problems.length);
          const batch = await this.batches.submit(
            tenantOf(call),
            call.request.problems.map((problem) => ({ problem })),
            {
              idempotencyKey: call.request.idempotencyKey || undefined,
              priority: call.request.priority || undefined,
              metadata: call.request.metadata,
              samples: call.request.samples,
              verify: call.request.verify,
            },
          );
          await this.limits.noteBatch(caller, batch.batchId);
          return batch;
        }),
      GetBatch: (call, callback) =>
        void this.unary('batch_status', 'batch', call, callback, async () => ({
          status: await this.batches.status(tenantOf(call), call.request.batchId),
        })),
      CancelBatch: (call, callback) =>
        void this.unary('batch_cancel', 'batch', call, callback, async () => ({
          status: await this.batches.cancel(tenantOf(call), call.request.batchId),
        })),
      WatchBatch: (call) => void this.watchBatch(call),
    };
  }

  private async unary<Req, Res>(
    operation: string,
    scope: ApiKeyScope,
    call: grpc.ServerUnaryCall<Req, Res>,
    callback: grpc.sendUnaryData<Res>,
    run: (trailer: grpc.Metadata, caller: Caller) => Promise<Res>,
  ): Promise<void> {
    const started = performance.now();
    let code = 'OK';
    try {
      const caller = await this.authenticate(call, scope);
      const trailer = new grpc.Metadata();
      const response = await run(trailer, caller);
      callback(null, response, trailer);
    } catch (error) {
      code = errorCodeOf(error);
      logUnexpectedError(this.logger, error, { requestId: requestContextOf(call)?.requestId, route: call.getPath(), operation });
      callback(toGrpcStatus(error));
    } finally {
      this.metrics.recordRequest('grpc', operation, code, started, requestContextOf(call)?.domain);
    }
  }

  /** Authenticates a call from its `authorization` metadata and checks the scope its method needs. */
  private async authenticate(
    call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
    scope: ApiKeyScope,
  ): Promise<Caller> {
    // The peer is host:port; one client opens many ports, so only the host counts.
    const caller = await this.keys.authenticate(
      call,
      call.metadata.get('authorization')[0],
      call.getPeer().replace(/:\d+$/, ''),
      'metadata',
    );
    this.keys.authorize(caller, scope);
    return caller;
  }

  private async solveStream(call: Parameters<RouterHandlers['SolveStream']>[0]): Promise<void> {
    const started = performance.now();
    let code = 'OK';
    let release: ((completionTokens?: number) => void) | undefined;
    let completionTokens = 0;
    const cancellation = abortOnCancel(call);
    try {
      const caller = await this.authenticate(call, 'solve');
      const problem = this.solver.prepare(call.request.problem);
      release = this.limits.admit(caller);
      const events = this.solver.solveStream(problem, {
        deadline: deadlineOf(call),
        signal: cancellation.signal,
        request: requestContextOf(call),
      });
      for await (const event of events) {
        if (call.cancelled) return;
        if (event.event === 'result') completionTokens = event.result.usage?.completionTokens ?? 0;
        const message: SolveStreamResponse =
          event.event === 'route' ? { route: event.route } : event.event === 'delta' ? { delta: event.delta } : { result: event.result };
        if (!call.write(message)) await new Promise((resolve) => call.once('drain', resolve));
      }
      call.end();
    } catch (error) {
      code = errorCodeOf(error);
      logUnexpectedError(this.logger, error, { requestId: requestContextOf(call)?.requestId, route: call.getPath() });
      // A broken stream ends with an error status, never a success.
      if (!call.cancelled) call.emit('error', toGrpcStatus(error));
    } finally {
      cancellation.detach();
      release?.(completionTokens);
      this.metrics.recordRequest('grpc', 'solve_stream', code, started, requestContextOf(call)?.domain);
    }
  }

  private async watchBatch(call: Parameters<RouterHandlers['WatchBatch']>[0]): Promise<void> {
    try {
      await this.authenticate(call, 'batch');
      const tenant = tenantOf(call);
      let next = call.request.fromIndex ?? 0;
      let lastStatus = '';
      for (;;) {
        if (call.cancelled) return;
        const status: BatchStatus = await this.batches.status(tenant, call.request.batchId);
        const fingerprint = JSON.stringify([status.state, status.counts]);
        if (fingerprint !== lastStatus) {
          lastStatus = fingerprint;
          call.write({ status });
        }
        for await (const line of this.batches.items(tenant, call.request.batchId, next)) {
          if (call.cancelled) return;
          next++;
          if (!call.write({ item: JSON.parse(line) })) await new Promise((resolve) => call.once('drain', resolve));
        }
        if (status.state !== 'BATCH_STATE_RUNNING' && next >= (status.total ?? 0)) break;
        await new Promise((resolve) => setTimeout(resolve, WATCH_POLL_MS));
      }
      const final = await this.batches.status(tenant, call.request.batchId);
      if (JSON.stringify([final.state, final.counts]) !== lastStatus) call.write({ status: final });
      call.end();
    } catch (error) {
      logUnexpectedError(this.logger, error, { requestId: requestContextOf(call)?.requestId, route: call.getPath() });
      if (!call.cancelled) call.emit('error', toGrpcStatus(error));
    }
  }
}

/**
 * A signal aborted when the caller cancels. `detach` once the call is answered: grpc-js also reports
 * 'cancelled' when an answered call's stream closes, and aborting then (a DOMException and every
 * listener downstream) was measurable per request under load.
 */
function abortOnCancel(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>): {
  signal: AbortSignal;
  detach: () => void;
} {
  const controller = new AbortController();
  const abort = () => controller.abort();
  call.once('cancelled', abort);
  return { signal: controller.signal, detach: () => call.off('cancelled', abort) };
}

function tlsNote(tls: RouterConfig['tls']): string {
  const transport = describeTransport(tls);
  return transport === 'mutual TLS' ? 'TLS, client certificates required' : transport;
}
