import fc from 'fast-check';
import { WORKER_DOMAINS } from '@slm/contracts';

// The fast-check generators of `slm bench fuzz`: requests to every REST route and gRPC method of the
// router, mostly well-formed with odd values mixed in (the table of request shapes, apart from the
// runner in fuzz-bench.ts that sends them and judges the answers).

// A stack frame (`    at fn (file:1:2)`), a source path with a line number, the checkout or node_modules.
const LEAK_PATTERNS = [/\bat [^\n]*\(?[^\s()]+:\d+:\d+\)?/, /\.(?:ts|js|mjs|cjs):\d+/, /\/work\//, /node_modules/];

/** Whether a response body (or a generated value) carries a stack trace or a file path of the server. */
export function leaksInternals(text: string): boolean {
  return LEAK_PATTERNS.some((pattern) => pattern.test(text));
}

/** One request the fuzzer sends: a REST call or a gRPC call. */
export type FuzzRequest =
  | { kind: 'http'; method: string; path: string; headers: Record<string, string>; body?: string }
  | { kind: 'grpc'; rpc: GrpcMethod; request: unknown; metadata: [string, string][] };

export type GrpcMethod = 'Solve' | 'SolveStream' | 'Classify' | 'SubmitBatch' | 'GetBatch' | 'CancelBatch' | 'WatchBatch';

/** Strings that are odd on the wire, never ones that would look like a leak when echoed back. */
function oddString(maxLength = 64): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.string({ maxLength }),
      fc.string({ unit: 'grapheme', maxLength }),
      fc.string({ unit: 'binary', maxLength }),
      fc.constantFrom(
        '',
        ' ',
        '\u0000',
        '\uFEFF',
        '\uD800',
        '💥'.repeat(10),
        'a'.repeat(5000),
        '../../etc/passwd',
        '%00',
        '%2F..%2F',
        '{}',
        '[]',
        'null',
        'NaN',
        '-0',
        '1e309',
      ),
      fc.integer({ min: 1, max: 300_000 }).map((n) => 'x'.repeat(n)),
    )
    .filter((s) => !leaksInternals(s));
}

/** Numbers at and past every bound a field may have, and things that are not numbers. */
function oddNumber(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(
      0,
      -0,
      -1,
      1,
      0.5,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 53,
      Number.MAX_SAFE_INTEGER + 2,
      1e308,
      -1e308,
      4096,
      4097,
      100_000,
      100_001,
    ),
    fc.integer(),
    fc.double(),
    fc.constantFrom('NaN', 'Infinity', '-Infinity', '1', '', null, true, [], {}, '0x10', '1e3'),
  );
}

function oddValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    oddString(),
    oddNumber(),
    fc.jsonValue({ maxDepth: 3 }).filter((v) => !leaksInternals(JSON.stringify(v) ?? '')),
  );
}

export const PROBLEM_TEXTS = [
  'Solve 3x + 5 = 20 for x.',
  'Write a Python function that reverses a string.',
  'Why is the sky blue? Explain Rayleigh scattering.',
];

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
    {
      weight: 6,
      arbitrary: fc.record({
        role: fc.constantFrom('system', 'user', 'assistant'),
        content: fc.oneof(fc.constantFrom(...PROBLEM_TEXTS), oddString()),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record(
        {
          role: fc.oneof(fc.constantFrom('system', 'user', 'assistant', 'tool', 'developer', ''), oddString(16)),
          content: fc.oneof(
            fc.constantFrom(...PROBLEM_TEXTS),
            oddString(),
            fc.array(fc.record({ type: fc.constantFrom('text', 'image_url', 'x'), text: oddString() }, { requiredKeys: [] }), {
              maxLength: 3,
            }),
            oddValue(),
          ),
        },
        { requiredKeys: [] },
      ),
    },
    { weight: 1, arbitrary: oddValue() },
  );
}

/** A problem body: mostly valid-ish, with odd values, wrong types and unknown fields mixed in. */
function problemBody(): fc.Arbitrary<unknown> {
  const validish = fc.record(
    {
      text: mostly(fc.oneof(fc.constantFrom(...PROBLEM_TEXTS), oddString())),
      domainOverride: mostly(fc.constantFrom(...WORKER_DOMAINS)),
      options: mostly(options()),
      requestId: mostly(ID, oddString(200)),
      metadata: mostly(fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 16 }), { maxKeys: 3 })),
      stream: mostly(fc.boolean()),
    },
    { requiredKeys: ['text'] },
  );
  const conversation = fc.record({
    conversation: fc.oneof(fc.record({ messages: fc.array(message(), { minLength: 1, maxLength: 4 }) }), oddValue()),
  });
  const unknownField = fc.tuple(validish, oddString(16), oddValue()).map(([body, key, value]) => ({ ...body, [key]: value }));
  return fc.oneof(
    { weight: 6, arbitrary: validish },
    { weight: 1, arbitrary: conversation },
    { weight: 1, arbitrary: unknownField },
    { weight: 1, arbitrary: oddValue() },
  );
}

