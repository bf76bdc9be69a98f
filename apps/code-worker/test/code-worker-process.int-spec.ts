import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generate, getInfo, workerClient } from '../../../libs/worker-runtime/test/worker-client';
import { freePort, killWorker, spawnWorker, type WorkerProcess } from '../../../libs/worker-runtime/test/worker-process';

// The code worker as a real process on the synthetic fallback model: it serves its own domain on
// its own prefixed variables, and its extraction explains the (meaningless) output.

describe('code worker process', () => {
  let modelsDir: string;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-code-worker-'));
    worker = await spawnWorker('code-worker', {
      MODELS_DIR: modelsDir,
      CODE_WORKER_GRPC_HOST: '127.0.0.1',
      CODE_WORKER_GRPC_PORT: String(await freePort()),
      CODE_WORKER_QUEUE: 'false',
      CODE_WORKER_MAX_NEW_TOKENS: '8',
    });
  });

  afterAll(async () => {
    await killWorker(worker);
    fs.rmSync(modelsDir, { recursive: true, force: true });
  });

  it('serves the code domain with its defaults', async () => {
    const client = workerClient(worker?.grpcPort ?? 0);
    try {
      expect(await getInfo(client)).toMatchObject({ domain: 'DOMAIN_CODE', loadState: 'LOAD_STATE_READY', syntheticWeights: true });
      const { result } = await generate(client, { problem: { text: 'Question?', options: { temperature: 0 } } });
      expect(result?.usage?.completionTokens).toBeLessThanOrEqual(8);
      expect(result?.extracted?.value === '' ? result?.extracted?.missingReason : result?.extracted?.kind).not.toBe('');
    } finally {
      client.close();
    }
  });
});
