import * as grpc from '@grpc/grpc-js';
import {
  WORKER_SERVICE,
  createGrpcServer,
  loadProto,
  type ContractGrpcServer,
  type GenerateRequest__Output,
  type Result,
  type WorkerDomain,
  type WorkerHandlers,
} from '@slm/contracts';
import { AppError, ErrorCode, toGrpcStatus } from '@slm/platform';

/** How a fake worker behaves; tests flip these between requests. */
export interface FakeWorkerBehaviour {
  /** Answer every Generate/GenerateStream with UNAVAILABLE before any token. */
  unavailable?: boolean;
  /** Stream this many deltas, then fail the stream with UNAVAILABLE (mid-stream break). */
  breakAfterDeltas?: number;
  /** Hold every call until released (for concurrency limits). */
  hold?: Promise<void>;
  /** Hold the calls whose text starts with this prefix until released. */
  holdPrefix?: { prefix: string; until: Promise<void> };
  /** Take this long to answer a Generate call (from its arrival). */
  delayMs?: number;
  /** What GetInfo reports as the engine's slots and queue bound (none: the router sets no limit). */
  capacity?: { maxConcurrency: number; maxQueue: number };
  /** The next this many health checks answer only after 2.5 s: later than any check deadline of the router. */
  lateHealthChecks?: number;
  /** What GetInfo reports of the engine's KV cache, in tokens (none: the engine reports nothing). */
  kvCache?: { kvCacheTokens: number; kvCacheReservedTokens: number };
  /** The timing every result reports (none by default, as the canned result has none). */
  timing?: Result['timing'];
}

/**
 * An in-process Worker gRPC server answering at once with a canned result that names the
 * domain and echoes the problem: a test double for the real worker processes.
 */
export class FakeWorker {
  readonly calls: GenerateRequest__Output[] = [];
  /** The deadline of each call as the worker saw it (ms since the epoch; Infinity when none). */
  readonly deadlines: number[] = [];
  /** The problem texts of calls whose caller cancelled them before the answer. */
  readonly cancelled: string[] = [];
  /** Calls received per method path (`/grpc.health.v1.Health/Check`, `/slmrouter.v1.Worker/GetInfo`…). */
  readonly methodCalls = new Map<string, number>();
  behaviour: FakeWorkerBehaviour = {};
  private readonly interceptors: grpc.ServerInterceptor[] = [
    (method, call) => {
      this.methodCalls.set(method.path, (this.methodCalls.get(method.path) ?? 0) + 1);
      if (method.path.endsWith('/Check') && (this.behaviour.lateHealthChecks ?? 0) > 0) {
        this.behaviour.lateHealthChecks = (this.behaviour.lateHealthChecks ?? 0) - 1;
        return new grpc.ServerInterceptingCall(call, {
          sendMessage: (message, next) => void setTimeout(() => next(message), 2500).unref(),
        });
      }
      return new grpc.ServerInterceptingCall(call);
    },
  ];
  private server: ContractGrpcServer | undefined;
  address = '';

  constructor(readonly domain: WorkerDomain) {}

  static resultFor(domain: WorkerDomain, request: GenerateRequest__Output): Result {
    const text = request.problem?.text ?? request.problem?.conversation?.messages.at(-1)?.content ?? '';
    return {
      requestId: request.problem?.requestId ?? '',
      text: `<think>thinking</think>${domain}:${text}`,
      reasoning: 'thinking',
      answer: `${domain}:${text}`,
      extracted: { value: domain, kind: 'short_answer' },
      route: request.route ?? undefined,
      model: `fake-${domain}`,
      usage: { promptTokens: 5, completionTokens: 3 },
      finishReason: 'FINISH_REASON_STOP',
      metadata: request.problem?.metadata ?? {},
    };
  }

  /** Serves on `host:port` (port 0: a free one; replicas behind one name share a port on 127.0.0.x). */
  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    const handlers: WorkerHandlers = {
      Generate: async (call, callback) => {
        this.calls.push(call.request);
        this.deadlines.push(Number(call.getDeadline()));
        // grpc-js also says 'cancelled' when an answered call's stream closes: only count it before.
        let answered = false;
        call.once('cancelled', () => answered || this.cancelled.push(call.request.problem?.text ?? ''));
        await this.holdOf(call.request);
        if (this.behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, this.behaviour.delayMs));
        answered = true;
        if (this.behaviour.unavailable) return callback(toGrpcStatus(new AppError(ErrorCode.MODEL_NOT_READY, 'fake worker unavailable')));
        callback(null, { result: this.resultOf(call.request) });
      },
      GenerateStream: async (call) => {
        this.calls.push(call.request);
        this.deadlines.push(Number(call.getDeadline()));
        await this.holdOf(call.request);
        if (this.behaviour.unavailable) return call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'fake worker unavailable' });
        const deltas = ['thinking', `${this.domain}:`, 'done'];
        for (let i = 0; i < deltas.length; i++) {
          if (this.behaviour.breakAfterDeltas !== undefined && i === this.behaviour.breakAfterDeltas) {
            return call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'fake worker died mid-stream' });
          }
          call.write({ delta: { text: deltas[i], channel: i === 0 ? 'CHANNEL_REASONING' : 'CHANNEL_ANSWER', tokenIds: [i] } });
        }
        call.write({ result: this.resultOf(call.request) });
        call.end();
      },
      GetInfo: (_call, callback) =>
        callback(null, {
          modelId: `fake-${this.domain}`,
          loadState: 'LOAD_STATE_READY',
          domain: 'DOMAIN_MATH',
          ...this.behaviour.capacity,
          ...this.behaviour.kvCache,
        }),
    };
    this.server = createGrpcServer({
      services: [{ name: WORKER_SERVICE, definition: loadProto().slmrouter.v1.Worker.service, handlers }],
      interceptors: this.interceptors,
    });
    const bound = await this.server.listen(host, port);
    this.address = `${host}:${bound}`;
    return this;
  }

  private resultOf(request: GenerateRequest__Output): Result {
    const result = FakeWorker.resultFor(this.domain, request);
    return this.behaviour.timing ? { ...result, timing: this.behaviour.timing } : result;
  }

  private holdOf(request: GenerateRequest__Output): Promise<void> | undefined {
    const { hold, holdPrefix } = this.behaviour;
    if (holdPrefix && (request.problem?.text ?? '').startsWith(holdPrefix.prefix)) return holdPrefix.until;
    return hold;
  }

  /** How many calls of one method (`Check`, `GetInfo`, `Generate`, `GenerateStream`) arrived. */
  callsOf(method: 'Check' | 'GetInfo' | 'Generate' | 'GenerateStream'): number {
    return [...this.methodCalls].filter(([path]) => path.endsWith(`/${method}`)).reduce((n, [, count]) => n + count, 0);
  }

  setServing(serving: boolean): void {
    this.server?.setServing(serving);
  }

  stop(): void {
    this.server?.server.forceShutdown();
  }
}
