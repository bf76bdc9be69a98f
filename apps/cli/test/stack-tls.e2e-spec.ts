import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { grpcChannelCredentials, loadProto } from '@slm/contracts';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { grpcHealthIsServing } from '../src/stack-launcher';
import { descendantPids, instantStackVariables, isRunning, killAll, startStackProcess, type StackProcess } from './stack-processes';

// Issue 15, item 4 on the real processes, started as a user starts them: `slm certs dev`, then
// `slm up` with the variables it printed (HTTPS and gRPC TLS at the router, mutual TLS to the
// workers). The openai client reaches the router with the CA; a worker port reached directly
// refuses a caller without the router's client certificate.

const repo = path.resolve(__dirname, '..', '..', '..');
const slm = path.join(repo, 'bin', 'slm.js');

describe('slm up with the certificates of slm certs dev', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-stack-tls-'));
  const certs = path.join(work, 'certs');
  let stack: StackProcess;
  let env: Record<string, string>;
  const file = (name: string) => path.join(certs, name);

  beforeAll(async () => {
    const printed = execFileSync(process.execPath, [slm, 'certs', 'dev', '--out', certs], { cwd: repo, encoding: 'utf8' });
    // The printed lines are the variables to use: take them as a user pastes them.
    const tlsVariables = Object.fromEntries(
      printed
        .split('\n')
        .filter((line) => /^(ROUTER|WORKER)_\w*TLS\w*=/.test(line))
        .map((line) => line.split('=') as [string, string]),
    );
    expect(Object.keys(tlsVariables).sort()).toEqual([
      'ROUTER_TLS_CERT_FILE',
      'ROUTER_TLS_KEY_FILE',
      'ROUTER_WORKER_TLS_CA_FILE',
      'ROUTER_WORKER_TLS_CERT_FILE',
      'ROUTER_WORKER_TLS_KEY_FILE',
      'WORKER_TLS_CA_FILE',
      'WORKER_TLS_CERT_FILE',
      'WORKER_TLS_KEY_FILE',
    ]);
    env = {
      ...(await instantStackVariables(path.join(work, 'data'), path.join(work, 'models'))),
      ...tlsVariables,
    };
    const processEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    delete processEnv.REDIS_URL;
    stack = startStackProcess(process.execPath, [slm, 'up'], { env: processEnv, cwd: repo });
    await stack.line(/^Press Ctrl-C to stop\.$/);
  });

  afterAll(async () => {
    if (stack) {
      const pids = [stack.child.pid!, ...descendantPids(stack.child.pid!)];
      stack.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stack.exited, new Promise((resolve) => (timer = setTimeout(resolve, 30_000)))]);
      clearTimeout(timer);
      killAll(pids.filter(isRunning));
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('prints the https address in its banner', () => {
    expect(stack.output).toContain(
      `  ${'router'.padEnd(15)} https://127.0.0.1:${env.ROUTER_HTTP_PORT}  (REST /v1/solve, OpenAI /v1/chat/completions)`,
    );
  });

  it('answers the openai client over HTTPS, through mutual TLS to the worker', async () => {
    const agent = new Agent({ connect: { ca: fs.readFileSync(file('ca.pem')) } });
    const client = new OpenAI({
      baseURL: `https://localhost:${env.ROUTER_HTTP_PORT}/v1`,
      apiKey: 'unused',
      maxRetries: 0,
      fetch: undiciFetch as unknown as typeof fetch,
      fetchOptions: { dispatcher: agent } as object,
    });
    const completion = await client.chat.completions.create({ model: 'math', messages: [{ role: 'user', content: 'What is 2 + 2?' }] });
    expect(completion.choices[0]?.message.content).toBe('synthetic benchmark answer');
    await agent.close();
  });

  it('has workers that refuse a direct caller without the client certificate', async () => {
    const worker = `localhost:${env.MATH_WORKER_GRPC_PORT}`;
    const ca = fs.readFileSync(file('ca.pem'), 'utf8');
    expect(await grpcHealthIsServing(worker)).toBe(false);
    expect(await grpcHealthIsServing(worker, { ca })).toBe(false);
    expect(
      await grpcHealthIsServing(worker, {
        ca,
        cert: fs.readFileSync(file('router-client.pem'), 'utf8'),
        key: fs.readFileSync(file('router-client-key.pem'), 'utf8'),
      }),
    ).toBe(true);
    const generate = new Promise((resolve, reject) => {
      const client = new (loadProto().slmrouter.v1.Worker)(worker, grpcChannelCredentials({ ca }));
      client.Generate(
        { problem: { text: 'What is 2 + 2?', options: { maxNewTokens: 1_000_000_000 } } },
        { deadline: Date.now() + 5000 },
        (error, response) => {
          client.close();
          return error ? reject(error) : resolve(response);
        },
      );
    });
    await expect(generate).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });
});
