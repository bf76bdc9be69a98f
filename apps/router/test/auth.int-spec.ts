import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import Redis from 'ioredis';
import OpenAI from 'openai';
import { loadProto, type BatchItem } from '@slm/contracts';
import { ApiKeyStore, type CreateApiKeyOptions } from '@slm/platform';
import { QueueWorkers } from './queue-workers';
import { postJson, startHarness, untilReady, type Harness } from './router-harness';

type RouterClient = InstanceType<ReturnType<typeof loadProto>['slmrouter']['v1']['Router']>;

const REDIS_URL = process.env.REDIS_URL as string;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined;
  return { status: res.status, headers: res.headers, text, json };
}

async function until(predicate: () => Promise<boolean>, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 50))) {
    if (await predicate()) return;
  }
  throw new Error(`condition not met within ${ms} ms`);
}

/** Runs the built `slm` command (bin/slm.js) as a user does; resolves with its exit code and output. */
function slm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [path.join(__dirname, '../../../bin/slm.js'), ...args], { timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

function grpcCall(
  client: RouterClient,
  method: 'solve' | 'submitBatch',
  request: object,
  key?: string,
): Promise<{ error: grpc.ServiceError | null; response: unknown }> {
  const metadata = new grpc.Metadata();
  if (key !== undefined) metadata.set('authorization', key.startsWith('Bearer') ? key : `Bearer ${key}`);
  return new Promise((resolve) => {
    (client[method] as (r: object, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: unknown) => void) => void)(
      request,
      metadata,
      { deadline: Date.now() + 10_000 },
      (error, response) => resolve({ error, response }),
    );
  });
}

