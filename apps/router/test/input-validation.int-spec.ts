import * as grpc from '@grpc/grpc-js';
import { loadProto, type Problem } from '@slm/contracts';
import { getJson, postJson, startHarness, type Harness } from './router-harness';

type RouterClient = InstanceType<ReturnType<typeof loadProto>['slmrouter']['v1']['Router']>;
type GrpcOutcome = { ok: true; response: Record<string, any> } | { ok: false; code: grpc.status; details: string }; // eslint-disable-line @typescript-eslint/no-explicit-any

const ID_RULE = /must be 1 to 128 characters from A-Z a-z 0-9 \. _ : -/;
/** The longest id the contract allows, every kind of character in it. */
const LONGEST_ID = `AZaz09._:-${'x'.repeat(118)}`;
/** Ids outside the contract's alphabet or length, and what the message must say about each. */
const BAD_IDS: [string, string, RegExp][] = [
  ['non-ASCII', 'réq-1', /character 2 is U\+00E9 \(é\)/],
  ['CR/LF', 'a\r\nb', /character 2 is U\+000D/],
  ['a space', 'a b', /character 2 is U\+0020/],
  ['129 characters', 'a'.repeat(129), /it has 129 characters/],
  ['100,000 characters', 'a'.repeat(100_000), /it has 100000 characters/],
];

function unary(client: RouterClient, method: 'solve' | 'submitBatch' | 'getBatch' | 'classify', request: object): Promise<GrpcOutcome> {
  return new Promise((resolve) =>
    (
      client[method] as (
        request: object,
        options: grpc.CallOptions,
        callback: (error: grpc.ServiceError | null, response?: object) => void,
      ) => void
    )(
      request,
      { deadline: Date.now() + 10_000 },
      (error, response) =>
        resolve(error ? { ok: false, code: error.code, details: error.details } : { ok: true, response: response as Record<string, any> }), // eslint-disable-line @typescript-eslint/no-explicit-any
    ),
  );
}

function streamError(client: RouterClient, problem: Problem): Promise<GrpcOutcome> {
  return new Promise((resolve) => {
    const call = client.solveStream({ problem }, { deadline: Date.now() + 10_000 });
    call.on('data', () => undefined);
    call.on('error', (error: grpc.ServiceError) => resolve({ ok: false, code: error.code, details: error.details }));
    call.on('end', () => resolve({ ok: true, response: {} }));
  });
}

function workerCalls(h: Harness): number {
  return Object.values(h.workers).reduce((sum, worker) => sum + worker.calls.length, 0);
}

