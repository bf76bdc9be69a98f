import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import OpenAI from 'openai';
import { loadProto } from '@slm/contracts';
import { freePort } from '@slm/platform';
import { killWorker, spawnWorker, type WorkerProcess } from '../../../libs/worker-runtime/test/worker-process';

// One trace from ingress to the last token: a real router and a real math worker (tiny synthetic
// model), each its own process with OpenTelemetry on, exporting OTLP/HTTP JSON to a receiver this
// test runs. For a /v1/solve, a streamed OpenAI request and a batch problem it asserts the spans
// of both processes and how they hang together.

const root = path.resolve(__dirname, '..', '..', '..');
const redisUrl = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
}

/** An OTLP/HTTP receiver (JSON encoding): keeps every span it is sent. */
async function startReceiver(): Promise<{ url: string; spans: ExportedSpan[]; close: () => Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') spans.push(...spansOf(JSON.parse(body)));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the OTLP JSON document, read field by field */
function spansOf(document: any): ExportedSpan[] {
  const out: ExportedSpan[] = [];
  for (const resourceSpans of document.resourceSpans ?? []) {
    const service = String(resourceSpans.resource?.attributes?.find((a: any) => a.key === 'service.name')?.value?.stringValue);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        const attributes: Record<string, unknown> = {};
        for (const a of span.attributes ?? []) attributes[a.key] = Object.values(a.value ?? {})[0];
        out.push({
          service,
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId || undefined,
          name: span.name,
          attributes,
          links: (span.links ?? []).map((l: any) => ({ traceId: l.traceId, spanId: l.spanId })),
        });
      }
    }
  }
  return out;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

