import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { grpcChannelCredentials, loadProto, protoRoot } from '@slm/contracts';
import { ConfigError, writeDevCertificates, type DevCertFile } from '@slm/platform';
import { INSTANT_ENGINE_TEXT, type RunningWorker } from '@slm/worker-runtime';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { PYTHON, itWithPythonGrpc } from '../../../libs/platform/test/python-grpc';
import { loadRouterConfig } from '../src/config/router.config';
import { startInstantWorker } from './real-worker';
import { postJson, startHarness, type Harness } from './router-harness';

// Issue 15, item 4: HTTPS and gRPC TLS at the router, mutual TLS between router and workers,
// each tried with real clients (the openai package, Python grpcio, grpc-js) and real processes' code.

let dir: string;
let certs: Record<DevCertFile, string>;
const pem = (name: DevCertFile) => fs.readFileSync(certs[name], 'utf8');

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-tls-'));
  certs = writeDevCertificates(dir);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The chain of `cause`s of an error, as one line: where Node names the certificate problem. */
function causesOf(error: unknown): string {
  const parts: string[] = [];
  for (let e = error as { message?: string; code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    parts.push(`${e.code ?? ''} ${e.message ?? ''}`);
  return parts.join(' <- ');
}

async function failureOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

/** Waits (up to 10 s) until the math replica answers health checks over whatever transport the router uses. */
async function untilMathServing(h: Harness): Promise<void> {
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 50))) {
    const replicas = (await postJson(`${h.base}/v1/solve`, { text: 'integral of warm-up' })).status;
    if (replicas === 200) return;
  }
  throw new Error('the math worker never became reachable from the router');
}

function runPython(address: string, extra: string[] = []): Promise<Record<string, { domain?: string; code?: string; details?: string }>> {
  return new Promise((resolve, reject) =>
    execFile(
      PYTHON,
      [path.join(__dirname, 'grpc-tls-client.py'), protoRoot(), address, certs.ca, ...extra],
      { timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout))),
    ),
  );
}

describe('router over HTTPS and gRPC TLS', () => {
  let h: Harness;
  let httpsBase: string;
  beforeAll(async () => {
    h = await startHarness({ ROUTER_TLS_CERT_FILE: certs.router, ROUTER_TLS_KEY_FILE: certs.routerKey });
    httpsBase = `https://localhost:${h.router.httpPort}`;
  });
  afterAll(() => h?.close());

  it('answers the openai client that trusts the development CA', async () => {
    const agent = new Agent({ connect: { ca: pem('ca') } });
    const client = new OpenAI({
      baseURL: `${httpsBase}/v1`,
      apiKey: 'unused',
      maxRetries: 0,
      fetch: undiciFetch as unknown as typeof fetch,
      fetchOptions: { dispatcher: agent } as object,
    });
    const completion = await client.chat.completions.create({ model: 'math', messages: [{ role: 'user', content: 'integral of x' }] });
    expect(completion.choices[0]?.message.content).toBe('math:integral of x');
    await agent.close();
  });

  it('fails a client without the CA with a certificate error, before any request is sent', async () => {
    const client = new OpenAI({ baseURL: `${httpsBase}/v1`, apiKey: 'unused', maxRetries: 0 });
    const error = await failureOf(() =>
      client.chat.completions.create({ model: 'math', messages: [{ role: 'user', content: 'integral of y' }] }),
    );
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    // The router sends its own certificate, not the CA's: Node cannot chain it to any root it knows.
    expect(causesOf(error)).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE unable to verify the first certificate/);
    expect(h.workers.math.calls.some((call) => call.problem?.text === 'integral of y')).toBe(false);
  });

  it('does not speak plaintext HTTP on the HTTPS port', async () => {
    await expect(fetch(`http://127.0.0.1:${h.router.httpPort}/healthz`)).rejects.toThrow();
  });

  it('serves gRPC over TLS to grpc-js with the CA, and refuses plaintext', async () => {
    const Router = loadProto().slmrouter.v1.Router;
    const classify = (credentials: grpc.ChannelCredentials) =>
      new Promise<unknown>((resolve, reject) => {
        const client = new Router(`localhost:${h.router.grpcPort}`, credentials);
        client.Classify({ text: 'integral of x' }, { deadline: Date.now() + 5000 }, (error, response) => {
          client.close();
          return error ? reject(error) : resolve(response?.route?.domain);
        });
      });
    await expect(classify(grpcChannelCredentials({ ca: pem('ca') }))).resolves.toBe('DOMAIN_MATH');
    await expect(classify(grpc.credentials.createInsecure())).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  itWithPythonGrpc('serves Python grpcio with ssl_channel_credentials; without the CA the handshake fails', async () => {
    const seen = await runPython(`localhost:${h.router.grpcPort}`);
    expect(seen['with_ca']).toEqual({ domain: 'DOMAIN_MATH' });
    expect(seen['without_ca']?.code).toBe('UNAVAILABLE');
    expect(seen['without_ca']?.details).toMatch(/certificate|handshake|SSL/i);
    expect(seen['plaintext']?.code).toBe('UNAVAILABLE');
  });
});

describe('router requiring client certificates (ROUTER_TLS_CA_FILE)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ ROUTER_TLS_CERT_FILE: certs.router, ROUTER_TLS_KEY_FILE: certs.routerKey, ROUTER_TLS_CA_FILE: certs.ca });
  });
  afterAll(() => h?.close());

  const healthz = (options: https.RequestOptions) =>
    new Promise<number>((resolve, reject) => {
      const request = https.get({ host: 'localhost', port: h.router.httpPort, path: '/healthz', ca: pem('ca'), ...options }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      request.on('error', reject);
    });

  it('answers an HTTPS caller with a certificate the CA signed, and refuses one without', async () => {
    await expect(healthz({ cert: pem('client'), key: pem('clientKey') })).resolves.toBe(200);
    await expect(healthz({})).rejects.toThrow(/certificate|socket hang up|ECONNRESET|alert/i);
  });

  itWithPythonGrpc('serves a Python grpcio caller presenting its client certificate, and refuses one without', async () => {
    const seen = await runPython(`localhost:${h.router.grpcPort}`, [certs.client, certs.clientKey]);
    expect(seen['with_ca']).toEqual({ domain: 'DOMAIN_MATH' });
    expect(seen['ca_but_no_client_cert']?.code).toBe('UNAVAILABLE');
  });
});