describe('API keys, scopes and per-key limits on a real router with real Redis', () => {
  const prefix = `auth${randomUUID().slice(0, 8)}`;
  let redis: Redis;
  let store: ApiKeyStore;
  let h: Harness;
  let grpcClient: RouterClient;
  const keys: Record<string, string> = {};
  const create = async (name: string, options: Omit<CreateApiKeyOptions, 'name'> = {}) => {
    const { key, record } = await store.create({ name, ...options });
    keys[name] = key;
    return record.id;
  };

  beforeAll(async () => {
    redis = new Redis(REDIS_URL);
    store = new ApiKeyStore(redis, prefix);
    await create('full', { scopes: ['solve', 'batch', 'admin'] });
    await create('tenantB', { scopes: ['solve', 'batch'] });
    await create('solveOnly', { scopes: ['solve'] });
    await create('batchOnly', { scopes: ['batch'] });
    await create('revoked');
    await store.revoke(keys.revoked!.split('_')[1]!);
    await create('expired', { expiresAt: new Date(Date.now() - 60_000) });
    await create('rpm2', { limits: { rpm: 2 } });
    await create('rpmGrpc', { limits: { rpm: 1 } });
    await create('rpmOpenAi', { limits: { rpm: 1 } });
    await create('conc1', { limits: { concurrency: 1 } });
    await create('tpm3', { limits: { tokensPerMinute: 3 } });
    await create('batch2', { limits: { batchProblems: 2 } });
    h = await startHarness({ QUEUE_PREFIX: prefix, ROUTER_API_KEYS_REFRESH_MS: '200' });
    await untilReady(h);
    grpcClient = new (loadProto().slmrouter.v1.Router)(`127.0.0.1:${h.router.grpcPort}`, grpc.credentials.createInsecure()) as RouterClient;
  });
  afterAll(async () => {
    grpcClient?.close();
    await h?.close();
    redis.disconnect();
  });

  describe('REST: 401 says what is wrong with the key', () => {
    const solve = (headers: Record<string, string>) => postJson(`${h.base}/v1/solve`, { text: 'integral of x' }, headers);

    it.each([
      ['missing', {}, /^missing API key: send an Authorization: Bearer <key> header/],
      ['malformed', { authorization: 'Bearer not-a-key' }, /^malformed API key/],
      ['not Bearer', { authorization: 'Basic dXNlcjpwYXNz' }, /^malformed API key/],
      ['unknown', bearer(`slm_0123456789abcdef_${'A'.repeat(32)}`), /^unknown API key slm_0123456789abcdef_…$/],
    ])('%s key: 401 UNAUTHENTICATED', async (_name, headers, message) => {
      const res = await solve(headers as Record<string, string>);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.json.error.code).toBe('UNAUTHENTICATED');
      expect(res.json.error.message).toMatch(message);
    });

    it('is checked before the body is read: a caller without a key never has its body parsed', async () => {
      const res = await postJson(`${h.base}/v1/solve`, '{"text": not json', {});
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('UNAUTHENTICATED');
      expect((await postJson(`${h.base}/v1/solve`, '{"text": not json', bearer(keys.full!))).status).toBe(400);
    });

    it('a right id with a wrong secret is an unknown key, never a hint about the secret', async () => {
      const [, id] = keys.full!.split('_');
      const res = await solve(bearer(`slm_${id}_${'B'.repeat(32)}`));
      expect(res.status).toBe(401);
      expect(res.json.error.message).toBe(`unknown API key slm_${id}_…`);
    });

    it('revoked and expired keys: 401 naming which', async () => {
      const revoked = await solve(bearer(keys.revoked!));
      expect(revoked.status).toBe(401);
      expect(revoked.json.error.message).toMatch(/^API key [0-9a-f]{16} was revoked at /);
      const expired = await solve(bearer(keys.expired!));
      expect(expired.status).toBe(401);
      expect(expired.json.error.message).toMatch(/^API key [0-9a-f]{16} expired at /);
    });

    it('a valid key is served', async () => {
      const res = await solve(bearer(keys.full!));
      expect(res.status).toBe(200);
      expect(res.json.result.answer).toBe('math:integral of x');
    });
  });

  describe('REST: scopes (403) and what stays open', () => {
    it('a key without the batch scope gets 403 on batch routes, naming the scope', async () => {
      const res = await postJson(`${h.base}/v1/batches`, { problems: [{ text: 'integral of x' }] }, bearer(keys.solveOnly!));
      expect(res.status).toBe(403);
      expect(res.json.error.code).toBe('PERMISSION_DENIED');
      expect(res.json.error.message).toMatch(/lacks the scope "batch" this operation needs \(it has: solve\)/);
      const status = await get(`${h.base}/v1/batches/some-id`, bearer(keys.solveOnly!));
      expect(status.status).toBe(403);
    });

    it('a key without the solve scope gets 403 on /v1/solve', async () => {
      const res = await postJson(`${h.base}/v1/solve`, { text: 'integral of x' }, bearer(keys.batchOnly!));
      expect(res.status).toBe(403);
      expect(res.json.error.message).toContain('"solve"');
    });

    it('/metrics needs the admin scope', async () => {
      expect((await get(`${h.base}/metrics`)).status).toBe(401);
      expect((await get(`${h.base}/metrics`, bearer(keys.solveOnly!))).status).toBe(403);
      const metrics = await fetch(`${h.base}/metrics`, { headers: bearer(keys.full!) });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('# TYPE');
    });

    it('/healthz and the plain /readyz stay open for probes; /readyz details need an admin key', async () => {
      expect((await get(`${h.base}/healthz`)).status).toBe(200);
      const plain = await get(`${h.base}/readyz`);
      expect(plain.status).toBe(200);
      expect(JSON.stringify(plain.json)).not.toContain('127.0.0.1');
      expect((await get(`${h.base}/readyz?verbose=true`)).status).toBe(401);
      expect((await get(`${h.base}/readyz?verbose=true`, bearer(keys.solveOnly!))).status).toBe(403);
      const details = await get(`${h.base}/readyz?verbose=true`, bearer(keys.full!));
      expect(details.status).toBe(200);
      expect(JSON.stringify(details.json)).toContain('127.0.0.1');
    });
  });

  describe('REST: per-key limits (429 with Retry-After)', () => {
    it('requests per minute', async () => {
      const statuses = [];
      for (let i = 0; i < 2; i++)
        statuses.push((await postJson(`${h.base}/v1/solve`, { text: 'integral of x' }, bearer(keys.rpm2!))).status);
      expect(statuses).toEqual([200, 200]);
      const third = await postJson(`${h.base}/v1/solve`, { text: 'integral of x' }, bearer(keys.rpm2!));
      expect(third.status).toBe(429);
      expect(third.json.error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/is over its 2 requests per minute/) });
      const retryAfter = Number(third.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // Another key is its own bucket.
      expect((await postJson(`${h.base}/v1/solve`, { text: 'integral of x' }, bearer(keys.full!))).status).toBe(200);
    });

    it('concurrent requests', async () => {
      let release!: () => void;
      h.workers.code.behaviour = { holdPrefix: { prefix: 'hold', until: new Promise<void>((resolve) => (release = resolve)) } };
      const held = postJson(`${h.base}/v1/solve`, { text: 'hold python' }, bearer(keys.conc1!));
      await until(async () => h.workers.code.calls.some((c) => c.problem?.text === 'hold python'));
      const second = await postJson(`${h.base}/v1/solve`, { text: 'integral of x' }, bearer(keys.conc1!));
      expect(second.status).toBe(429);
      expect(second.json.error.message).toMatch(/already has 1 requests in flight/);
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      release();
      h.workers.code.behaviour = {};
      expect((await held).status).toBe(200);
      expect((await postJson(`${h.base}/v1/solve`, { text: 'integral of x' }, bearer(keys.conc1!))).status).toBe(200);
    });

    it('generated tokens per minute: counted when a request ends, refusing the next while spent', async () => {
      // The fake worker generates 3 completion tokens per answer.
      expect((await postJson(`${h.base}/v1/solve`, { text: 'integral of x' }, bearer(keys.tpm3!))).status).toBe(200);
      await until(async () => (await postJson(`${h.base}/v1/solve`, { text: 'integral of x' }, bearer(keys.tpm3!))).status === 429, 2000);
      const refused = await postJson(`${h.base}/v1/solve`, { text: 'integral of x' }, bearer(keys.tpm3!));
      expect(refused.json.error.message).toMatch(/generated its 3 tokens per minute/);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    });

    it("batch problems in flight: the unfinished problems of the key's batches plus the new ones must fit", async () => {
      // No queue worker runs yet: submitted problems stay unfinished.
      const first = await postJson(
        `${h.base}/v1/batches`,
        { problems: [{ text: 'integral of a' }, { text: 'integral of b' }] },
        bearer(keys.batch2!),
      );
      expect(first.status).toBe(202);
      const more = await postJson(`${h.base}/v1/batches`, { problems: [{ text: 'integral of c' }] }, bearer(keys.batch2!));
      expect(more.status).toBe(429);
      expect(more.json.error.message).toMatch(/has 2 batch problems unfinished; 1 more would pass its limit of 2/);
      expect(more.headers.get('retry-after')).toBe('5');
      // Cancelling the batch frees its problems.
      expect((await fetch(`${h.base}/v1/batches/${first.json.batchId}`, { method: 'DELETE', headers: bearer(keys.batch2!) })).status).toBe(
        200,
      );
      expect((await postJson(`${h.base}/v1/batches`, { problems: [{ text: 'integral of c' }] }, bearer(keys.batch2!))).status).toBe(202);
    });
  });

  describe('the openai client', () => {
    const openai = (apiKey: string) => new OpenAI({ baseURL: `${h.base}/v1`, apiKey, maxRetries: 0 });
    const ask = (client: OpenAI) =>
      client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'integral of x' }] });

    it('is served with a key that has the solve scope', async () => {
      const answer = await ask(openai(keys.solveOnly!));
      expect(answer.choices[0]?.message.content).toBe('math:integral of x');
    });

    it('a bad key is an AuthenticationError with an OpenAI-shaped body', async () => {
      const error = await ask(openai('sk-not-ours')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(error).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', type: 'authentication_error' });
      expect((error as Error).message).toContain('malformed API key');
      const revoked = await ask(openai(keys.revoked!)).catch((e: unknown) => e);
      expect((revoked as Error).message).toContain('was revoked');
    });

    it('a key without the solve scope is a PermissionDeniedError', async () => {
      const error = await ask(openai(keys.batchOnly!)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect(error).toMatchObject({ status: 403, code: 'PERMISSION_DENIED', type: 'permission_error' });
    });

    it("past the key's requests per minute: a RateLimitError with Retry-After", async () => {
      const client = openai(keys.rpmOpenAi!);
      await ask(client);
      const error = await ask(client).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error).toMatchObject({ status: 429, code: 'RATE_LIMITED', type: 'rate_limit_error' });
      expect(Number((error as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    });
  });

  describe('gRPC: authorization metadata', () => {
    const problem = { problem: { text: 'integral of x' } };

    it.each([
      ['missing', undefined, /missing API key: send authorization metadata/],
      ['malformed', 'Bearer nope', /malformed API key/],
      ['unknown', `slm_0123456789abcdef_${'A'.repeat(32)}`, /unknown API key/],
    ])('%s key: UNAUTHENTICATED', async (_name, key, message) => {
      const { error } = await grpcCall(grpcClient, 'solve', problem, key);
      expect(error?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(error?.details).toMatch(message);
    });

    it('revoked and expired keys: UNAUTHENTICATED naming which', async () => {
      expect((await grpcCall(grpcClient, 'solve', problem, keys.revoked)).error?.details).toMatch(/^API key [0-9a-f]{16} was revoked/);
      expect((await grpcCall(grpcClient, 'solve', problem, keys.expired)).error?.details).toMatch(/^API key [0-9a-f]{16} expired/);
    });

    it('a valid key is served; a missing scope is PERMISSION_DENIED', async () => {
      const ok = await grpcCall(grpcClient, 'solve', problem, keys.solveOnly);
      expect(ok.error).toBeNull();
      expect((ok.response as { result: { answer: string } }).result.answer).toBe('math:integral of x');
      const denied = await grpcCall(grpcClient, 'submitBatch', { problems: [{ text: 'integral of x' }] }, keys.solveOnly);
      expect(denied.error?.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(denied.error?.details).toContain('"batch"');
    });

    it('past the requests per minute: RESOURCE_EXHAUSTED with retry-after trailing metadata', async () => {
      expect((await grpcCall(grpcClient, 'solve', problem, keys.rpmGrpc)).error).toBeNull();
      const { error } = await grpcCall(grpcClient, 'solve', problem, keys.rpmGrpc);
      expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(error?.details).toMatch(/^API key [0-9a-f]{16} is over its 1 requests per minute/);
      // RESOURCE_EXHAUSTED is also a full queue: the typed code says which.
      expect(error?.metadata.get('slm-error-code')).toEqual(['RATE_LIMITED']);
      expect(Number(error?.metadata.get('retry-after')[0])).toBeGreaterThanOrEqual(1);
    });
  });

  describe('tenants are keys', () => {
    let workers: QueueWorkers;
    beforeAll(() => {
      workers = new QueueWorkers(REDIS_URL, prefix);
    });
    afterAll(() => workers.close());

    async function results(key: string, batchId: string): Promise<BatchItem[]> {
      await until(
        async () => (await get(`${h.base}/v1/batches/${batchId}`, bearer(key))).json.status.state !== 'BATCH_STATE_RUNNING',
        10_000,
      );
      const res = await fetch(`${h.base}/v1/batches/${batchId}/results`, { headers: bearer(key) });
      return (await res.text())
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as BatchItem);
    }

    it("two keys reusing one requestId and one idempotency key get their own batches and results, never the other's", async () => {
      const idem = { 'idempotency-key': 'same-idem' };
      const a = await postJson(
        `${h.base}/v1/batches`,
        { problems: [{ text: 'integral of secret', requestId: 'same-req', metadata: { secret: 'a-only' } }] },
        { ...bearer(keys.full!), ...idem },
      );
      const b = await postJson(
        `${h.base}/v1/batches`,
        { problems: [{ text: 'python secret', requestId: 'same-req' }] },
        { ...bearer(keys.tenantB!), ...idem },
      );
      expect([a.status, b.status]).toEqual([202, 202]);
      expect(b.json.batchId).not.toBe(a.json.batchId);
      expect(b.json.deduplicated).toBe(false);
      const [aItem] = await results(keys.full!, a.json.batchId);
      const [bItem] = await results(keys.tenantB!, b.json.batchId);
      expect(aItem?.result).toMatchObject({ requestId: 'same-req', answer: 'math:integral of secret', metadata: { secret: 'a-only' } });
      expect(bItem?.result).toMatchObject({ requestId: 'same-req', answer: 'code:python secret' });
      expect(JSON.stringify(bItem)).not.toContain('a-only');
      // The same key and idempotency key again: its own first batch back.
      const again = await postJson(
        `${h.base}/v1/batches`,
        { problems: [{ text: 'integral of secret', requestId: 'same-req', metadata: { secret: 'a-only' } }] },
        { ...bearer(keys.full!), ...idem },
      );
      expect(again.json).toMatchObject({ batchId: a.json.batchId, deduplicated: true });
      // Another key asking for A's batch: 404, as for an unknown id.
      expect((await get(`${h.base}/v1/batches/${a.json.batchId}`, bearer(keys.tenantB!))).status).toBe(404);
      expect((await get(`${h.base}/v1/batches/${a.json.batchId}/results`, bearer(keys.tenantB!))).status).toBe(404);
    });
  });

  describe('`slm keys` end to end (the built CLI against the same Redis)', () => {
    const store = () => ['--redis-url', REDIS_URL, '--prefix', prefix];

    it('create prints the key once; it works at once; list never shows a secret; revoke reaches the router within a refresh', async () => {
      const created = await slm(['keys', 'create', '--name', 'from-cli', '--scopes', 'solve', '--rpm', '100', ...store()]);
      expect(created).toMatchObject({ code: 0 });
      const key = created.stdout.trim();
      expect(key).toMatch(/^slm_[0-9a-f]{16}_[A-Za-z0-9_-]{32}$/);
      expect(created.stderr).toContain('cannot be shown again');
      const id = key.split('_')[1]!;
      expect((await postJson(`${h.base}/v1/solve`, { text: 'integral of x' }, bearer(key))).status).toBe(200);

      const listed = await slm(['keys', 'list', '--json', ...store()]);
      expect(listed.code).toBe(0);
      const entry = (JSON.parse(listed.stdout) as { id: string }[]).find((k) => k.id === id);
      expect(entry).toMatchObject({ id, name: 'from-cli', scopes: ['solve'], limits: { rpm: 100 } });
      expect(listed.stdout).not.toContain(key.split('_').slice(2).join('_'));
      expect(listed.stdout).not.toMatch(/"(hash|salt)"/);
      const table = await slm(['keys', 'list', ...store()]);
      expect(table.stdout).toMatch(new RegExp(`${id}\\s+from-cli\\s+solve\\s+rpm=100\\s+\\S+\\s+-\\s+active`));

      const revoked = await slm(['keys', 'revoke', id, ...store()]);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toContain(`revoked ${id}`);
      await until(async () => (await postJson(`${h.base}/v1/solve`, { text: 'integral of x' }, bearer(key))).status === 401, 3000);
      expect((await slm(['keys', 'list', ...store()])).stdout).toMatch(new RegExp(`${id}.*revoked `));
    });

    it('refuses a bad scope, a past expiry (usage errors) and an unknown id', async () => {
      expect((await slm(['keys', 'create', '--name', 'x', '--scopes', 'root', ...store()])).code).toBe(2);
      expect((await slm(['keys', 'create', '--name', 'x', '--expires', '2001-01-01', ...store()])).code).toBe(2);
      const unknown = await slm(['keys', 'revoke', 'ffffffffffffffff', ...store()]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('no API key "ffffffffffffffff"');
    });
  });
});

describe('anonymous mode', () => {
  it('serves anyone on loopback while no key exists, and requires keys once the first is created', async () => {
    const prefix = `anon${randomUUID().slice(0, 8)}`;
    const h = await startHarness({ QUEUE_PREFIX: prefix, ROUTER_API_KEYS_REFRESH_MS: '200' });
    const redis = new Redis(REDIS_URL);
    try {
      // Any key the caller sends is ignored (the openai client always sends one).
      expect((await postJson(`${h.base}/v1/solve`, { text: 'integral of x' }, { authorization: 'Bearer whatever' })).status).toBe(200);
      expect((await get(`${h.base}/metrics`)).status).toBe(200);
      const { key } = await new ApiKeyStore(redis, prefix).create({ name: 'first' });
      await until(async () => (await postJson(`${h.base}/v1/solve`, { text: 'integral of x' })).status === 401, 3000);
      expect((await postJson(`${h.base}/v1/solve`, { text: 'integral of x' }, bearer(key))).status).toBe(200);
    } finally {
      redis.disconnect();
      await h.close();
    }
  });

  it('refuses to start on a non-loopback host with no key, unless ROUTER_ALLOW_ANONYMOUS=true', async () => {
    const prefix = `anon${randomUUID().slice(0, 8)}`;
    await expect(startHarness({ QUEUE_PREFIX: prefix, ROUTER_HOST: '0.0.0.0' })).rejects.toThrow(
      /^refusing to start: ROUTER_HOST 0\.0\.0\.0 is reachable beyond this machine and no API key exists; create one \(slm keys create --name NAME\) or set ROUTER_ALLOW_ANONYMOUS=true/,
    );
    const allowed = await startHarness({ QUEUE_PREFIX: prefix, ROUTER_HOST: '0.0.0.0', ROUTER_ALLOW_ANONYMOUS: 'true' });
    expect((await postJson(`${allowed.base}/v1/solve`, { text: 'integral of x' })).status).toBe(200);
    await allowed.close();
    // With a key in the store it starts, and requires it.
    const redis = new Redis(REDIS_URL);
    try {
      await new ApiKeyStore(redis, prefix).create({ name: 'exposed' });
      const exposed = await startHarness({ QUEUE_PREFIX: prefix, ROUTER_HOST: '0.0.0.0' });
      expect((await postJson(`${exposed.base}/v1/solve`, { text: 'integral of x' })).status).toBe(401);
      await exposed.close();
    } finally {
      redis.disconnect();
    }
  });
});