describe('tracing across processes (OpenTelemetry, OTLP)', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let worker: WorkerProcess;
  let router: ChildProcess;
  let base: string;
  let routerGrpc: string;
  let modelsDir: string;
  const routerLogs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    receiver = await startReceiver();
    modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-tracing-'));
    const prefix = `tracing-${randomUUID().slice(0, 8)}`;
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    worker = await spawnWorker('math-worker', {
      ...otel,
      MODELS_DIR: modelsDir,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      MATH_WORKER_GRPC_HOST: '127.0.0.1',
      MATH_WORKER_GRPC_PORT: String(await freePort()),
    });
    const [httpPort, grpcPort, codePort, sciencePort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    base = `http://127.0.0.1:${httpPort}`;
    routerGrpc = `127.0.0.1:${grpcPort}`;
    router = spawn(
      process.execPath,
      ['--require', path.join(root, 'tools/jest/swc-register.js'), path.join(root, 'apps/router/src/main.ts')],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          ...otel,
          LOG_LEVEL: 'info',
          REDIS_URL: redisUrl(),
          QUEUE_PREFIX: prefix,
          ROUTER_HTTP_PORT: String(httpPort),
          ROUTER_GRPC_PORT: String(grpcPort),
          MATH_WORKER_ADDRESSES: `127.0.0.1:${worker.grpcPort}`,
          CODE_WORKER_ADDRESSES: `127.0.0.1:${codePort}`,
          SCIENCE_WORKER_ADDRESSES: `127.0.0.1:${sciencePort}`,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let pending = '';
    router.stdout?.on('data', (data: Buffer) => {
      pending += data.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        try {
          routerLogs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a log line
        }
      }
    });
    // Ready for this test: Redis connected and the math worker serving (the other domains have no worker).
    for (let tries = 0; ; tries++) {
      if (router.exitCode !== null) throw new Error(`the router exited with ${router.exitCode}`);
      const ready = await fetch(`${base}/readyz`).then(
        (r) => r.json() as Promise<{ redis?: string; workers?: { math?: { serving?: boolean } } }>,
        () => undefined,
      );
      if (ready?.redis === 'up' && ready.workers?.math?.serving) break;
      if (tries > 600) throw new Error('the router did not become ready');
      await sleep(100);
    }
  }, 120_000);

  afterAll(async () => {
    router?.kill('SIGKILL');
    await killWorker(worker);
    await receiver?.close();
    fs.rmSync(modelsDir, { recursive: true, force: true });
  });

  /** Waits until the spans of `traceId` include every name (the processes export every 100 ms). */
  async function spansOfTrace(traceId: string, names: string[]): Promise<ExportedSpan[]> {
    for (let tries = 0; tries < 200; tries++) {
      const spans = receiver.spans.filter((s) => s.traceId === traceId);
      if (names.every((name) => spans.some((s) => s.name === name || s.name.startsWith(`${name} `)))) return spans;
      await sleep(50);
    }
    const seen = receiver.spans.filter((s) => s.traceId === traceId).map((s) => `${s.service}:${s.name}`);
    throw new Error(`trace ${traceId}: expected spans ${names.join(', ')}; got ${seen.join(', ')}`);
  }

  /** The span named `name` (or `name …`) of a trace; exactly one. */
  function only(spans: ExportedSpan[], name: string): ExportedSpan {
    const found = spans.filter((s) => s.name === name || s.name.startsWith(`${name} `));
    expect(found.map((s) => s.name)).toHaveLength(1);
    return found[0] as ExportedSpan;
  }

  /** Asserts the worker's part of a trace: the solve span under `parent`, the engine's phases and extraction under it. */
  function expectWorkerSpans(spans: ExportedSpan[], parent: ExportedSpan): void {
    const chat = only(spans, 'chat');
    expect(chat).toMatchObject({ service: 'slm-math-worker', parentSpanId: parent.spanId });
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': expect.any(String),
      'slm.domain': 'math',
    });
    expect(Number(chat.attributes['gen_ai.usage.output_tokens'])).toBeGreaterThan(0);
    for (const phase of ['admission', 'prefill', 'decode', 'answer extraction']) expect(only(spans, phase).parentSpanId).toBe(chat.spanId);
    expect(Number(only(spans, 'prefill').attributes['gen_ai.usage.input_tokens'])).toBeGreaterThan(0);
    expect(Number(only(spans, 'decode').attributes['gen_ai.usage.output_tokens'])).toBe(
      Number(chat.attributes['gen_ai.usage.output_tokens']),
    );
  }

  it('POST /v1/solve: the caller’s traceparent starts one trace through ingress, classify, route policy, dispatch and the worker', async () => {
    const traceId = randomUUID().replace(/-/g, '');
    const callerSpan = randomUUID().replace(/-/g, '').slice(0, 16);
    const res = await fetch(`${base}/v1/solve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpan}-01` },
      body: JSON.stringify({ text: 'Solve for x: 3x + 5 = 20', options: { maxNewTokens: 8 } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-trace-id')).toBe(traceId);

    const spans = await spansOfTrace(traceId, ['POST', 'classify', 'route policy', 'dispatch', 'chat', 'decode', 'answer extraction']);
    const ingress = spans.find((s) => s.service === 'slm-router' && s.parentSpanId === callerSpan) as ExportedSpan;
    expect(ingress?.name).toBe('POST /v1/solve');
    expect(ingress.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v1/solve',
      'http.response.status_code': 200,
    });
    const classify = only(spans, 'classify');
    expect(classify.attributes).toMatchObject({ 'slm.route.class': 'math' });
    expect(Number(classify.attributes['slm.route.confidence'])).toBeGreaterThan(0);
    expect(only(spans, 'route policy').attributes).toMatchObject({ 'slm.route.rejected': false });
    const dispatch = only(spans, 'dispatch');
    expect(dispatch.attributes).toMatchObject({
      'slm.domain': 'math',
      'server.address': `127.0.0.1:${worker.grpcPort}`,
      'slm.dispatch.attempt': 1,
    });
    // The router's gRPC client span sits under the dispatch span; the worker's server span under it, in the worker process.
    const client = spans.find((s) => s.service === 'slm-router' && s.parentSpanId === dispatch.spanId) as ExportedSpan;
    expect(client?.name).toBe('grpc.slmrouter.v1.Worker/Generate');
    const server = spans.find((s) => s.service === 'slm-math-worker' && s.parentSpanId === client.spanId) as ExportedSpan;
    expect(server?.name).toBe('grpc.slmrouter.v1.Worker/Generate');
    expectWorkerSpans(spans, server);
    // Every span of the request hangs from the caller's span: one connected tree.
    const ids = new Set([callerSpan, ...spans.map((s) => s.spanId)]);
    expect(spans.filter((s) => !ids.has(s.parentSpanId ?? ''))).toEqual([]);
    // The router's log lines of the request carry its trace id.
    const logged = routerLogs.filter((line) => line['traceId'] === traceId);
    expect(logged.length).toBeGreaterThan(0);
  });

  it('a path no route serves: its server span is named by the method alone, with the 404 it answered; probes make no span', async () => {
    const traceId = randomUUID().replace(/-/g, '');
    const traceparent = `00-${traceId}-${randomUUID().replace(/-/g, '').slice(0, 16)}-01`;
    expect((await fetch(`${base}/healthz`, { headers: { traceparent } })).status).toBe(200);
    expect((await fetch(`${base}/v1/nowhere/${traceId}`, { method: 'POST', headers: { traceparent } })).status).toBe(404);

    const [span, ...others] = await spansOfTrace(traceId, ['POST']);
    expect(others).toEqual([]); // the probe before it left nothing
    expect(span).toMatchObject({ service: 'slm-router', name: 'POST' });
    expect(span?.attributes).toMatchObject({ 'url.path': `/v1/nowhere/${traceId}`, 'http.response.status_code': 404 });
    expect(span?.attributes).not.toHaveProperty('http.route');
  });

  it('gRPC Solve: the traceparent metadata joins the trace, the trace id comes back in the trailing metadata', async () => {
    const traceId = randomUUID().replace(/-/g, '');
    const callerSpan = randomUUID().replace(/-/g, '').slice(0, 16);
    const client = new (loadProto().slmrouter.v1.Router)(routerGrpc, grpc.credentials.createInsecure());
    try {
      const metadata = new grpc.Metadata();
      metadata.set('traceparent', `00-${traceId}-${callerSpan}-01`);
      const trailers = await new Promise<grpc.Metadata>((resolve, reject) => {
        const call = client.solve(
          { problem: { text: 'Solve for y: 2y - 4 = 10', options: { maxNewTokens: 8 } } },
          metadata,
          (error: grpc.ServiceError | null) => error && reject(error),
        );
        call.on('status', (status: grpc.StatusObject) => resolve(status.metadata));
      });
      expect(trailers.get('x-trace-id')).toEqual([traceId]);
      const spans = await spansOfTrace(traceId, ['grpc.slmrouter.v1.Router/Solve', 'classify', 'dispatch', 'chat', 'decode']);
      expect(only(spans, 'grpc.slmrouter.v1.Router/Solve')).toMatchObject({ service: 'slm-router', parentSpanId: callerSpan });
    } finally {
      client.close();
    }
  });

  it('a streamed OpenAI request: one trace, the dispatch span lasting the stream, the worker’s stream under it', async () => {
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'auto', stream: true, max_tokens: 8, messages: [{ role: 'user', content: 'What is 17 * 23?' }] })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(typeof text).toBe('string');
    const traceId = response.headers.get('x-trace-id') ?? '';
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const spans = await spansOfTrace(traceId, ['POST', 'classify', 'dispatch', 'chat', 'decode']);
    const dispatch = only(spans, 'dispatch');
    const grpcClient = spans.find((s) => s.service === 'slm-router' && s.parentSpanId === dispatch.spanId) as ExportedSpan;
    expect(grpcClient?.name).toBe('grpc.slmrouter.v1.Worker/GenerateStream');
    const server = spans.find((s) => s.service === 'slm-math-worker' && s.parentSpanId === grpcClient.spanId) as ExportedSpan;
    expect(server?.name).toBe('grpc.slmrouter.v1.Worker/GenerateStream');
    expectWorkerSpans(spans, server);
  });

  it('a batch problem: its own trace on the worker (queue wait, solve), linked to the trace of the submission', async () => {
    const res = await fetch(`${base}/v1/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ text: 'Compute 12 * 12.', options: { maxNewTokens: 8 } }]),
    });
    expect(res.status).toBe(202);
    const submissionTrace = res.headers.get('x-trace-id') ?? '';
    expect(submissionTrace).toMatch(/^[0-9a-f]{32}$/);
    // The problem's trace is the one whose root links to the submission's trace.
    let process: ExportedSpan | undefined;
    for (let tries = 0; tries < 400 && !process; tries++) {
      process = receiver.spans.find((s) => s.name.startsWith('process ') && s.links.some((l) => l.traceId === submissionTrace));
      if (!process) await sleep(50);
    }
    expect(process).toMatchObject({
      service: 'slm-math-worker',
      parentSpanId: undefined,
      attributes: expect.objectContaining({ 'messaging.system': 'bullmq', 'messaging.operation.type': 'process' }),
    });
    expect(process?.traceId).not.toBe(submissionTrace);
    const spans = await spansOfTrace(process!.traceId, [
      'process',
      'queue wait',
      'chat',
      'admission',
      'prefill',
      'decode',
      'answer extraction',
    ]);
    expect(only(spans, 'queue wait').parentSpanId).toBe(process!.spanId);
    expectWorkerSpans(spans, process!);
    // The link points at a span of the submission's trace that the router exported.
    const linked = process!.links.find((l) => l.traceId === submissionTrace);
    const submission = await spansOfTrace(submissionTrace, ['POST']);
    expect(submission.some((s) => s.spanId === linked?.spanId && s.service === 'slm-router')).toBe(true);
    // No classify span per problem in the submission's trace: a large batch would drown it.
    expect(submission.filter((s) => s.name === 'classify')).toEqual([]);
  });

  it('SIGTERM with tracing on: both processes flush their spans and exit 0 (the exporter holds no shutdown open)', async () => {
    const routerExit = new Promise<number | null>((resolve) => router.once('exit', (code) => resolve(code)));
    router.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    expect(await routerExit).toBe(0);
    expect(await worker.exited).toBe(0);
  });
});
