import * as http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '@slm/contracts';
import fc from 'fast-check';
import { startBenchStack } from './bench-stack';
import { PROBLEM_TEXTS, grpcRequests, httpRequests, leaksInternals, type FuzzRequest } from './fuzz-requests';

/** Options of {@link fuzzRouter}. */
export interface FuzzOptions {
  /** The router's REST port on 127.0.0.1. */
  httpPort: number;
  /** The router's gRPC port on 127.0.0.1. */
  grpcPort: number;
  /** How long to fuzz, in seconds. */
  seconds: number;
  /** fast-check seed; a random one when unset (the report names it, so a run can be replayed). */
  seed?: number;
  /** Deadline of every call in milliseconds; an answer later than that is a finding. Default 10,000. */
  deadlineMs?: number;
  /** Whether the router process is still alive (checked at the end). */
  routerAlive?: () => boolean;
}

/** A bad answer and the (shrunk) request that caused it. */
export interface FuzzFinding {
  method: string;
  problem: string;
  request: FuzzRequest;
}

/** The outcome of one call, as the detectors see it. */
export type CallOutcome =
  | { kind: 'http'; status: number; body: string; ms: number }
  | { kind: 'grpc'; code: number; details: string; ms: number; clientRejected?: boolean }
  | { kind: 'timeout'; ms: number }
  | { kind: 'client-rejected' };

/**
 * The 5xx answers that are legitimate, with the error code they must carry: the stack had no
 * serving replica, Redis or model (503), or the caller's deadline passed (504). A 500, or a 503/504
 * without one of these codes, is a finding: the router failed where it should have refused.
 */
export const LEGITIMATE_5XX: Readonly<Record<number, readonly string[]>> = {
  503: ['NO_HEALTHY_REPLICA', 'REDIS_UNAVAILABLE', 'MODEL_NOT_READY', 'MODEL_LOAD_FAILED'],
  504: ['DEADLINE_EXCEEDED'],
};

function errorCodeOf(body: string): string | undefined {
  try {
    const error = (JSON.parse(body) as { error?: { code?: unknown; type?: unknown } }).error;
    return typeof error?.code === 'string' ? error.code : typeof error?.type === 'string' ? error.type : undefined;
  } catch {
    return undefined;
  }
}

/** The finding in one call's outcome, if any (undefined: a good answer, success or refusal). */
export function findingOf(outcome: CallOutcome, deadlineMs: number): string | undefined {
  switch (outcome.kind) {
    case 'client-rejected':
      return undefined;
    case 'timeout':
      return `no answer within the ${deadlineMs} ms deadline`;
    case 'http': {
      if (leaksInternals(outcome.body)) return `HTTP ${outcome.status} body leaks a stack trace or path: ${outcome.body.slice(0, 300)}`;
      // A stream that broke after its headers reports the failure as its last event.
      if (/"code"\s*:\s*"INTERNAL"/.test(outcome.body))
        return `HTTP ${outcome.status} carries an INTERNAL error: ${outcome.body.slice(0, 300)}`;
      if (outcome.status < 500) return undefined;
      const code = errorCodeOf(outcome.body);
      if (code !== undefined && LEGITIMATE_5XX[outcome.status]?.includes(code)) return undefined;
      return `HTTP ${outcome.status} (${code ?? 'no error code'}): ${outcome.body.slice(0, 300)}`;
    }
    case 'grpc': {
      if (outcome.clientRejected) return undefined;
      if (leaksInternals(outcome.details))
        return `gRPC ${grpc.status[outcome.code]} details leak a stack trace or path: ${outcome.details.slice(0, 300)}`;
      if (outcome.code === grpc.status.INTERNAL || outcome.code === grpc.status.UNKNOWN)
        return `gRPC ${grpc.status[outcome.code]}: ${outcome.details.slice(0, 300)}`;
      if (outcome.code === grpc.status.DEADLINE_EXCEEDED && outcome.ms >= deadlineMs)
        return `no answer within the ${deadlineMs} ms deadline`;
      return undefined;
    }
    default:
      return assertUnreachable(outcome);
  }
}

function assertUnreachable(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}

// ---------------------------------------------------------------------------------------------
// Senders

/** The method a request counts under in the report (`POST /v1/solve`, `grpc Solve`). */
export function methodOf(request: FuzzRequest): string {
  if (request.kind === 'grpc') return `grpc ${request.rpc}`;
  const path = request.path.split('?')[0]!;
  const route = path.startsWith('/v1/batches/') ? `/v1/batches/:id${path.endsWith('/results') ? '/results' : ''}` : path;
  const method = `${request.method} ${route}`;
  return ROUTES.has(method) || route.startsWith('/v1/batches/') ? method : 'other method or path';
}

const ROUTES = new Set([
  'POST /v1/solve',
  'POST /v1/classify',
  'POST /v1/chat/completions',
  'GET /v1/models',
  'POST /v1/batches',
  'GET /healthz',
]);

