import * as http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '@slm/contracts';
import fc from 'fast-check';
import { startBenchStack } from './bench-stack';

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

/** One request the fuzzer sends: a REST call or a gRPC call. */
export type FuzzRequest =
  | { kind: 'http'; method: string; path: string; headers: Record<string, string>; body?: string }
  | { kind: 'grpc'; rpc: GrpcMethod; request: unknown; metadata: [string, string][] };

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

type GrpcMethod = 'Solve' | 'SolveStream' | 'Classify' | 'SubmitBatch' | 'GetBatch' | 'CancelBatch' | 'WatchBatch';

/**
 * The 5xx answers that are legitimate, with the error code they must carry: the stack had no
 * serving replica, Redis or model (503), or the caller's deadline passed (504). A 500, or a 503/504
 * without one of these codes, is a finding: the router failed where it should have refused.
 */
export const LEGITIMATE_5XX: Readonly<Record<number, readonly string[]>> = {
  503: ['NO_HEALTHY_REPLICA', 'REDIS_UNAVAILABLE', 'MODEL_NOT_READY', 'MODEL_LOAD_FAILED'],
  504: ['DEADLINE_EXCEEDED'],
};

// A stack frame (`    at fn (file:1:2)`), a source path with a line number, the checkout or node_modules.
const LEAK_PATTERNS = [/\bat [^\n]*\(?[^\s()]+:\d+:\d+\)?/, /\.(?:ts|js|mjs|cjs):\d+/, /\/work\//, /node_modules/];

/** Whether a response body carries a stack trace or a file path of the server. */
export function leaksInternals(text: string): boolean {
  return LEAK_PATTERNS.some((pattern) => pattern.test(text));
}

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
      if (/"code"\s*:\s*"INTERNAL"/.test(outcome.body)) return `HTTP ${outcome.status} carries an INTERNAL error: ${outcome.body.slice(0, 300)}`;
      if (outcome.status < 500) return undefined;
      const code = errorCodeOf(outcome.body);
      if (code !== undefined && LEGITIMATE_5XX[outcome.status]?.includes(code)) return undefined;
      return `HTTP ${outcome.status} (${code ?? 'no error code'}): ${outcome.body.slice(0, 300)}`;
    }
    case 'grpc': {
      if (outcome.clientRejected) return undefined;
      if (leaksInternals(outcome.details)) return `gRPC ${grpc.status[outcome.code]} details leak a stack trace or path: ${outcome.details.slice(0, 300)}`;
      if (outcome.code === grpc.status.INTERNAL || outcome.code === grpc.status.UNKNOWN) return `gRPC ${grpc.status[outcome.code]}: ${outcome.details.slice(0, 300)}`;
      if (outcome.code === grpc.status.DEADLINE_EXCEEDED && outcome.ms >= deadlineMs) return `no answer within the ${deadlineMs} ms deadline`;
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
// Generators

/** Strings that are odd on the wire, never ones that would look like a leak when echoed back. */
function oddString(maxLength = 64): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.string({ maxLength }),
      fc.string({ unit: 'grapheme', maxLength }),
      fc.string({ unit: 'binary', maxLength }),
      fc.constantFrom('', ' ', '\u0000', '\uFEFF', '\uD800', '💥'.repeat(10), 'a'.repeat(5000), '../../etc/passwd', '%00', '%2F..%2F', '{}', '[]', 'null', 'NaN', '-0', '1e309'),
      fc.integer({ min: 1, max: 300_000 }).map((n) => 'x'.repeat(n)),
    )
    .filter((s) => !leaksInternals(s));
}

/** Numbers at and past every bound a field may have, and things that are not numbers. */
function oddNumber(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(0, -0, -1, 1, 0.5, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308, 4096, 4097, 100_000, 100_001),
    fc.integer(),
    fc.double(),
    fc.constantFrom('NaN', 'Infinity', '-Infinity', '1', '', null, true, [], {}, '0x10', '1e3'),
  );
}

function oddValue(): fc.Arbitrary<unknown> {
  return fc.oneof(oddString(), oddNumber(), fc.jsonValue({ maxDepth: 3 }).filter((v) => !leaksInternals(JSON.stringify(v) ?? '')));
}

const PROBLEM_TEXTS = ['Solve 3x + 5 = 20 for x.', 'Write a Python function that reverses a string.', 'Why is the sky blue? Explain Rayleigh scattering.'];

/** An id the router takes (request ids, idempotency keys, client ids). */
const ID = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);

