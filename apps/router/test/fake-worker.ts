import * as grpc from '@grpc/grpc-js';
import {
  WORKER_SERVICE,
  addHealthAndReflection,
  loadPackageDefinition,
  loadProto,
  setServingStatus,
  type GenerateRequest__Output,
  type Result,
  type WorkerDomain,
  type WorkerHandlers,
} from '@slm/contracts';

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
  private server = new grpc.Server({
    interceptors: [
      (method, call) => {
        this.methodCalls.set(method.path, (this.methodCalls.get(method.path) ?? 0) + 1);
        return new grpc.ServerInterceptingCall(call);
      },
    ],
  });
  private health!: ReturnType<typeof addHealthAndReflection>;
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

  async start(port = 0): Promise<this> {
    const definition = loadPackageDefinition();
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
        if (this.behaviour.unavailable) return callback({ code: grpc.status.UNAVAILABLE, details: 'MODEL_NOT_READY: fake worker unavailable' });
        callback(null, { result: FakeWorker.resultFor(this.domain, call.request) });
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
        call.write({ result: FakeWorker.resultFor(this.domain, call.request) });
        call.end();
      },
      GetInfo: (_call, callback) => callback(null, { modelId: `fake-${this.domain}`, loadState: 'LOAD_STATE_READY', domain: 'DOMAIN_MATH', ...this.behaviour.capacity }),
    };
    this.server.addService(loadProto(definition).slmrouter.v1.Worker.service, handlers);
    this.health = addHealthAndReflection(this.server, definition, [WORKER_SERVICE], 'SERVING');
    const bound = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
    );
    this.address = `127.0.0.1:${bound}`;
    return this;
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
    setServingStatus(this.health, [WORKER_SERVICE], serving ? 'SERVING' : 'NOT_SERVING');
  }

  stop(): void {
    this.server.forceShutdown();
  }
}