/**
 * A batch item: almost always one the schema takes (one bad item refuses the whole batch, so odd
 * items are rare, or no batch would ever be queued), with its own priority now and then.
 */
function batchProblem(): fc.Arbitrary<unknown> {
  const valid = fc.record(
    {
      text: fc.oneof(fc.constantFrom(...PROBLEM_TEXTS), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 })),
      domainOverride: fc.constantFrom(...WORKER_DOMAINS),
      options: fc.record({ maxNewTokens: fc.integer({ min: 1, max: 64 }) }),
      priority: fc.integer({ min: 0, max: 10 }),
    },
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
          model: mostly(fc.constantFrom('auto', ...WORKER_DOMAINS, 'slm-router', 'gpt-4'), oddString(32)),
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
  return fc
    .oneof(
      { weight: 8, arbitrary: printable },
      { weight: 1, arbitrary: fc.constantFrom('', ' ', '-1', '0', 'NaN', '1e999', 'x'.repeat(20_000)) },
      { weight: 1, arbitrary: oddString(64) },
    )
    .filter((s) => !leaksInternals(s));
}

function headers(contentTypes: string[]): fc.Arbitrary<Record<string, string>> {
  return fc.record(
    {
      'content-type': fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...contentTypes) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data',
            'application/json; charset=latin1',
            '',
          ),
        },
        { weight: 1, arbitrary: headerValue(32) },
      ),
      accept: fc.constantFrom('*/*', 'text/event-stream', 'application/json', 'application/jsonl', ''),
      'x-request-id': mostly(ID, headerValue()) as fc.Arbitrary<string>,
      'idempotency-key': mostly(ID, headerValue()) as fc.Arbitrary<string>,
      'x-priority': mostly(
        fc.integer({ min: 1, max: 10 }).map(String),
        fc.oneof(oddNumber().map(String), headerValue(16)),
      ) as fc.Arbitrary<string>,
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
  const line = fc.oneof(
    { weight: 30, arbitrary: batchProblem().map((value) => JSON.stringify(value) ?? '') },
    { weight: 1, arbitrary: oddString(64).map((s) => s.replace(/\n/g, ' ')) },
  );
  return fc.tuple(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n')).map(([lines, eol]) => lines.join(eol));
}

/** A batch id: one this run created, or anything. */
function batchId(known: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...(known.length > 0 ? known : ['none'])),
    fc.uuid(),
    oddString(80),
    fc.constantFrom('', '..', '.', '%', '%00', 'a/b', '*', 'bull:x', 'x'.repeat(10_000)),
  );
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

export function httpRequests(known: string[]): fc.Arbitrary<FuzzRequest> {
  const post = (path: string, body: fc.Arbitrary<string>, contentTypes: string[]) =>
    fc.record({
      kind: fc.constant('http' as const),
      method: fc.constant('POST'),
      path: fc.constant(path),
      headers: headers(contentTypes),
      body,
    });
  const onBatch = (method: string, suffix: string) =>
    fc
      .tuple(
        batchId(known),
        fc.boolean(),
        fc.option(
          fc.oneof(oddNumber().map(String), oddString(16)).map((o) => `?offset=${encoded(o)}`),
          { nil: '' },
        ),
        headers(['application/json']),
      )
      .map(([id, raw, query, hdrs]): FuzzRequest => ({
        kind: 'http',
        method,
        path: `/v1/batches/${pathSegment(id, raw)}${suffix}${suffix ? query : ''}`,
        headers: hdrs,
      }));
  return fc.oneof(
    post('/v1/solve', serialized(problemBody()), ['application/json']),
    post('/v1/classify', serialized(problemBody()), ['application/json']),
    post('/v1/chat/completions', serialized(chatBody()), ['application/json']),
    post(
      '/v1/batches',
      serialized(
        fc.oneof(
          fc.record(
            {
              problems: mostly(fc.array(batchProblem(), { minLength: 1, maxLength: 10 })),
              idempotencyKey: mostly(ID, oddString(300)),
              priority: mostly(fc.integer({ min: 1, max: 10 }), oddNumber()),
              metadata: mostly(fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 16 }), { maxKeys: 3 })),
            },
            { requiredKeys: ['problems'] },
          ),
          fc.array(batchProblem(), { maxLength: 10 }),
        ),
      ),
      ['application/json'],
    ),
    post('/v1/batches', jsonlUpload(), ['application/jsonl', 'application/x-ndjson']),
    onBatch('GET', ''),
    onBatch('GET', '/results'),
    onBatch('DELETE', ''),
    fc.record({
      kind: fc.constant('http' as const),
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'),
      path: fc.constantFrom(
        '/v1/models',
        '/healthz',
        '/v1',
        '/v1/solve',
        '/v1/batches',
        '/nope',
        '/v1/chat/completions?x=%zz',
        '//v1//solve',
      ),
      headers: headers(['application/json']),
    }),
  );
}

