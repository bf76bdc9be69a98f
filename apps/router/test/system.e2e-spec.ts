import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import OpenAI from 'openai';

// The whole system as a user starts it: three worker processes on the benchmark-only instant
// engine, the router process (`slm serve router`), and the `slm` command line against them.
// Needs the build (`npm run build`, which `npm ci` runs).

const root = path.resolve(__dirname, '../../..');
const slm = path.join(root, 'bin', 'slm.js');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [slm, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

describe('system: worker processes, router process and the slm CLI', () => {
  const children: ChildProcess[] = [];
  let url: string;
  let dir: string;

  beforeAll(async () => {
    for (const app of ['router', 'math-worker', 'code-worker', 'science-worker', 'cli']) {
      if (!fs.existsSync(path.join(root, 'dist', 'apps', app, 'src', 'main.js')))
        throw new Error(`dist/apps/${app} missing: run npm run build first`);
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-e2e-'));
    const prefix = `e2e${randomUUID().slice(0, 8)}`;
    const ports = { math: await freePort(), code: await freePort(), science: await freePort() };
    const common = { REDIS_URL: process.env.REDIS_URL as string, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' };
    for (const domain of ['math', 'code', 'science'] as const) {
      const upper = domain.toUpperCase();
      children.push(
        spawn(process.execPath, [path.join(root, 'dist', 'apps', `${domain}-worker`, 'src', 'main.js')], {
          env: { ...process.env, ...common, [`${upper}_WORKER_ENGINE`]: 'instant', [`${upper}_WORKER_GRPC_PORT`]: String(ports[domain]) },
          stdio: 'ignore',
        }),
      );
    }
    const httpPort = await freePort();
    children.push(
      spawn(process.execPath, [slm, 'serve', 'router'], {
        env: {
          ...process.env,
          ...common,
          ROUTER_HTTP_PORT: String(httpPort),
          ROUTER_GRPC_PORT: String(await freePort()),
          ROUTER_HOST: '127.0.0.1',
          ROUTER_FALLBACK: 'domain:science',
          MATH_WORKER_ADDRESSES: `127.0.0.1:${ports.math}`,
          CODE_WORKER_ADDRESSES: `127.0.0.1:${ports.code}`,
          SCIENCE_WORKER_ADDRESSES: `127.0.0.1:${ports.science}`,
        },
        stdio: 'ignore',
      }),
    );
    url = `http://127.0.0.1:${httpPort}`;
    for (;;) {
      const dead = children.find((c) => c.exitCode !== null);
      if (dead) throw new Error(`a service exited with ${dead.exitCode} during start-up`);
      if ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }),
    );
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('slm solve prints the route and the answer; --stream streams it', async () => {
    const plain = await run(['solve', 'Write a Python function that reverses a list', '--url', url]);
    expect(plain).toMatchObject({ code: 0, stdout: 'synthetic benchmark answer\n' });
    expect(plain.stderr).toMatch(/^route: code \(confidence [0-9.]+, classified; runner-up [a-z]+ [0-9.]+\)/);
    const streamed = await run(['solve', 'anything at all', '--domain', 'math', '--stream', '--url', url]);
    expect(streamed.code).toBe(0);
    expect(streamed.stderr).toMatch(/^route: math \(overridden; the classifier said [a-z]+ [0-9.]+\)/);
    expect(streamed.stdout).toContain('synthetic benchmark answer');
  });

  it('the openai client gets answers from a real worker process', async () => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const reply = await client.chat.completions.create({ model: 'science', messages: [{ role: 'user', content: 'Why is the sky blue?' }] });
    expect(reply.choices[0]?.message.content).toBe('synthetic benchmark answer');
  });

  it('slm batch submit --wait, status, results --offset, cancel', async () => {
    const file = path.join(dir, 'problems.jsonl');
    fs.writeFileSync(
      file,
      Array.from({ length: 300 }, (_, i) => JSON.stringify({ text: `Solve ${i} + x = 2 for x`, requestId: `q${i}` })).join('\n'),
    );
    const submitted = await run(['batch', 'submit', file, '--wait', '--url', url]);
    expect(submitted.code).toBe(0);
    const batchId = submitted.stdout.trim();
    expect(submitted.stderr).toContain('completed: 300 completed, 0 failed');
    const results = fs
      .readFileSync(path.join(dir, 'problems.results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(results.map((r) => r.result.requestId)).toEqual(Array.from({ length: 300 }, (_, i) => `q${i}`));
    const status = await run(['batch', 'status', batchId, '--url', url]);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'BATCH_STATE_COMPLETED', total: 300, progress: 1 });
    const tail = await run(['batch', 'results', batchId, '--offset', '298', '--url', url]);
    expect(
      tail.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).index),
    ).toEqual([298, 299]);
    const cancelled = await run(['batch', 'cancel', batchId, '--url', url]);
    expect(JSON.parse(cancelled.stdout).state).toBe('BATCH_STATE_COMPLETED');
    const missing = await run(['batch', 'status', 'nope', '--url', url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('HTTP 404 NOT_FOUND');
  });
});
