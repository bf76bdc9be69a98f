import { getJson, startHarness, parseSse, postJson, type Harness } from './router-harness';

describe('router REST API (fake workers on loopback gRPC)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ ROUTER_MAX_PROBLEM_CHARS: '1000', ROUTER_MAX_BODY_BYTES: '20000', ROUTER_MAX_NEW_TOKENS_LIMIT: '512' });
  });
  afterAll(() => h.close());

  it('POST /v1/solve classifies and answers from the chosen worker, route included', async () => {
    const res = await postJson(`${h.base}/v1/solve`, { text: 'solve the equation x+1=2', metadata: { tenant: 'a' } });
    expect(res.status).toBe(200);
    expect(res.json.result.answer).toBe('math:solve the equation x+1=2');
    expect(res.json.result.route).toMatchObject({ domain: 'DOMAIN_MATH', overridden: false, fallback: false, threshold: 0.5 });
    expect(res.json.result.metadata).toEqual({ tenant: 'a' });
    expect(res.json.result.requestId).toMatch(/[0-9a-f-]{36}/);
    // The decision is the router's: the worker is not sent it only to echo it back.
    expect(h.workers.math.calls.at(-1)?.route).toBeNull();
  });

  it('an explicit domain overrides the classifier', async () => {
    const res = await postJson(`${h.base}/v1/solve`, { text: 'solve the equation', domain: 'code', requestId: 'r-1' });
    expect(res.json.result).toMatchObject({ answer: 'code:solve the equation', requestId: 'r-1' });
    expect(res.json.result.route).toMatchObject({ domain: 'DOMAIN_CODE', overridden: true });
  });

  it('low confidence and "other" go to the configured fallback domain', async () => {
    const res = await postJson(`${h.base}/v1/solve`, { text: 'who won the football cup' });
    expect(res.json.result.route).toMatchObject({
      domain: 'DOMAIN_SCIENCE',
      fallback: true,
      fallbackReason: expect.stringMatching(/^classified as other/),
    });
    const unsure = await postJson(`${h.base}/v1/solve`, { text: 'unsure python' });
    expect(unsure.json.result.route).toMatchObject({
      domain: 'DOMAIN_SCIENCE',
      fallback: true,
      fallbackReason: expect.stringMatching(/^below threshold: code p=0.300 < 0.5/),
    });
  });

  it('streams route, deltas and the result as server-sent events (stream: true or Accept)', async () => {
    for (const request of [
      { body: { text: 'python bug', stream: true }, headers: {} },
      { body: { text: 'python bug' }, headers: { accept: 'text/event-stream' } },
    ] as { body: object; headers: Record<string, string> }[]) {
      const res = await postJson(`${h.base}/v1/solve`, request.body, request.headers);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const events = parseSse(res.text);
      expect(events.map((e) => e.event)).toEqual(['route', 'delta', 'delta', 'delta', 'result']);
      expect(JSON.parse(events[0]?.data ?? '{}').domain).toBe('DOMAIN_CODE');
      expect(JSON.parse(events[1]?.data ?? '{}')).toMatchObject({ text: 'thinking', channel: 'CHANNEL_REASONING' });
      expect(JSON.parse(events[4]?.data ?? '{}').answer).toBe('code:python bug');
    }
  });

  it('a stream that breaks after a token ends with an error event, without retrying elsewhere', async () => {
    h.workers.science.behaviour = { breakAfterDeltas: 1 };
    try {
      const calls = h.workers.science.calls.length;
      const res = await postJson(`${h.base}/v1/solve`, { text: 'atom energy', stream: true });
      const events = parseSse(res.text);
      expect(events.map((e) => e.event)).toEqual(['route', 'delta', 'error']);
      expect(JSON.parse(events[2]?.data ?? '{}').code).toBe('NO_HEALTHY_REPLICA');
      expect(h.workers.science.calls.length).toBe(calls + 1);
    } finally {
      h.workers.science.behaviour = {};
    }
  });

  it('POST /v1/classify answers the decision without solving', async () => {
    const res = await postJson(`${h.base}/v1/classify`, { text: 'integral of x' });
    expect(res.status).toBe(200);
    expect(res.json.route.domain).toBe('DOMAIN_MATH');
    expect(res.json.route.scores).toHaveLength(4);
    expect(res.json.route.scores[0]).toMatchObject({ domain: 'DOMAIN_MATH' });
  });

  describe('caller mistakes get a 4xx with {error: {code, message}}', () => {
    it.each([
      ['malformed JSON', '{"text": ', 400, 'INVALID_ARGUMENT', /malformed JSON/],
      ['no text', {}, 400, 'INVALID_ARGUMENT', /exactly one of text or messages/],
      ['unknown field', { text: 'x', bogus: 1 }, 400, 'INVALID_ARGUMENT', /bogus/],
      ['bad option', { text: 'x', options: { temperature: -1 } }, 400, 'INVALID_ARGUMENT', /options.temperature/],
      ['too long', { text: 'x'.repeat(1001) }, 400, 'INPUT_TOO_LONG', /ROUTER_MAX_PROBLEM_CHARS/],
      [
        'maxNewTokens over the limit',
        { text: 'x', options: { maxNewTokens: 513 } },
        400,
        'INVALID_ARGUMENT',
        /ROUTER_MAX_NEW_TOKENS_LIMIT/,
      ],
      ['oversize body', { text: 'x'.repeat(30_000) }, 413, 'PAYLOAD_TOO_LARGE', /ROUTER_MAX_BODY_BYTES/],
      ['a JSON array', [1, 2], 400, 'INVALID_ARGUMENT', /expected object/],
    ])('%s', async (_name, body, status, code, message) => {
      const res = await postJson(`${h.base}/v1/solve`, body);
      expect(res.status).toBe(status);
      expect(res.json.error.code).toBe(code);
      expect(res.json.error.message).toMatch(message);
    });

    it('an unknown route is a JSON 404', async () => {
      const res = await getJson(`${h.base}/v1/nope`);
      expect(res.status).toBe(404);
      expect(res.json).toEqual({ error: { code: 'NOT_FOUND', message: 'no route GET /v1/nope' } });
    });

    it('a wrong content type is a 400', async () => {
      const res = await fetch(`${h.base}/v1/solve`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_ARGUMENT');
    });
  });

  it('GET /healthz and /readyz report liveness and readiness', async () => {
    expect(await (await fetch(`${h.base}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await getJson(`${h.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({
      status: 'ready',
      redis: 'up',
      workers: { math: { serving: true }, code: { serving: true }, science: { serving: true } },
    });
  });

  it('GET /readyz is 503 when a domain has no serving replica', async () => {
    h.workers.code.setServing(false);
    try {
      // /readyz reports what the background health checks (every 200 ms here) last saw.
      let res = await getJson(`${h.base}/readyz`);
      while (res.status === 200) res = await getJson(`${h.base}/readyz`);
      expect(res.status).toBe(503);
      expect(res.json.workers.code.replicas[0].state).toBe('not_serving');
    } finally {
      h.workers.code.setServing(true);
      while ((await getJson(`${h.base}/readyz`)).status !== 200);
    }
  });

  it('GET /metrics exposes requests, decisions, latency and queue depths', async () => {
    const res = await fetch(`${h.base}/metrics`);
    const text = await res.text();
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(text).toMatch(/slm_router_requests_total\{ingress="rest",operation="solve",code="OK"\} \d+/);
    expect(text).toMatch(/slm_router_route_decisions_total\{domain="math",kind="classified"\} \d+/);
    expect(text).toContain('slm_router_request_duration_seconds_bucket');
    expect(text).toContain('slm_router_time_to_first_token_seconds_bucket');
    expect(text).toMatch(/slm_router_queue_jobs\{queue="solve-math",state="waiting"\} 0/);
  });

  it('GET /openapi.json documents every route with the request schemas', async () => {
    const doc = (await getJson(`${h.base}/openapi.json`)).json;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/solve',
        '/v1/classify',
        '/v1/chat/completions',
        '/v1/models',
        '/v1/batches',
        '/v1/batches/{id}',
        '/v1/batches/{id}/results',
        '/healthz',
        '/readyz',
        '/metrics',
      ]),
    );
    const ref: string = doc.paths['/v1/solve'].post.requestBody.content['application/json'].schema.$ref;
    const schema = doc.components.schemas[ref.replace('#/components/schemas/', '')];
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['text', 'messages', 'domain', 'options', 'stream']));
  });
});