/**
 * Metadata pairs, within gRPC's default 8 KiB of metadata: a larger header block is refused by the
 * HTTP/2 layer under the router (RST_STREAM, which grpc-js clients report as INTERNAL), not by the router.
 */
function grpcMetadata(): fc.Arbitrary<[string, string][]> {
  return fc.array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(
          'x-request-id',
          'x-client-id',
          'idempotency-key',
          'x-priority',
          'grpc-timeout',
          'content-type',
          'user-agent',
          'x-odd-bin',
        ),
        fc.stringMatching(/^[a-z0-9-_.]{1,20}$/),
      ),
      fc.oneof({ weight: 6, arbitrary: headerValue(200) }, { weight: 1, arbitrary: oddString(200) }).map((value) => value.slice(0, 1500)),
    ),
    { maxLength: 4 },
  );
}

function grpcProblem(): fc.Arbitrary<unknown> {
  const generation = fc.record(
    {
      maxNewTokens: fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 32 - 1, 4097)),
      temperature: fc.oneof(fc.float(), fc.constantFrom(Number.NaN, Infinity, -Infinity)),
      topP: fc.oneof(fc.float(), fc.constant(Number.NaN)),
      topK: fc.nat(),
      seed: fc.nat(),
      stop: fc.array(oddString(16), { maxLength: 20 }),
      repetitionPenalty: fc.oneof(fc.float(), fc.constant(Number.NaN)),
    },
    { requiredKeys: [] },
  );
  const input = fc.oneof(
    fc.record({ text: fc.oneof(fc.constantFrom(...PROBLEM_TEXTS), oddString()) }),
    fc.record({
      conversation: fc.record({
        messages: fc.array(
          fc.record({
            role: fc.oneof(fc.constantFrom('system', 'user', 'assistant'), oddString(16)),
            content: fc.oneof(fc.constantFrom(...PROBLEM_TEXTS), oddString()),
          }),
          { maxLength: 4 },
        ),
      }),
    }),
    fc.constant({}),
  );
  return fc
    .tuple(
      input,
      fc.record(
        {
          domainOverride: fc.oneof(fc.integer({ min: -2, max: 8 }), fc.constantFrom('DOMAIN_MATH', 'DOMAIN_OTHER')),
          options: generation,
          requestId: oddString(300),
          metadata: fc.dictionary(oddString(16), oddString(32), { maxKeys: 4 }),
        },
        { requiredKeys: [] },
      ),
    )
    .map(([i, rest]) => ({ ...i, ...rest }));
}

export function grpcRequests(known: string[]): fc.Arbitrary<FuzzRequest> {
  const call = (rpc: GrpcMethod, request: fc.Arbitrary<unknown>) =>
    fc.record({ kind: fc.constant('grpc' as const), rpc: fc.constant(rpc), request, metadata: grpcMetadata() });
  return fc.oneof(
    call('Solve', fc.record({ problem: grpcProblem() }, { requiredKeys: [] })),
    call('SolveStream', fc.record({ problem: grpcProblem() }, { requiredKeys: [] })),
    call('Classify', fc.record({ text: oddString() }, { requiredKeys: [] })),
    call(
      'SubmitBatch',
      fc.record(
        {
          problems: fc.array(grpcProblem(), { maxLength: 8 }),
          idempotencyKey: oddString(300),
          priority: fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 32 - 1)),
          metadata: fc.dictionary(oddString(16), oddString(32), { maxKeys: 4 }),
        },
        { requiredKeys: [] },
      ),
    ),
    call('GetBatch', fc.record({ batchId: batchId(known) }, { requiredKeys: [] })),
    call('CancelBatch', fc.record({ batchId: batchId(known) }, { requiredKeys: [] })),
    call(
      'WatchBatch',
      fc.record({ batchId: batchId(known), fromIndex: fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 32 - 1)) }, { requiredKeys: [] }),
    ),
  );
}
