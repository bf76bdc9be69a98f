import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import OpenAI from 'openai';
import { protoRoot } from '@slm/contracts';
import { freePort } from '@slm/platform';
import { PYTHON, itWithPythonGrpc } from '../../../libs/platform/test/python-grpc';

// The whole system started exactly as `npm start` starts it (bin/slm.js up, built code, its own
// Redis, synthetic models generated on first start), then driven as its users drive it: a backend
// pipeline over REST, the official OpenAI client, a Python gRPC client, and a batch through
// `slm batch submit`. Finally SIGINT: every process must be gone and no queued problem lost.

const repo = path.resolve(__dirname, '..', '..', '..');
const slm = path.join(repo, 'bin', 'slm.js');

function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [slm, ...args], { env, timeout: 180_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the whole system, as `npm start` runs it', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-e2e-'));
  let env: NodeJS.ProcessEnv;
  let stack: ChildProcess;
  let output: string[];
  let baseUrl: string;
  let grpcAddress: string;

  async function startStack(): Promise<void> {
    output = [];
    stack = spawn(process.execPath, [slm, 'up'], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    readline.createInterface({ input: stack.stderr! }).on('line', (line) => output.push(line));
    const lines = readline.createInterface({ input: stack.stdout! });
    await new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        output.push(line);
        if (line === 'Press Ctrl-C to stop.') resolve();
      });
      stack.once('exit', (code) => reject(new Error(`slm up exited with ${code} before it was up:\n${output.slice(-40).join('\n')}`)));
    });
  }

  async function stopStack(): Promise<{ code: number | null; leftovers: number[] }> {
    const children = childPids(stack.pid!);
    const grandchildren = children.flatMap(childPids);
    const exited = once(stack, 'exit');
    stack.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    return { code, leftovers: [...children, ...grandchildren].filter(isRunning) };
  }

  beforeAll(async () => {
    const [http, grpcPort, math, code, science] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    env = {
      ...process.env,
      MODELS_DIR: path.join(work, 'models'),
      SLM_DATA_DIR: path.join(work, 'data'),
      ROUTER_HTTP_PORT: String(http),
      ROUTER_GRPC_PORT: String(grpcPort),
      MATH_WORKER_GRPC_PORT: String(math),
      CODE_WORKER_GRPC_PORT: String(code),
      SCIENCE_WORKER_GRPC_PORT: String(science),
      LOG_LEVEL: 'warn',
    };
    delete env.REDIS_URL; // as on a fresh machine: `slm up` starts its own redis-server
    baseUrl = `http://127.0.0.1:${http}`;
    grpcAddress = `127.0.0.1:${grpcPort}`;
    await startStack();
  }, 240_000);

  afterAll(async () => {
    if (stack && stack.exitCode === null) await stopStack();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('says in its banner where each API listens and that the models have random weights', () => {
    const banner = output.join('\n');
    for (const worker of ['math-worker', 'code-worker', 'science-worker']) expect(banner).toMatch(new RegExp(`${worker} .*RANDOM WEIGHTS`));
    expect(banner).toMatch(new RegExp(`router +${baseUrl}`));
    expect(banner).toContain(`grpc ${grpcAddress}`);
  });

  it('serves a backend pipeline over REST: classify and solve', async () => {
    const classified = await fetch(`${baseUrl}/v1/classify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Solve for x: 3x + 5 = 20' }),
    });
    expect(classified.status).toBe(200);
    expect(((await classified.json()) as { route: { domain: string } }).route.domain).toBe('DOMAIN_MATH');

    const solved = await fetch(`${baseUrl}/v1/solve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Write a Python function that reverses a string.', options: { maxNewTokens: 8, temperature: 0 } }),
    });
    expect(solved.status).toBe(200);
    const { result } = (await solved.json()) as {
      result: { route: { domain: string }; syntheticWeights: boolean; usage: { completionTokens: number }; model: string };
    };
    expect(result.route.domain).toBe('DOMAIN_CODE');
    expect(result.syntheticWeights).toBe(true);
    expect(result.usage.completionTokens).toBeGreaterThan(0);
    expect(result.usage.completionTokens).toBeLessThanOrEqual(8);
  });

  it('answers a caller mistake with a 4xx and a clear message', async () => {
    const res = await fetch(`${baseUrl}/v1/solve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text": ' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; message: string } }).error.code).toBe('INVALID_ARGUMENT');
  });

  it('works with the official openai client, streamed and not', async () => {
    const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'unused' });
    const completion = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'Solve 4x - 2 = 10 for x.' }],
      max_tokens: 8,
      temperature: 0,
    });
    expect(typeof completion.choices[0]?.message.content).toBe('string');
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);

    const stream = await client.chat.completions.create({
      model: 'math',
      messages: [{ role: 'user', content: 'What is 12 times 12?' }],
      max_tokens: 8,
      temperature: 0,
      stream: true,
    });
    const finishReasons: (string | null)[] = [];
    for await (const chunk of stream) finishReasons.push(chunk.choices[0]?.finish_reason ?? null);
    expect(finishReasons.filter(Boolean)).toHaveLength(1);
  });

  itWithPythonGrpc('serves the Router gRPC service to a Python grpcio client', async () => {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(PYTHON, [path.join(__dirname, 'router_client.py'), protoRoot(), grpcAddress], { timeout: 120_000 }, (error, out, err) =>
        error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
      ),
    );
    const seen = JSON.parse(stdout);
    expect(seen.solve).toMatchObject({ request_id: 'py-e2e-1', domain: 'DOMAIN_MATH', synthetic_weights: true });
    expect(seen.solve.completion_tokens).toBeGreaterThan(0);
    expect(seen.stream.first).toBe('route');
    expect(seen.stream.last).toBe('result');
    expect(seen.stream.deltas).toBe(seen.stream.text);
  });

  it('solves a batch through the queues with `slm batch submit --wait`, results in input order', async () => {
    const problems = Array.from({ length: 24 }, (_, i) => ({
      text: [
        'Solve 2x + %d = 9 for x.',
        'Write a bash command that counts the lines of file%d.txt.',
        'A %d kg mass accelerates at 3 m/s^2. What net force acts on it?',
      ][i % 3]!.replace('%d', String(i)),
      requestId: `e2e-${i}`,
      options: { maxNewTokens: 4, temperature: 0 },
    }));
    const file = path.join(work, 'problems.jsonl');
    fs.writeFileSync(file, problems.map((p) => JSON.stringify(p)).join('\n') + '\n');
    const out = path.join(work, 'results.jsonl');
    const { code, stderr } = await run(['batch', 'submit', file, '--wait', '--out', out, '--url', baseUrl], env);
    expect({ code, stderr }).toMatchObject({ code: 0 });
    const lines = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { index: number; result?: { requestId: string } });
    expect(lines.map((l) => l.index)).toEqual(problems.map((_, i) => i));
    expect(lines.map((l) => l.result?.requestId)).toEqual(problems.map((p) => p.requestId));
  });

  it('stops every process on SIGINT; a batch submitted just before completes after a restart, each problem once', async () => {
    const problems = Array.from({ length: 30 }, (_, i) => ({
      text: `Solve ${i + 1}x + 3 = 11 for x.`,
      requestId: `restart-${i}`,
      options: { maxNewTokens: 16 },
    }));
    const file = path.join(work, 'restart.jsonl');
    fs.writeFileSync(file, problems.map((p) => JSON.stringify(p)).join('\n') + '\n');
    const submitted = await run(['batch', 'submit', file, '--url', baseUrl], env);
    expect(submitted.code).toBe(0);
    const batchId = submitted.stdout.trim();

    const { code, leftovers } = await stopStack();
    expect(code).toBe(0);
    expect(leftovers).toEqual([]);

    await startStack();
    const out = path.join(work, 'restart-results.jsonl');
    let status: { state: string; counts: { completed: number; failed: number } } | undefined;
    for (;;) {
      const res = await fetch(`${baseUrl}/v1/batches/${batchId}`);
      expect(res.status).toBe(200);
      status = ((await res.json()) as { status: NonNullable<typeof status> }).status;
      if (status!.state !== 'BATCH_STATE_RUNNING') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toMatchObject({ state: 'BATCH_STATE_COMPLETED', counts: { completed: 30, failed: 0 } });
    expect((await run(['batch', 'results', batchId, '--out', out, '--url', baseUrl], env)).code).toBe(0);
    const indexes = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { index: number }).index);
    expect(indexes).toEqual(problems.map((_, i) => i));
  }, 240_000);
});