/** Mostly a value the schema takes, now and then an odd one: enough requests get past validation to reach the deep paths. */
function mostly<T>(valid: fc.Arbitrary<T>, odd: fc.Arbitrary<unknown> = oddValue()): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: odd });
}

function options(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      maxNewTokens: mostly(fc.integer({ min: 1, max: 64 }), oddNumber()),
      temperature: mostly(fc.double({ min: 0, max: 2, noNaN: true }), oddNumber()),
      topP: mostly(fc.double({ min: 0.01, max: 1, noNaN: true }), oddNumber()),
      topK: mostly(fc.integer({ min: 1, max: 100 }), oddNumber()),
      seed: mostly(fc.nat(), oddNumber()),
      stop: mostly(fc.array(oddString(16), { maxLength: 4 })),
      repetitionPenalty: mostly(fc.double({ min: 1, max: 2, noNaN: true }), oddNumber()),
    },
    { requiredKeys: [] },
  );
}

function message(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), content: fc.oneof(fc.constantFrom(...PROBLEM_TEXTS), oddString()) }) },
    { weight: 2, arbitrary: fc.record({ role: fc.oneof(fc.constantFrom('system', 'user', 'assistant', 'tool', 'developer', ''), oddString(16)), content: fc.oneof(fc.constantFrom(...PROBLEM_TEXTS), oddString(), fc.array(fc.record({ type: fc.constantFrom('text', 'image_url', 'x'), text: oddString() }, { requiredKeys: [] }), { maxLength: 3 }), oddValue()) }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: oddValue() },
  );
}

/** A problem body: mostly valid-ish, with odd values, wrong types and unknown fields mixed in. */
function problemBody(): fc.Arbitrary<unknown> {
  const validish = fc.record(
    {
      text: mostly(fc.oneof(fc.constantFrom(...PROBLEM_TEXTS), oddString())),
      domainOverride: mostly(fc.constantFrom('math', 'code', 'science')),
      options: mostly(options()),
      requestId: mostly(ID, oddString(200)),
      metadata: mostly(fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 16 }), { maxKeys: 3 })),
      stream: mostly(fc.boolean()),
    },
    { requiredKeys: ['text'] },
  );
  const conversation = fc.record({ conversation: fc.oneof(fc.record({ messages: fc.array(message(), { minLength: 1, maxLength: 4 }) }), oddValue()) });
  const unknownField = fc.tuple(validish, oddString(16), oddValue()).map(([body, key, value]) => ({ ...body, [key]: value }));
  return fc.oneof({ weight: 6, arbitrary: validish }, { weight: 1, arbitrary: conversation }, { weight: 1, arbitrary: unknownField }, { weight: 1, arbitrary: oddValue() });
}

/**
 * A batch item: almost always one the schema takes (one bad item refuses the whole batch, so odd
 * items are rare, or no batch would ever be queued), with its own priority now and then.
 */
function batchProblem(): fc.Arbitrary<unknown> {
  const valid = fc.record(
    { text: fc.oneof(fc.constantFrom(...PROBLEM_TEXTS), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 })), domainOverride: fc.constantFrom('math', 'code', 'science'), options: fc.record({ maxNewTokens: fc.integer({ min: 1, max: 64 }) }), priority: fc.integer({ min: 0, max: 10 }) },
    { requiredKeys: ['text'] },
  );
  return fc.oneof({ weight: 30, arbitrary: valid }, { weight: 1, arbitrary: problemBody() });
}

function chatBody(): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record(
        {
          model: mostly(fc.constantFrom('auto', 'math', 'code', 'science', 'slm-router', 'gpt-4'), oddString(32)),
          messages: mostly(fc.array(message(), { minLength: 1, maxLength: 5 })),
          max_tokens: mostly(fc.integer({ min: 1, max: 64 }), oddNumber()),
          max_completion_tokens: mostly(fc.integer({ min: 1, max: 64 }), oddNumber()),
          temperature: mostly(fc.double({ min: 0, max: 2, noNaN: true }), oddNumber()),
          top_p: mostly(fc.double({ min: 0.01, max: 1, noNaN: true }), oddNumber()),
          n: mostly(fc.constant(1), oddNumber()),
          seed: mostly(fc.nat(), oddNumber()),
          stop: fc.oneof(oddString(8), fc.array(oddString(8), { maxLength: 6 })),
          stream: mostly(fc.boolean()),
          stream_options: fc.oneof(fc.record({ include_usage: fc.oneof(fc.boolean(), oddValue()) }), oddValue()),
          tools: oddValue(),
          user: oddString(32),
        },
        { requiredKeys: ['messages'] },
      ),
    },
    { weight: 1, arbitrary: oddValue() },
  );
}

