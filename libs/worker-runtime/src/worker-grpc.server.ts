import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { Inject, Injectable } from '@nestjs/common';
import {
  WORKER_SERVICE,
  createGrpcServer,
  deadlineOf,
  describeTransport,
  loadPackageDefinition,
  loadProto,
  requestIdMetadataOf,
  type ContractGrpcServer,
  type GenerateRequest__Output,
  type GenerateResponse,
  type GenerateStreamRequest__Output,
  type GenerateStreamResponse,
  type WorkerHandlers,
} from '@slm/contracts';
import { AppError, ErrorCode, REQUEST_ID_PATTERN, checkRequestId, errorCodeOf, toGrpcStatus, type Logger } from '@slm/platform';
import { SolveService } from './solve.service';
import { ModelService } from './model.service';
import type { WorkerConfig } from './worker.config';
import { ROOT_LOGGER, WORKER_CONFIG } from './worker-runtime.tokens';

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

/**
 * The `Worker` gRPC service on a plain grpc-js server, owned by a Nest provider. Plain grpc-js
 * rather than Nest's Transport.GRPC because the worker needs the server object itself (health
 * flipped after warm-up, reflection, a bind before the model loads, graceful shutdown with a
 * grace period) and each call's `cancelled` event and deadline to abort generation; Nest's
 * transport hides or wraps all of these.
 */
@Injectable()
export class WorkerGrpcServer {
  private readonly log: Logger;
  private server: ContractGrpcServer | undefined;
  private boundPort = 0;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly solver: SolveService,
    private readonly model: ModelService,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: WorkerGrpcServer.name, domain: config.domain });
  }

  /** The port actually bound (useful with port 0). */
  get port(): number {
    return this.boundPort;
  }

  /** Binds and starts serving; health says NOT_SERVING until {@link setServing}. */
  async start(): Promise<number> {
    const definition = loadPackageDefinition();
    const { grpc: options } = this.config;
    const server = createGrpcServer({
      services: [{ name: WORKER_SERVICE, definition: loadProto(definition).slmrouter.v1.Worker.service, handlers: this.handlers() }],
      health: 'NOT_SERVING',
      reflection: options.reflection,
      tls: options.tls,
      packageDefinition: definition,
    });
    this.boundPort = await server.listen(options.host, options.port);
    this.server = server;
    this.log.info(
      { address: `${options.host}:${this.boundPort}`, transport: describeTransport(options.tls) },
      'gRPC listening (NOT_SERVING until the model is warm)',
    );
    return this.boundPort;
  }

  setServing(serving: boolean): void {
    this.server?.setServing(serving);
  }

  /** Stops accepting calls, lets running ones finish for up to `graceMs`, then cuts them. */
  async stop(graceMs: number): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await server.shutdown(graceMs);
  }

  private handlers(): WorkerHandlers {
    return {
      Generate: (call: grpc.ServerUnaryCall<GenerateRequest__Output, GenerateResponse>, callback: grpc.sendUnaryData<GenerateResponse>) => {
        void this.run(call, async (signal, arrivedAt) => {
          const result = await this.solver.solve(
            { problem: call.request.problem, route: call.request.route, ...requestIdsOf(call) },
            { signal, arrivedAt },
          );
          return { result };
        }).then(
          (response) => callback(null, response),
          (error: unknown) => callback(toGrpcStatus(error)),
        );
      },
      GenerateStream: (call: grpc.ServerWritableStream<GenerateStreamRequest__Output, GenerateStreamResponse>) => {
        void this.run(call, async (signal, arrivedAt) => {
          const result = await this.solver.solve(
            { problem: call.request.problem, route: call.request.route, ...requestIdsOf(call) },
            {
              signal,
              arrivedAt,
              // Response headers as soon as the engine takes the request: the router commits its
              // own status line on them, and a refusal stays a clean error status with no headers.
              onAdmitted: () => call.sendMetadata(new grpc.Metadata()),
              onChunk: async (chunk) => {
                if (signal.aborted) return;
                const ok = call.write({
                  delta: {
                    text: chunk.text,
                    channel: chunk.channel === 'reasoning' ? 'CHANNEL_REASONING' : 'CHANNEL_ANSWER',
                    tokenIds: chunk.tokenIds,
                  },
                });
                // Backpressure: a slow reader pauses generation instead of filling memory.
                if (!ok) await Promise.race([once(call, 'drain'), once(signal, 'abort')]).catch(() => undefined);
              },
            },
          );
          return result;
        }).then(
          (result) => {
            call.write({ result });
            call.end();
          },
          (error: unknown) => call.emit('error', toGrpcStatus(error)),
        );
      },
      GetInfo: (_call, callback) => callback(null, this.model.describe()),
    };
  }

  /**
   * Runs one call's work with an AbortSignal that fires when the client cancels or its deadline
   * passes, so generation stops and the engine slot is freed. A call that ended that way fails
   * with CANCELLED / DEADLINE_EXCEEDED even though the engine resolved with a partial result.
   */
  private async run<T>(call: AnyCall, work: (signal: AbortSignal, arrivedAt: number) => Promise<T>): Promise<T> {
    const arrivedAt = performance.now();
    const controller = new AbortController();
    const onCancelled = () => controller.abort(new AppError(ErrorCode.CANCELLED, 'the client cancelled the call'));
    call.once('cancelled', onCancelled);
    const deadline = deadlineOf(call)?.getTime();
    const timer =
      deadline === undefined
        ? undefined
        : setTimeout(
            () => controller.abort(new AppError(ErrorCode.DEADLINE_EXCEEDED, 'the call deadline passed before generation finished')),
            Math.max(0, deadline - Date.now()),
          );
    try {
      if (controller.signal.aborted) throw controller.signal.reason;
      const value = await work(controller.signal, arrivedAt);
      if (controller.signal.aborted) throw controller.signal.reason;
      return value;
    } catch (error) {
      const code = errorCodeOf(error);
      if (code === ErrorCode.INTERNAL) this.log.error({ err: error, requestId: validRequestIdOf(call) }, 'call failed');
      throw error;
    } finally {
      clearTimeout(timer);
      call.removeListener('cancelled', onCancelled);
    }
  }
}

/** The router's x-request-id metadata, held to the same alphabet as a problem's requestId. */
function requestIdOf(call: AnyCall): string | undefined {
  const value = requestIdMetadataOf(call);
  return value === undefined ? undefined : checkRequestId(value, 'x-request-id metadata');
}

/**
 * The x-request-id metadata as the problem's fallback id and as the correlation id of the call's log
 * lines (the router sends its caller's x-request-id there).
 */
function requestIdsOf(call: AnyCall): { fallbackRequestId?: string; correlationId?: string } {
  const requestId = requestIdOf(call);
  return { fallbackRequestId: requestId, correlationId: requestId };
}

/** The x-request-id metadata when it is a valid id, for a log line (never throws). */
function validRequestIdOf(call: AnyCall): string | undefined {
  const value = requestIdMetadataOf(call);
  return value !== undefined && REQUEST_ID_PATTERN.test(value) ? value : undefined;
}
