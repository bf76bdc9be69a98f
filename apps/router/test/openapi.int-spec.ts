import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { getJson, parseSse, postJson, startHarness, type Harness } from './router-harness';

/* eslint-disable @typescript-eslint/no-explicit-any -- the document and the answers are JSON read off the wire */

const DOC_ID = 'urn:slm-router:openapi';
/** Routes that serve the document and its page rather than the API. */
const DOCS_ROUTES = /^\/(openapi\.json|docs(\/.*)?)$/;

/** The validator package's own CLI: it is an ES module, which Jest's CommonJS runtime cannot require. */
async function validateOpenApi(document: unknown): Promise<{ valid: boolean; errors?: unknown }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'openapi-'));
  try {
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const cli = path.join(path.dirname(require.resolve('@seriousme/openapi-schema-validator/package.json')), 'bin/validate-api-cli.js');
    const { stdout } = await promisify(execFile)(process.execPath, [cli, file]).catch((error: { stdout?: string }) => ({
      stdout: error.stdout ?? '',
    }));
    return JSON.parse(stdout) as { valid: boolean; errors?: unknown };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The routes of Fastify's route tree (`printRoutes({ commonPrefix: false })`): full path, lower-case methods. */
function servedRoutes(tree: string): { path: string; methods: string[] }[] {
  const parents: string[] = [];
  const routes: { path: string; methods: string[] }[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    parents.length = depth;
    const path = `${parents.join('')}${match[2]}`;
    parents.push(match[2] ?? '');
    if (match[3]) routes.push({ path, methods: match[3].split(', ').map((m) => m.toLowerCase()) });
  }
  return routes;
}

/** JSON pointer segment (RFC 6901). */
const pointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

describe('OpenAPI document and /docs', () => {
  let h: Harness;
  let doc: any;
  let ajv: Ajv2020;

  /** A validator for the schema the document gives an answer, resolved inside the document itself. */
  const responseValidator = (route: string, method: string, status: number, media = 'application/json'): ValidateFunction => {
    const schema = doc.paths[route]?.[method]?.responses?.[String(status)]?.content?.[media]?.schema;
    if (!schema) throw new Error(`no ${media} schema documented for ${method} ${route} ${status}`);
    return ajv.compile({ $ref: `${DOC_ID}#/paths/${pointer(route)}/${method}/responses/${status}/content/${pointer(media)}/schema` });
  };
  const component = (name: string): ValidateFunction => ajv.compile({ $ref: `${DOC_ID}#/components/schemas/${name}` });
  const expectValid = (validate: ValidateFunction, value: unknown) => {
    validate(value);
    expect(validate.errors ?? []).toEqual([]);
  };

  beforeAll(async () => {
    h = await startHarness({ ROUTER_MAX_BODY_BYTES: '20000' });
    const res = await getJson(`${h.base}/openapi.json`);
    expect(res.status).toBe(200);
    doc = res.json;
    // The OpenAPI keywords (openapi, info, paths …) are no JSON Schema keywords: not strict.
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ ...doc, $id: DOC_ID });
  });
  afterAll(() => h.close());

  it('is a valid OpenAPI 3.1 document (checked by @seriousme/openapi-schema-validator)', async () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    const result = await validateOpenApi(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    // Every component is a JSON Schema 2020-12 whose references resolve (compiling throws otherwise).
    for (const name of Object.keys(doc.components.schemas)) expect(() => component(name)).not.toThrow();
  });

  it('documents exactly the routes the router serves, each with request, success and error schemas', () => {
    const fastify = h.router.app.getHttpAdapter().getInstance() as { printRoutes(options: { commonPrefix: boolean }): string };
    const served = servedRoutes(fastify.printRoutes({ commonPrefix: false }))
      // The dashboard's page and files are no API operations; HEAD is Fastify's own twin of each GET.
      .filter(({ path }) => !DOCS_ROUTES.test(path) && !path.startsWith('/dashboard'))
      .flatMap(({ path, methods }) =>
        methods.filter((method) => method !== 'head').map((method) => `${method} ${path.replace(/:(\w+)/g, '{$1}')}`),
      );
    const documented = Object.entries(doc.paths).flatMap(([route, item]) =>
      Object.keys(item as object).map((method) => `${method} ${route}`),
    );
    expect(served.length).toBeGreaterThanOrEqual(11);
    expect(documented.sort()).toEqual([...new Set(served)].sort());

    for (const [route, item] of Object.entries<any>(doc.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        const statuses = Object.keys(operation.responses);
        const success = statuses.filter((s) => /^2\d\d$/.test(s) && operation.responses[s].content);
        expect({ operation: `${method} ${route}`, success: success.length > 0 }).toEqual({
          operation: `${method} ${route}`,
          success: true,
        });
        for (const status of statuses) {
          const content = (operation.responses[status].content ?? {}) as Record<string, { schema: object }>;
          expect(Object.values(content).every((media) => media.schema)).toBe(true);
        }
        if (method === 'post') expect(Object.keys(operation.requestBody.content)).toContain('application/json');
        const errorBody = route.startsWith('/v1/chat/') || route === '/v1/models' ? 'OpenAiErrorBody' : 'ErrorBody';
        for (const status of statuses.filter((s) => /^[45]\d\d$/.test(s) && !(route === '/readyz' && s === '503'))) {
          expect(operation.responses[status].content['application/json'].schema).toEqual({ $ref: `#/components/schemas/${errorBody}` });
        }
      }
    }
    const solve = doc.paths['/v1/solve'].post;
    expect(Object.keys(solve.responses)).toEqual(expect.arrayContaining(['200', '400', '413', '422', '429', '503']));
    expect(Object.keys(solve.responses['200'].content)).toEqual(['application/json', 'text/event-stream']);
    expect(Object.keys(doc.paths['/v1/chat/completions'].post.responses)).toEqual(
      expect.arrayContaining(['200', '400', '404', '413', '422', '429', '503']),
    );
    expect(Object.keys(doc.paths['/v1/batches'].post.requestBody.content)).toEqual(['application/json', 'application/jsonl']);
    expect(Object.keys(doc.components.schemas.SolveRequest.properties)).toEqual(
      expect.arrayContaining(['text', 'messages', 'domain', 'options', 'stream']),
    );
  });

  it('the request schemas accept what the handlers accept and refuse what they refuse', () => {
    const solve = component('SolveRequest');
    expect(solve({ text: 'x', options: { maxNewTokens: 8 } })).toBe(true);
    expect(solve({ text: 'x', messages: [{ role: 'user', content: 'y' }] })).toBe(false);
    expect(solve({ text: 'x', unknown: 1 })).toBe(false);
    const chat = component('ChatCompletionRequest');
    expect(chat({ model: 'auto', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], logit_bias: {} })).toBe(true);
    expect(chat({ model: 'auto', messages: [] })).toBe(false);
  });

  it('real answers validate against their documented response schemas', async () => {
    const solved = await postJson(`${h.base}/v1/solve`, { text: 'solve the equation x+1=2' });
    expect(solved.status).toBe(200);
    expectValid(responseValidator('/v1/solve', 'post', 200), solved.json);

    const invalid = await postJson(`${h.base}/v1/solve`, { text: 'x', bogus: true });
    expect({ status: invalid.status, body: invalid.json }).toMatchObject({ status: 400 });
    expectValid(responseValidator('/v1/solve', 'post', 400), invalid.json);
    expect(responseValidator('/v1/solve', 'post', 400)({ error: { code: 'NO_SUCH_CODE', message: 'x' } })).toBe(false);
    const tooLarge = await postJson(`${h.base}/v1/solve`, { text: 'x'.repeat(h.config.limits.maxBodyBytes) });
    expect(tooLarge.status).toBe(413);
    expectValid(responseValidator('/v1/solve', 'post', 413), tooLarge.json);

    const classified = await postJson(`${h.base}/v1/classify`, { text: 'integral of x' });
    expectValid(responseValidator('/v1/classify', 'post', 200), classified.json);

    const completion = await postJson(`${h.base}/v1/chat/completions`, {
      model: 'auto',
      messages: [{ role: 'user', content: 'integral of x' }],
    });
    expect(completion.status).toBe(200);
    expectValid(responseValidator('/v1/chat/completions', 'post', 200), completion.json);
    const noModel = await postJson(`${h.base}/v1/chat/completions`, { model: 'gpt-x', messages: [{ role: 'user', content: 'hi' }] });
    expect(noModel.status).toBe(404);
    expectValid(responseValidator('/v1/chat/completions', 'post', 404), noModel.json);
    expectValid(responseValidator('/v1/models', 'get', 200), (await getJson(`${h.base}/v1/models`)).json);

    const submitted = await postJson(`${h.base}/v1/batches`, { problems: [{ text: 'integral of x' }] });
    expect(submitted.status).toBe(202);
    expectValid(responseValidator('/v1/batches', 'post', 202), submitted.json);
    const status = await getJson(`${h.base}/v1/batches/${submitted.json.batchId}`);
    expectValid(responseValidator('/v1/batches/{id}', 'get', 200), status.json);
    const missing = await getJson(`${h.base}/v1/batches/nope`);
    expect(missing.status).toBe(404);
    expectValid(responseValidator('/v1/batches/{id}', 'get', 404), missing.json);
    const cancelled = await fetch(`${h.base}/v1/batches/${submitted.json.batchId}`, { method: 'DELETE' });
    expectValid(responseValidator('/v1/batches/{id}', 'delete', 200), await cancelled.json());
    const lines = (await (await fetch(`${h.base}/v1/batches/${submitted.json.batchId}/results`)).text()).split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    for (const line of lines) expectValid(component('BatchItem'), JSON.parse(line));

    expectValid(responseValidator('/healthz', 'get', 200), (await getJson(`${h.base}/healthz`)).json);
    const ready = await getJson(`${h.base}/readyz`);
    expectValid(responseValidator('/readyz', 'get', ready.status), ready.json);
  });

  it('streamed events match the schemas the stream descriptions name', async () => {
    const solved = await postJson(`${h.base}/v1/solve`, { text: 'python bug', stream: true });
    const events = parseSse(solved.text);
    expect(events.map((e) => e.event)).toEqual(['route', 'delta', 'delta', 'delta', 'result']);
    const schemaOf: Record<string, string> = { route: 'RouteDecision', delta: 'TokenDelta', result: 'Result' };
    for (const event of events) expectValid(component(schemaOf[event.event] ?? 'none'), JSON.parse(event.data));

    const chat = await postJson(`${h.base}/v1/chat/completions`, {
      model: 'auto',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'integral of x' }],
    });
    const chunks = parseSse(chat.text).map((e) => e.data);
    expect(chunks.at(-1)).toBe('[DONE]');
    for (const chunk of chunks.slice(0, -1)) expectValid(component('ChatCompletionChunk'), JSON.parse(chunk));
  });

  it('GET /docs serves a Swagger UI page whose scripts and styles come from the router itself', async () => {
    const page = await fetch(`${h.base}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    const assets = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)=["']([^"']+)["']/g)].map((m) => m[1] ?? '');
    expect(assets.filter((a) => a.endsWith('.js'))).toHaveLength(3);
    expect(assets.filter((a) => a.endsWith('.css'))).toHaveLength(1);
    for (const asset of assets) {
      const url = new URL(asset, `${h.base}/docs`);
      expect(url.origin).toBe(h.base);
      const res = await fetch(url);
      expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
    // The page renders the same document that /openapi.json serves.
    const init = await (await fetch(`${h.base}/docs/swagger-ui-init.js`)).text();
    expect(init).toContain(`"openapi": "${doc.openapi}"`);
    expect(init).toContain('"/v1/chat/completions"');
  });
});