/** Header values Node will send (printable ASCII, up to past Node's 16 KiB header limit), and now and then one it will not. */
function headerValue(maxLength = 300): fc.Arbitrary<string> {
  const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });
  return fc.oneof({ weight: 8, arbitrary: printable }, { weight: 1, arbitrary: fc.constantFrom('', ' ', '-1', '0', 'NaN', '1e999', 'x'.repeat(20_000)) }, { weight: 1, arbitrary: oddString(64) }).filter((s) => !leaksInternals(s));
}

function headers(contentTypes: string[]): fc.Arbitrary<Record<string, string>> {
  return fc.record(
    {
      'content-type': fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...contentTypes) }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/json; charset=latin1', '') }, { weight: 1, arbitrary: headerValue(32) }),
      accept: fc.constantFrom('*/*', 'text/event-stream', 'application/json', 'application/jsonl', ''),
      'x-request-id': mostly(ID, headerValue()) as fc.Arbitrary<string>,
      'idempotency-key': mostly(ID, headerValue()) as fc.Arbitrary<string>,
      'x-priority': mostly(fc.integer({ min: 1, max: 10 }).map(String), fc.oneof(oddNumber().map(String), headerValue(16))) as fc.Arbitrary<string>,
      'x-client-id': mostly(ID, headerValue(200)) as fc.Arbitrary<string>,
    },
    { requiredKeys: [] },
  );
}

/** A JSON body, most of the time serialized, sometimes broken on purpose. */
function serialized(body: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  const json = body.map((value) => JSON.stringify(value) ?? 'undefined');
  return fc.oneof(
    { weight: 6, arbitrary: json },
    { weight: 1, arbitrary: fc.tuple(json, fc.nat()).map(([text, cut]) => text.slice(0, cut % (text.length + 1))) },
    { weight: 1, arbitrary: oddString(256) },
  );
}

function jsonlUpload(): fc.Arbitrary<string> {
  const line = fc.oneof({ weight: 30, arbitrary: batchProblem().map((value) => JSON.stringify(value) ?? '') }, { weight: 1, arbitrary: oddString(64).map((s) => s.replace(/\n/g, ' ')) });
  return fc.tuple(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n')).map(([lines, eol]) => lines.join(eol));
}

/** A batch id: one this run created, or anything. */
function batchId(known: string[]): fc.Arbitrary<string> {
  return fc.oneof(fc.constantFrom(...(known.length > 0 ? known : ['none'])), fc.uuid(), oddString(80), fc.constantFrom('', '..', '.', '%', '%00', 'a/b', '*', 'bull:x', 'x'.repeat(10_000)));
}

/** Percent-encoded (a lone surrogate cannot be: it goes raw, and Node may refuse to send it). */
function encoded(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text;
  }
}

function pathSegment(id: string, raw: boolean): string {
  return raw ? id : encoded(id);
}

function httpRequests(known: string[]): fc.Arbitrary<FuzzRequest> {
  const post = (path: string, body: fc.Arbitrary<string>, contentTypes: string[]) =>
    fc.record({ kind: fc.constant('http' as const), method: fc.constant('POST'), path: fc.constant(path), headers: headers(contentTypes), body });
  const onBatch = (method: string, suffix: string) =>
    fc
      .tuple(batchId(known), fc.boolean(), fc.option(fc.oneof(oddNumber().map(String), oddString(16)).map((o) => `?offset=${encoded(o)}`), { nil: '' }), headers(['application/json']))
      .map(([id, raw, query, hdrs]): FuzzRequest => ({ kind: 'http', method, path: `/v1/batches/${pathSegment(id, raw)}${suffix}${suffix ? query : ''}`, headers: hdrs }));
  return fc.oneof(
    post('/v1/solve', serialized(problemBody()), ['application/json']),
    post('/v1/classify', serialized(problemBody()), ['application/json']),
    post('/v1/chat/completions', serialized(chatBody()), ['application/json']),
    post('/v1/batches', serialized(fc.oneof(fc.record({ problems: mostly(fc.array(batchProblem(), { minLength: 1, maxLength: 10 })), idempotencyKey: mostly(ID, oddString(300)), priority: mostly(fc.integer({ min: 1, max: 10 }), oddNumber()), metadata: mostly(fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 16 }), { maxKeys: 3 })) }, { requiredKeys: ['problems'] }), fc.array(batchProblem(), { maxLength: 10 }))), ['application/json']),
    post('/v1/batches', jsonlUpload(), ['application/jsonl', 'application/x-ndjson']),
    onBatch('GET', ''),
    onBatch('GET', '/results'),
    onBatch('DELETE', ''),
    fc.record({ kind: fc.constant('http' as const), method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'), path: fc.constantFrom('/v1/models', '/healthz', '/v1', '/v1/solve', '/v1/batches', '/nope', '/v1/chat/completions?x=%zz', '//v1//solve'), headers: headers(['application/json']) }),
  );
}