function sendHttp(port: number, request: Extract<FuzzRequest, { kind: 'http' }>, deadlineMs: number): Promise<CallOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    let req: http.ClientRequest;
    try {
      const body = request.body === undefined ? undefined : Buffer.from(request.body);
      req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: request.path,
          method: request.method,
          headers: { ...request.headers, ...(body ? { 'content-length': body.length } : {}) },
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            // Only the head of a long answer is inspected.
            if (size < 1_000_000) chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ kind: 'http', status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), ms: performance.now() - started });
          });
          res.on('error', () => undefined);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // The server closing a connection on a malformed request is a refusal; one refused outright is not.
        resolve(
          error.code === 'ECONNREFUSED'
            ? { kind: 'http', status: 599, body: `connection refused: ${error.message}`, ms: performance.now() - started }
            : { kind: 'client-rejected' },
        );
      });
      const timer = setTimeout(() => {
        req.destroy();
        resolve({ kind: 'timeout', ms: performance.now() - started });
      }, deadlineMs);
      req.end(body);
    } catch {
      // Node refused to send it (an invalid header value or path): nothing reached the router.
      resolve({ kind: 'client-rejected' });
    }
  });
}

type RouterClient = grpc.Client & Record<string, (...args: unknown[]) => grpc.ClientUnaryCall & grpc.ClientReadableStream<unknown>>;

function metadataOf(pairs: [string, string][]): grpc.Metadata | undefined {
  const metadata = new grpc.Metadata();
  try {
    for (const [key, value] of pairs) {
      if (key.endsWith('-bin')) metadata.add(key, Buffer.from(value));
      else metadata.add(key, value);
    }
    return metadata;
  } catch {
    return undefined;
  }
}