describe('caller input at the router edges (fake workers on loopback gRPC)', () => {
  let h: Harness;
  let client: RouterClient;
  beforeAll(async () => {
    h = await startHarness({ ROUTER_MAX_BODY_BYTES: '400000' });
    client = new (loadProto().slmrouter.v1.Router)(`127.0.0.1:${h.router.grpcPort}`, grpc.credentials.createInsecure());
    // On a busy machine the first background health check can time out and leave a domain without
    // a replica for its first request: /readyz turns 200 once a later round has seen them all serving.
    while ((await getJson(`${h.base}/readyz`)).status !== 200);
  });
  afterAll(async () => {
    client.close();
    await h.close();
  });

  describe('request ids and idempotency keys: 1 to 128 of [A-Za-z0-9._:-], else 400 / INVALID_ARGUMENT', () => {
    it('the longest id of the alphabet is accepted and echoed (REST body, stream result, x-request-id header, gRPC)', async () => {
      const res = await postJson(`${h.base}/v1/solve`, { text: 'integral of x', requestId: LONGEST_ID });
      expect(res.status).toBe(200);
      expect(res.json.result.requestId).toBe(LONGEST_ID);
      const stream = await postJson(
        `${h.base}/v1/solve`,
        { messages: [{ role: 'user', content: 'integral of x' }], requestId: LONGEST_ID, stream: true },
        { 'x-request-id': LONGEST_ID },
      );
      expect(stream.headers.get('x-request-id')).toBe(LONGEST_ID);
      expect(stream.text).toContain(`"requestId":"${LONGEST_ID}"`);
      const solved = await unary(client, 'solve', { problem: { text: 'integral of x', requestId: LONGEST_ID } });
      expect(solved).toMatchObject({ ok: true, response: { result: { requestId: LONGEST_ID } } });
    });

    it.each(BAD_IDS)('REST /v1/solve refuses a requestId with %s, streamed or not, before any worker call', async (_name, id, detail) => {
      const calls = workerCalls(h);
      for (const body of [
        { text: 'integral of x', requestId: id },
        { text: 'integral of x', requestId: id, stream: true },
        { messages: [{ role: 'user', content: 'integral of x' }], requestId: id },
      ]) {
        const res = await postJson(`${h.base}/v1/solve`, body);
        expect(res.status).toBe(400);
        expect(res.headers.get('content-type')).toContain('application/json');
        expect(res.json.error.code).toBe('INVALID_ARGUMENT');
        expect(res.json.error.message).toMatch(/requestId: /);
        expect(res.json.error.message).toMatch(ID_RULE);
        expect(res.json.error.message).toMatch(detail);
        expect(res.json.error.message.length).toBeLessThan(300);
      }
      expect(workerCalls(h)).toBe(calls);
    });

    it('REST refuses an empty requestId (omit the field to have one generated)', async () => {
      const res = await postJson(`${h.base}/v1/solve`, { text: 'integral of x', requestId: '' });
      expect(res.status).toBe(400);
      expect(res.json.error.message).toMatch(/requestId: .*it is empty/);
    });

    it.each(BAD_IDS)(
      'gRPC Solve and SolveStream refuse a request_id with %s: INVALID_ARGUMENT before any worker call',
      async (_name, id, detail) => {
        const calls = workerCalls(h);
        for (const outcome of [
          await unary(client, 'solve', { problem: { text: 'integral of x', requestId: id } }),
          await streamError(client, { text: 'integral of x', requestId: id }),
        ]) {
          expect(outcome).toMatchObject({ ok: false, code: grpc.status.INVALID_ARGUMENT });
          const details = (outcome as { details: string }).details;
          expect(details).toMatch(/^problem\.requestId: /);
          expect(details).toMatch(ID_RULE);
          expect(details).toMatch(detail);
        }
        // Nothing reached a worker (a 100,000-character id used to go out as gRPC metadata, and the
        // worker's connection was reset under it); the router still solves afterwards.
        expect(workerCalls(h)).toBe(calls);
        expect((await unary(client, 'solve', { problem: { text: 'integral of x', requestId: 'after-1' } })).ok).toBe(true);
      },
    );

    it('REST batches refuse a bad item requestId, and a bad idempotency key in the body or the Idempotency-Key header', async () => {
      const item = await postJson(`${h.base}/v1/batches`, [
        { text: 'integral of x', requestId: 'ok-1' },
        { text: 'python bug', requestId: 'bad id' },
      ]);
      expect(item.status).toBe(400);
      expect(item.json.error.message).toMatch(/problems\[1\]: requestId: must be 1 to 128 characters/);
      const body = await postJson(`${h.base}/v1/batches`, { problems: [{ text: 'integral of x' }], idempotencyKey: 'clé' });
      expect(body.status).toBe(400);
      expect(body.json.error.message).toMatch(/idempotencyKey: must be 1 to 128 characters.*U\+00E9/);
      for (const key of ['k'.repeat(129), 'cl\u00e9']) {
        const header = await postJson(`${h.base}/v1/batches`, [{ text: 'integral of x' }], { 'idempotency-key': key });
        expect(header.status).toBe(400);
        expect(header.json.error).toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: expect.stringMatching(/^Idempotency-Key header: must be 1 to 128 characters/),
        });
      }
      const upload = await fetch(`${h.base}/v1/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/jsonl' },
        body: '{"text": "integral of x", "requestId": "a\\nb"}\n',
      });
      expect(upload.status).toBe(400);
    });

    it('gRPC SubmitBatch refuses a bad problem request_id and a bad idempotency_key', async () => {
      const item = await unary(client, 'submitBatch', {
        problems: [{ text: 'integral of x' }, { text: 'python bug', requestId: 'x'.repeat(100_000) }],
      });
      expect(item).toMatchObject({
        ok: false,
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringMatching(/problems\[1\]\.requestId: must be 1 to 128 characters from .*; it has 100000 characters/),
      });
      const key = await unary(client, 'submitBatch', { problems: [{ text: 'integral of x' }], idempotencyKey: 'key\r\n1' });
      expect(key).toMatchObject({
        ok: false,
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringMatching(/idempotencyKey: must be 1 to 128 characters from .*; character 4 is U\+000D/),
      });
    });

    it("the OpenAI `user` field is not an id: any text is kept as metadata, the request id is the router's", async () => {
      const res = await postJson(`${h.base}/v1/chat/completions`, {
        model: 'auto',
        user: 'Zoë\r\n',
        messages: [{ role: 'user', content: 'integral of x' }],
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(h.workers.math.calls.at(-1)?.problem?.metadata).toEqual({ user: 'Zoë\r\n' });
    });
  });

  describe('a conversation without a user message is a 400, not a routing outcome', () => {
    const assistantOnly = [{ role: 'assistant', content: 'integral of x' }];

    it('OpenAI chat completions', async () => {
      const res = await postJson(`${h.base}/v1/chat/completions`, { model: 'auto', messages: assistantOnly });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({
        code: 'INVALID_ARGUMENT',
        type: 'invalid_request_error',
        message: expect.stringMatching(/no user message/),
      });
    });

    it('REST /v1/solve messages, gRPC Solve and batches', async () => {
      const calls = workerCalls(h);
      const rest = await postJson(`${h.base}/v1/solve`, { messages: [{ role: 'system', content: 'be brief' }, ...assistantOnly] });
      expect(rest.status).toBe(400);
      expect(rest.json.error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/no user message/) });
      const blank = await postJson(`${h.base}/v1/solve`, { messages: [{ role: 'user', content: '  ' }, ...assistantOnly] });
      expect(blank.json.error.message).toMatch(/no user message/);
      const viaGrpc = await unary(client, 'solve', { problem: { conversation: { messages: assistantOnly } } });
      expect(viaGrpc).toMatchObject({ ok: false, code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/no user message/) });
      const batch = await postJson(`${h.base}/v1/batches`, [{ text: 'integral of x' }, { messages: assistantOnly }]);
      expect(batch.json.error.message).toMatch(/problems\[1\].*no user message/);
      expect(workerCalls(h)).toBe(calls);
    });
  });

  it('an image content part gets a 400 that says image parts are not supported', async () => {
    const res = await postJson(`${h.base}/v1/chat/completions`, {
      model: 'auto',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          ],
        },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'INVALID_ARGUMENT', type: 'invalid_request_error' });
    expect(res.json.error.message).toMatch(/messages\.0\.content: image content parts \(type image_url\) are not supported/);
    // Text parts still work.
    const text = await postJson(`${h.base}/v1/chat/completions`, {
      model: 'auto',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'integral of x' }] }],
    });
    expect(text.status).toBe(200);
  });

  describe('bodies must be valid UTF-8, and text must be characters: no NUL, no unpaired surrogate', () => {
    const invalidUtf8 = Buffer.concat([Buffer.from('{"text": "integral of '), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);

    it('invalid UTF-8 is a 400 on every body route (JSON, JSONL upload, OpenAI)', async () => {
      const calls = workerCalls(h);
      for (const [path, type] of [
        ['/v1/solve', 'application/json'],
        ['/v1/batches', 'application/jsonl'],
        ['/v1/chat/completions', 'application/json'],
      ]) {
        const res = await fetch(`${h.base}${path}`, { method: 'POST', headers: { 'content-type': type }, body: invalidUtf8 });
        expect(res.status).toBe(400);
        const { error } = (await res.json()) as { error: { code: string; message: string } };
        expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'body is not valid UTF-8' });
      }
      expect(workerCalls(h)).toBe(calls);
    });

    it('a NUL character in problem text is a 400 / INVALID_ARGUMENT (REST, OpenAI, batches, classify, gRPC)', async () => {
      const calls = workerCalls(h);
      const rest = await postJson(`${h.base}/v1/solve`, { text: 'integral\u0000 of x' });
      expect(rest.status).toBe(400);
      expect(rest.json.error.message).toBe('problem.text: contains a NUL character (U+0000) at position 9; send text only');
      const messages = await postJson(`${h.base}/v1/chat/completions`, {
        model: 'auto',
        messages: [{ role: 'user', content: 'integral of x\u0000' }],
      });
      expect(messages.status).toBe(400);
      expect(messages.json.error.message).toMatch(/NUL/);
      const batch = await postJson(`${h.base}/v1/batches`, [{ text: 'integral of x' }, { text: '\u0000' }]);
      expect(batch.status).toBe(400);
      const classify = await postJson(`${h.base}/v1/classify`, { text: 'integral\u0000' });
      expect(classify.status).toBe(400);
      const viaGrpc = await unary(client, 'solve', { problem: { text: 'integral\u0000 of x' } });
      expect(viaGrpc).toMatchObject({ ok: false, code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/NUL/) });
      const classifyGrpc = await unary(client, 'classify', { text: 'integral\u0000' });
      expect(classifyGrpc).toMatchObject({ ok: false, code: grpc.status.INVALID_ARGUMENT });
      expect(workerCalls(h)).toBe(calls);
    });

    it('an unpaired surrogate escape (\\ud800) in problem text is a 400, not a silent U+FFFD', async () => {
      const calls = workerCalls(h);
      const res = await postJson(`${h.base}/v1/solve`, `{"text": "integral \\ud800 of x"}`);
      expect(res.status).toBe(400);
      expect(res.json.error.message).toMatch(/^problem\.text: contains an unpaired surrogate \(U\+D800\) at position 10/);
      const stop = await postJson(`${h.base}/v1/solve`, `{"text": "integral of x", "options": {"stop": ["\\udc00"]}}`);
      expect(stop.json.error.message).toMatch(/^problem\.options\.stop\[0\]: contains an unpaired surrogate/);
      // A pair is one character and fine.
      expect((await postJson(`${h.base}/v1/solve`, `{"text": "integral of \\ud83d\\ude00"}`)).status).toBe(200);
      expect(workerCalls(h)).toBe(calls + 1);
    });
  });

  describe('error messages quote caller input at most 64 characters', () => {
    const long = 'b'.repeat(10_000);
    const expectBounded = (message: string, quoted = `${'b'.repeat(64)}…`) => {
      expect(message).toContain(quoted);
      expect(message).not.toContain('b'.repeat(65));
      expect(message.length).toBeLessThan(300);
    };

    it('an unknown batch id (status, results, cancel; REST and gRPC)', async () => {
      for (const res of [
        await fetch(`${h.base}/v1/batches/${long}`),
        await fetch(`${h.base}/v1/batches/${long}/results`),
        await fetch(`${h.base}/v1/batches/${long}`, { method: 'DELETE' }),
      ]) {
        expect(res.status).toBe(404);
        expectBounded(((await res.json()) as { error: { message: string } }).error.message);
      }
      const viaGrpc = await unary(client, 'getBatch', { batchId: long });
      expect(viaGrpc).toMatchObject({ ok: false, code: grpc.status.NOT_FOUND });
      expectBounded((viaGrpc as { details: string }).details);
    });

    it('an unknown model, route, field or content type', async () => {
      const model = await postJson(`${h.base}/v1/chat/completions`, { model: long, messages: [{ role: 'user', content: 'x' }] });
      expect(model.status).toBe(404);
      expectBounded(model.json.error.message);
      const route = await getJson(`${h.base}/v1/${long}`);
      expect(route.status).toBe(404);
      expectBounded(route.json.error.message, `/v1/${'b'.repeat(60)}…`);
      const field = await postJson(`${h.base}/v1/solve`, { text: 'x', [long]: 1 });
      expect(field.status).toBe(400);
      expectBounded(field.json.error.message);
      const type = await fetch(`${h.base}/v1/solve`, { method: 'POST', headers: { 'content-type': `application/${long}` }, body: '{}' });
      expect(type.status).toBe(400);
      expectBounded(((await type.json()) as { error: { message: string } }).error.message, `application/${'b'.repeat(52)}…`);
    });
  });

  describe('one schema for generation options: every surface refuses what the others refuse', () => {
    /** Options outside the shared bounds, the field each names, and gRPC-only values JSON cannot carry. */
    const BAD_OPTIONS: [string, Record<string, unknown>, RegExp][] = [
      ['temperature 1e9', { temperature: 1e9 }, /options\.temperature: must be at most 2/],
      ['repetition penalty 1e30', { repetitionPenalty: 1e30 }, /options\.repetitionPenalty: must be at most 10/],
      ['topK past the vocabulary', { topK: 1_000_000 }, /options\.topK: must be at most 128256/],
      ['a 1,000-character stop sequence', { stop: ['x'.repeat(1000)] }, /options\.stop\.0: must be at most 256 characters/],
    ];

    it.each(BAD_OPTIONS)(
      '%s: REST /v1/solve, a REST batch item, gRPC Solve and gRPC SubmitBatch all answer INVALID_ARGUMENT naming it',
      async (_name, options, message) => {
        const calls = workerCalls(h);
        const rest = await postJson(`${h.base}/v1/solve`, { text: 'integral of x', options });
        expect(rest.status).toBe(400);
        expect(rest.json.error.message).toMatch(message);
        const batch = await postJson(`${h.base}/v1/batches`, { problems: [{ text: 'integral of x', options }] });
        expect(batch.status).toBe(400);
        expect(batch.json.error.message).toMatch(message);
        for (const outcome of [
          await unary(client, 'solve', { problem: { text: 'integral of x', options } }),
          await unary(client, 'submitBatch', { problems: [{ text: 'integral of x', options }] }),
        ]) {
          expect(outcome).toMatchObject({ ok: false, code: grpc.status.INVALID_ARGUMENT });
          expect((outcome as { details: string }).details).toMatch(message);
        }
        expect(workerCalls(h)).toBe(calls);
      },
    );

    it('the OpenAI endpoint has the same bounds in its own spelling (temperature above 2, top_p 0)', async () => {
      for (const [field, value, message] of [
        ['temperature', 2.5, /temperature: must be at most 2/],
        ['top_p', 0, /top_p: must be in \(0, 1\]/],
        ['max_tokens', 1e9, /max_tokens: must be at most 32768/],
      ] as const) {
        const res = await postJson(`${h.base}/v1/chat/completions`, {
          model: 'auto',
          messages: [{ role: 'user', content: 'integral of x' }],
          [field]: value,
        });
        expect(res.status).toBe(400);
        expect(res.json.error.message).toMatch(message);
      }
      const atTheBound = await postJson(`${h.base}/v1/chat/completions`, {
        model: 'auto',
        messages: [{ role: 'user', content: 'integral of x' }],
        temperature: 2,
      });
      expect(atTheBound.status).toBe(200);
    });

    it('gRPC refuses what JSON cannot send: NaN and infinite floats in a batch item, an unknown domain enum value', async () => {
      for (const temperature of [NaN, Infinity]) {
        const outcome = await unary(client, 'submitBatch', {
          problems: [{ text: 'integral of x' }, { text: 'integral of x', options: { temperature } }],
        });
        expect(outcome).toMatchObject({ ok: false, code: grpc.status.INVALID_ARGUMENT });
        expect((outcome as { details: string }).details).toMatch(/problems\[1\]\.options\.temperature: must be a finite number/);
      }
      const unknownDomain = await unary(client, 'solve', { problem: { text: 'integral of x', domainOverride: 99 } });
      expect(unknownDomain).toMatchObject({ ok: false, code: grpc.status.INVALID_ARGUMENT });
      expect((unknownDomain as { details: string }).details).toMatch(/domainOverride: unknown domain 99/);
    });

    it('gRPC refuses a 10,000-character idempotency key', async () => {
      const outcome = await unary(client, 'submitBatch', { problems: [{ text: 'integral of x' }], idempotencyKey: 'k'.repeat(10_000) });
      expect(outcome).toMatchObject({ ok: false, code: grpc.status.INVALID_ARGUMENT });
      expect((outcome as { details: string }).details).toMatch(/idempotencyKey: .*it has 10000 characters/);
    });

    it('options at the bounds are accepted everywhere', async () => {
      const options = {
        temperature: 2,
        repetitionPenalty: 10,
        topK: 128_256,
        topP: 1,
        seed: 0xffffffff,
        stop: ['s'.repeat(256)],
        maxNewTokens: 16,
      };
      expect((await postJson(`${h.base}/v1/solve`, { text: 'integral of x', options })).status).toBe(200);
      expect(await unary(client, 'solve', { problem: { text: 'integral of x', options } })).toMatchObject({ ok: true });
    });
  });

  it('sends no X-Powered-By header', async () => {
    for (const res of [
      await fetch(`${h.base}/healthz`),
      await fetch(`${h.base}/v1/nope`),
      await fetch(`${h.base}/v1/solve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"text": "integral of x"}',
      }),
      await fetch(`${h.base}/v1/models`),
    ]) {
      expect(res.headers.get('x-powered-by')).toBeNull();
      await res.arrayBuffer();
    }
  });
});