/**
 * Metadata pairs, within gRPC's default 8 KiB of metadata: a larger header block is refused by the
 * HTTP/2 layer under the router (RST_STREAM, which grpc-js clients report as INTERNAL), not by the router.
 */
function grpcMetadata(): fc.Arbitrary<[string, string][]> {
  return fc.array(
    fc.tuple(fc.oneof(fc.constantFrom('x-request-id', 'x-client-id', 'idempotency-key', 'x-priority', 'grpc-timeout', 'content-type', 'user-agent', 'x-odd-bin'), fc.stringMatching(/^[a-z0-9-_.]{1,20}$/)), fc.oneof({ weight: 6, arbitrary: headerValue(200) }, { weight: 1, arbitrary: oddString(200) }).map((value) => value.slice(0, 1500))),
    { maxLength: 4 },
  );
}

function grpcProblem(): fc.Arbitrary<unknown> {
  const generation = fc.record(
    { maxNewTokens: fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 32 - 1, 4097)), temperature: fc.oneof(fc.float(), fc.constantFrom(Number.NaN, Infinity, -Infinity)), topP: fc.oneof(fc.float(), fc.constant(Number.NaN)), topK: fc.nat(), seed: fc.nat(), stop: fc.array(oddString(16), { maxLength: 20 }), repetitionPenalty: fc.oneof(fc.float(), fc.constant(Number.NaN)) },
    { requiredKeys: [] },
  );
  const input = fc.oneof(
    fc.record({ text: fc.oneof(fc.constantFrom(...PROBLEM_TEXTS), oddString()) }),
    fc.record({ conversation: fc.record({ messages: fc.array(fc.record({ role: fc.oneof(fc.constantFrom('system', 'user', 'assistant'), oddString(16)), content: fc.oneof(fc.constantFrom(...PROBLEM_TEXTS), oddString()) }), { maxLength: 4 }) }) }),
    fc.constant({}),
  );
  return fc
    .tuple(input, fc.record({ domainOverride: fc.oneof(fc.integer({ min: -2, max: 8 }), fc.constantFrom('DOMAIN_MATH', 'DOMAIN_OTHER')), options: generation, requestId: oddString(300), metadata: fc.dictionary(oddString(16), oddString(32), { maxKeys: 4 }) }, { requiredKeys: [] }))
    .map(([i, rest]) => ({ ...i, ...rest }));
}

function grpcRequests(known: string[]): fc.Arbitrary<FuzzRequest> {
  const call = (rpc: GrpcMethod, request: fc.Arbitrary<unknown>) => fc.record({ kind: fc.constant('grpc' as const), rpc: fc.constant(rpc), request, metadata: grpcMetadata() });
  return fc.oneof(
    call('Solve', fc.record({ problem: grpcProblem() }, { requiredKeys: [] })),
    call('SolveStream', fc.record({ problem: grpcProblem() }, { requiredKeys: [] })),
    call('Classify', fc.record({ text: oddString() }, { requiredKeys: [] })),
    call('SubmitBatch', fc.record({ problems: fc.array(grpcProblem(), { maxLength: 8 }), idempotencyKey: oddString(300), priority: fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 32 - 1)), metadata: fc.dictionary(oddString(16), oddString(32), { maxKeys: 4 }) }, { requiredKeys: [] })),
    call('GetBatch', fc.record({ batchId: batchId(known) }, { requiredKeys: [] })),
    call('CancelBatch', fc.record({ batchId: batchId(known) }, { requiredKeys: [] })),
    call('WatchBatch', fc.record({ batchId: batchId(known), fromIndex: fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 32 - 1)) }, { requiredKeys: [] })),
  );
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