function sendGrpc(client: RouterClient, request: Extract<FuzzRequest, { kind: 'grpc' }>, deadlineMs: number): Promise<CallOutcome> {
  const started = performance.now();
  const metadata = metadataOf(request.metadata);
  if (!metadata) return Promise.resolve({ kind: 'client-rejected' });
  const name = request.rpc.charAt(0).toLowerCase() + request.rpc.slice(1);
  const options: grpc.CallOptions = { deadline: Date.now() + deadlineMs };
  return new Promise((resolve) => {
    const done = (error: grpc.ServiceError | null) => {
      const ms = performance.now() - started;
      if (!error) return resolve({ kind: 'grpc', code: grpc.status.OK, details: '', ms });
      // Serialization failed in this process (a value the message type cannot hold): never sent.
      const clientRejected = error.code === grpc.status.INTERNAL && /Request message serialization failure/.test(error.details);
      resolve({ kind: 'grpc', code: error.code, details: error.details ?? '', ms, clientRejected });
    };
    try {
      if (request.rpc === 'SolveStream' || request.rpc === 'WatchBatch') {
        const stream = client[name]!(request.request, metadata, options);
        let texts = '';
        stream.on('data', (event: unknown) => {
          if (texts.length < 100_000) texts += JSON.stringify(event);
        });
        stream.on('error', (error: grpc.ServiceError) => done(error));
        stream.on('status', (status: grpc.StatusObject) => {
          if (status.code !== grpc.status.OK) return;
          const ms = performance.now() - started;
          resolve({
            kind: 'grpc',
            code: leaksInternals(texts) ? grpc.status.INTERNAL : grpc.status.OK,
            details: leaksInternals(texts) ? texts.slice(0, 300) : '',
            ms,
          });
        });
        return;
      }
      client[name]!(request.request, metadata, options, (error: grpc.ServiceError | null, response: unknown) => {
        if (!error && leaksInternals(JSON.stringify(response) ?? ''))
          return resolve({
            kind: 'grpc',
            code: grpc.status.OK,
            details: JSON.stringify(response).slice(0, 300),
            ms: performance.now() - started,
          });
        done(error);
      });
    } catch {
      resolve({ kind: 'client-rejected' });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The run

/** The report of {@link fuzzRouter}. */
export interface FuzzReport {
  seed: number;
  seconds: number;
  requests: number;
  requestsPerMethod: Record<string, number>;
  /** Answers by HTTP status or gRPC code (`HTTP 400`, `gRPC OK`): the share of requests that got past validation. */
  answers: Record<string, number>;
  /** Requests Node or grpc-js refused to send (invalid header or path, unserializable field), per method: not in `requests`. */
  notSent: Record<string, number>;
  findings: FuzzFinding[];
  routerAlive: boolean;
}

/**
 * Sends property-generated requests to every REST route and gRPC method of a running router for
 * `seconds`, and reports the bad answers: a 5xx other than the {@link LEGITIMATE_5XX}, a gRPC
 * INTERNAL or UNKNOWN, a body carrying a stack trace or a server path, no answer by the deadline.
 * Each finding's request is shrunk by fast-check to a smallest one that still fails.
 */
export async function fuzzRouter(options: FuzzOptions): Promise<FuzzReport> {
  const deadlineMs = options.deadlineMs ?? 10_000;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const proto = loadProto();
  const client = new proto.slmrouter.v1.Router(
    `127.0.0.1:${options.grpcPort}`,
    grpc.credentials.createInsecure(),
  ) as unknown as RouterClient;
  const known: string[] = [];
  const requestsPerMethod: Record<string, number> = {};
  const findings: FuzzFinding[] = [];
  const seen = new Set<string>();
  const notSent: Record<string, number> = {};
  const answers: Record<string, number> = {};
  const started = performance.now();
  const endAt = started + options.seconds * 1000;

  const send = async (request: FuzzRequest): Promise<string | undefined> => {
    const outcome =
      request.kind === 'http' ? await sendHttp(options.httpPort, request, deadlineMs) : await sendGrpc(client, request, deadlineMs);
    const method = methodOf(request);
    if (outcome.kind === 'client-rejected' || (outcome.kind === 'grpc' && outcome.clientRejected)) {
      notSent[method] = (notSent[method] ?? 0) + 1;
      return undefined;
    }
    requestsPerMethod[method] = (requestsPerMethod[method] ?? 0) + 1;
    const answer =
      outcome.kind === 'http' ? `HTTP ${outcome.status}` : outcome.kind === 'grpc' ? `gRPC ${grpc.status[outcome.code]}` : 'no answer';
    answers[answer] = (answers[answer] ?? 0) + 1;
    if (outcome.kind === 'http' && outcome.status === 202) rememberBatch(outcome.body);
    return findingOf(outcome, deadlineMs);
  };
  const rememberBatch = (body: string) => {
    try {
      const id = (JSON.parse(body) as { batchId?: unknown }).batchId;
      if (typeof id === 'string' && known.length < 50) known.push(id);
    } catch {
      // not a batch answer
    }
  };

  // Batches this run created, so ids that exist are fuzzed too.
  for (const text of PROBLEM_TEXTS)
    await send({
      kind: 'http',
      method: 'POST',
      path: '/v1/batches',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ problems: [{ text }] }),
    });

  // One property per round, so that a failure is shrunk and the fuzzing goes on with a fresh seed.
  const arbitrary = fc.oneof(httpRequests(known), grpcRequests(known));
  for (let round = 0; performance.now() < endAt && round < 10_000; round++) {
    const result = await fc.check(
      fc.asyncProperty(arbitrary, async (request) => {
        const problem = await send(request);
        if (problem) throw new Error(problem);
      }),
      {
        seed: seed + round,
        numRuns: 200,
        interruptAfterTimeLimit: Math.max(1, endAt - performance.now()),
        markInterruptAsFailure: false,
        endOnFailure: false,
        maxSkipsPerRun: 100,
      },
    );
    if (!result.failed || !result.counterexample) continue;
    const request = result.counterexample[0];
    const problem = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
    const key = `${methodOf(request)} ${problem.slice(0, 60)}`;
    if (seen.has(key) || findings.length >= 50) continue;
    seen.add(key);
    findings.push({ method: methodOf(request), problem, request: truncated(request) });
  }
  client.close();
  const requests = Object.values(requestsPerMethod).reduce((a, b) => a + b, 0);
  const routerAlive = options.routerAlive?.() ?? true;
  if (!routerAlive)
    findings.push({
      method: 'process',
      problem: 'the router process died during the run',
      request: { kind: 'http', method: 'GET', path: '/healthz', headers: {} },
    });
  return {
    seed,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    requests,
    requestsPerMethod,
    answers,
    notSent,
    findings,
    routerAlive,
  };
}

/** The request, with long strings cut so the report stays readable. */
function truncated(request: FuzzRequest): FuzzRequest {
  return JSON.parse(
    JSON.stringify(request, (_key, value: unknown) =>
      typeof value === 'string' && value.length > 300 ? `${value.slice(0, 300)}…(${value.length} chars)` : value,
    ),
  ) as FuzzRequest;
}

/** Options of {@link benchFuzz}. */
export interface FuzzBenchOptions {
  /** How long to fuzz, in seconds. */
  seconds: number;
  /** fast-check seed (random when unset). */
  seed?: number;
  /** An existing Redis; a private redis-server is started when unset. */
  redisUrl?: string;
}

/**
 * `slm bench fuzz`: a real router process in front of instant-engine worker processes and a
 * private Redis, every service on port 0, fuzzed by {@link fuzzRouter}; the router must still be
 * alive at the end.
 */
export async function benchFuzz(options: FuzzBenchOptions, log: (line: string) => void): Promise<FuzzReport> {
  const stack = await startBenchStack({ redisUrl: options.redisUrl, prefixStem: 'fuzz' });
  try {
    log(`router ready on http ${stack.httpPort}, grpc ${stack.grpcPort}; fuzzing for ${options.seconds} s`);
    const alive = () => stack.router.exitCode === null && stack.router.signalCode === null;
    return await fuzzRouter({
      httpPort: stack.httpPort,
      grpcPort: stack.grpcPort,
      seconds: options.seconds,
      seed: options.seed,
      routerAlive: alive,
    });
  } finally {
    stack.close();
  }
}
