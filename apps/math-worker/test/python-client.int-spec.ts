import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { protoRoot } from '@slm/contracts';
import { freePort, killWorker, spawnWorker, type WorkerProcess } from '../../../libs/worker-runtime/test/worker-process';
import { PYTHON, describeWithPythonGrpc } from '../../../libs/platform/test/python-grpc';

// An independent client in another language: Debian's python3-grpcio with stubs generated from
// proto/ by protoc, calling Generate and GenerateStream on a running math worker process.

const run = promisify(execFile);

describeWithPythonGrpc('Python grpcio client against a running math worker', () => {
  let stubs: string;
  let modelsDir: string;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    stubs = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-py-stubs-'));
    modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-py-models-'));
    await run('protoc', [
      `--python_out=${stubs}`,
      `--grpc_out=${stubs}`,
      '--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin',
      '-I',
      protoRoot(),
      'slmrouter/v1/common.proto',
      'slmrouter/v1/worker.proto',
    ]);
    worker = await spawnWorker('math-worker', {
      MODELS_DIR: modelsDir,
      MATH_WORKER_GRPC_HOST: '127.0.0.1',
      MATH_WORKER_GRPC_PORT: String(await freePort()),
      MATH_WORKER_QUEUE: 'false',
    });
  });

  afterAll(async () => {
    await killWorker(worker);
    fs.rmSync(stubs, { recursive: true, force: true });
    fs.rmSync(modelsDir, { recursive: true, force: true });
  });

  it('calls Generate and GenerateStream and gets the same result in the contract shape', async () => {
    const { stdout } = await run(PYTHON, [
      path.join(__dirname, 'worker_client.py'),
      stubs,
      `127.0.0.1:${worker?.grpcPort}`,
      'What is 6*7?',
    ]);
    const output = JSON.parse(stdout) as {
      unary: Record<string, unknown> & { timing?: unknown; text?: string };
      stream: Array<{
        kind: string;
        delta?: { text?: string; channel?: string };
        result?: Record<string, unknown> & { timing?: unknown; text?: string };
      }>;
      info: Record<string, unknown>;
    };
    // proto3 JSON (MessageToDict): camelCase names, enums as names, int64 as strings, defaults omitted.
    expect(output.unary).toMatchObject({
      requestId: 'py-1',
      syntheticWeights: true,
      metadata: { client: 'python' },
      extracted: expect.any(Object),
    });
    expect(['FINISH_REASON_STOP', 'FINISH_REASON_LENGTH']).toContain(output.unary['finishReason']);
    const last = output.stream[output.stream.length - 1];
    expect(last?.kind).toBe('result');
    expect(output.stream.slice(0, -1).every((e) => e.kind === 'delta')).toBe(true);
    expect(
      output.stream
        .slice(0, -1)
        .map((e) => e.delta?.text ?? '')
        .join(''),
    ).toBe(last?.result?.text ?? '');
    expect({ ...last?.result, timing: null }).toEqual({ ...output.unary, timing: null });
    expect(output.info).toMatchObject({ domain: 'DOMAIN_MATH', loadState: 'LOAD_STATE_READY', syntheticWeights: true });
  });
});