const ROUTES = new Set(['POST /v1/solve', 'POST /v1/classify', 'POST /v1/chat/completions', 'GET /v1/models', 'POST /v1/batches', 'GET /healthz']);

function sendHttp(port: number, request: Extract<FuzzRequest, { kind: 'http' }>, deadlineMs: number): Promise<CallOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    let req: http.ClientRequest;
    try {
      const body = request.body === undefined ? undefined : Buffer.from(request.body);
      req = http.request({ host: '127.0.0.1', port, path: request.path, method: request.method, headers: { ...request.headers, ...(body ? { 'content-length': body.length } : {}) }, agent: false }, (res) => {
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
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // The server closing a connection on a malformed request is a refusal; one refused outright is not.
        resolve(error.code === 'ECONNREFUSED' ? { kind: 'http', status: 599, body: `connection refused: ${error.message}`, ms: performance.now() - started } : { kind: 'client-rejected' });
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
          resolve({ kind: 'grpc', code: leaksInternals(texts) ? grpc.status.INTERNAL : grpc.status.OK, details: leaksInternals(texts) ? texts.slice(0, 300) : '', ms });
        });
        return;
      }
      client[name]!(request.request, metadata, options, (error: grpc.ServiceError | null, response: unknown) => {
        if (!error && leaksInternals(JSON.stringify(response) ?? '')) return resolve({ kind: 'grpc', code: grpc.status.OK, details: JSON.stringify(response).slice(0, 300), ms: performance.now() - started });
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
  const client = new proto.slmrouter.v1.Router(`127.0.0.1:${options.grpcPort}`, grpc.credentials.createInsecure()) as unknown as RouterClient;
  const known: string[] = [];
  const requestsPerMethod: Record<string, number> = {};
  const findings: FuzzFinding[] = [];
  const seen = new Set<string>();
  const notSent: Record<string, number> = {};
  const answers: Record<string, number> = {};
  const started = performance.now();
  const endAt = started + options.seconds * 1000;

  const send = async (request: FuzzRequest): Promise<string | undefined> => {
    const outcome = request.kind === 'http' ? await sendHttp(options.httpPort, request, deadlineMs) : await sendGrpc(client, request, deadlineMs);
    const method = methodOf(request);
    if (outcome.kind === 'client-rejected' || (outcome.kind === 'grpc' && outcome.clientRejected)) {
      notSent[method] = (notSent[method] ?? 0) + 1;
      return undefined;
    }
    requestsPerMethod[method] = (requestsPerMethod[method] ?? 0) + 1;
    const answer = outcome.kind === 'http' ? `HTTP ${outcome.status}` : outcome.kind === 'grpc' ? `gRPC ${grpc.status[outcome.code]}` : 'no answer';
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
  for (const text of PROBLEM_TEXTS) await send({ kind: 'http', method: 'POST', path: '/v1/batches', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ problems: [{ text }] }) });

  // One property per round, so that a failure is shrunk and the fuzzing goes on with a fresh seed.
  const arbitrary = fc.oneof(httpRequests(known), grpcRequests(known));
  for (let round = 0; performance.now() < endAt && round < 10_000; round++) {
    const result = await fc.check(
      fc.asyncProperty(arbitrary, async (request) => {
        const problem = await send(request);
        if (problem) throw new Error(problem);
      }),
      { seed: seed + round, numRuns: 200, interruptAfterTimeLimit: Math.max(1, endAt - performance.now()), markInterruptAsFailure: false, endOnFailure: false, maxSkipsPerRun: 100 },
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
  if (!routerAlive) findings.push({ method: 'process', problem: 'the router process died during the run', request: { kind: 'http', method: 'GET', path: '/healthz', headers: {} } });
  return { seed, seconds: Math.round((performance.now() - started) / 100) / 10, requests, requestsPerMethod, answers, notSent, findings, routerAlive };
}

/** The request, with long strings cut so the report stays readable. */
function truncated(request: FuzzRequest): FuzzRequest {
  return JSON.parse(JSON.stringify(request, (_key, value: unknown) => (typeof value === 'string' && value.length > 300 ? `${value.slice(0, 300)}…(${value.length} chars)` : value))) as FuzzRequest;
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
    return await fuzzRouter({ httpPort: stack.httpPort, grpcPort: stack.grpcPort, seconds: options.seconds, seed: options.seed, routerAlive: alive });
  } finally {
    stack.close();
  }
}