describe('router to worker with mutual TLS', () => {
  let worker: RunningWorker;
  let h: Harness;
  beforeAll(async () => {
    worker = await startInstantWorker(undefined, {
      WORKER_TLS_CERT_FILE: certs.worker,
      WORKER_TLS_KEY_FILE: certs.workerKey,
      WORKER_TLS_CA_FILE: certs.ca,
    });
    h = await startHarness({
      MATH_WORKER_ADDRESSES: `localhost:${worker.grpcPort}`,
      ROUTER_WORKER_TLS_CA_FILE: certs.ca,
      ROUTER_WORKER_TLS_CERT_FILE: certs.routerClient,
      ROUTER_WORKER_TLS_KEY_FILE: certs.routerClientKey,
    });
    await untilMathServing(h);
  });
  afterAll(async () => {
    await h?.close();
    await worker?.close();
  });

  it('solves through the router on the worker reached with its client certificate', async () => {
    const res = await postJson(`${h.base}/v1/solve`, { text: 'integral of x' });
    expect(res.status).toBe(200);
    expect(res.json.result).toMatchObject({ answer: 'synthetic benchmark answer', route: { domain: 'DOMAIN_MATH' } });
    expect(INSTANT_ENGINE_TEXT).toContain(res.json.result.answer);
  });

  describe('a direct call to the worker port', () => {
    const getInfo = (credentials: grpc.ChannelCredentials) =>
      new Promise<unknown>((resolve, reject) => {
        const client = new (loadProto().slmrouter.v1.Worker)(`localhost:${worker.grpcPort}`, credentials);
        client.GetInfo({}, { deadline: Date.now() + 5000 }, (error, response) => {
          client.close();
          return error ? reject(error) : resolve(response?.modelId);
        });
      });

    it('is refused in plaintext', async () => {
      await expect(getInfo(grpc.credentials.createInsecure())).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    });

    it('is refused over TLS without a client certificate', async () => {
      await expect(getInfo(grpcChannelCredentials({ ca: pem('ca') }))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    });

    it('is refused with a certificate from another CA', async () => {
      const other = writeDevCertificates(path.join(dir, 'other'));
      const foreign = { ca: pem('ca'), cert: fs.readFileSync(other.client, 'utf8'), key: fs.readFileSync(other.clientKey, 'utf8') };
      await expect(getInfo(grpcChannelCredentials(foreign))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    });

    it('is answered with a client certificate the CA signed', async () => {
      await expect(
        getInfo(grpcChannelCredentials({ ca: pem('ca'), cert: pem('routerClient'), key: pem('routerClientKey') })),
      ).resolves.toBe('instant-benchmark');
    });
  });
});

describe('TLS configuration mistakes', () => {
  it('stop the router with one message naming each variable and file', async () => {
    const missing = path.join(dir, 'missing.pem');
    const error = await failureOf(async () => loadRouterConfig({ ROUTER_TLS_CERT_FILE: certs.routerKey, ROUTER_TLS_KEY_FILE: missing }));
    expect(error).toBeInstanceOf(ConfigError);
    const { message } = error as Error;
    expect(message).toContain(`ROUTER_TLS_CERT_FILE: ${certs.routerKey} is not a PEM certificate`);
    expect(message).toContain(`ROUTER_TLS_KEY_FILE: cannot read private key file ${missing}: no such file`);
  });

  it('want both halves of a pair and TLS before client certificates', async () => {
    const error = await failureOf(async () =>
      loadRouterConfig({ ROUTER_TLS_CA_FILE: certs.ca, ROUTER_WORKER_TLS_CERT_FILE: certs.routerClient }),
    );
    const { message } = error as Error;
    expect(message).toContain('ROUTER_TLS_CA_FILE: client certificates need TLS');
    expect(message).toContain('ROUTER_WORKER_TLS_KEY_FILE: required when ROUTER_WORKER_TLS_CERT_FILE is set');
    expect(message).toContain('ROUTER_WORKER_TLS_CA_FILE: a client certificate for the workers needs TLS to them');
  });

  it('stop a worker the same way', async () => {
    const error = await failureOf(() => startInstantWorker(undefined, { WORKER_TLS_CERT_FILE: certs.worker }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('WORKER_TLS_KEY_FILE: required when WORKER_TLS_CERT_FILE is set');
  });
});
