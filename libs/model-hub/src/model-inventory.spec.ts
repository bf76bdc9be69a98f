import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listLocalModels, workerAssignments } from './model-inventory';
import { resolveWorkerModel } from './model-resolution';
import { DEFAULT_WORKER_MODELS } from './known-models';

describe('model inventory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slm-inventory-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function modelFolder(relative: string, files: Record<string, string>): Promise<void> {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(dir, relative, path, '..'), { recursive: true });
      await writeFile(join(dir, relative, path), content);
    }
  }

  it('lists pulled and synthetic folders with their dtypes, size and state', async () => {
    await modelFolder('onnx-community/MobileLLM-R1-950M-ONNX', {
      'config.json': '{}',
      'onnx/model_q4.onnx': 'abcd',
      'onnx/model_fp16.onnx.part': 'ab',
    });
    await modelFolder('synthetic-tiny', { 'config.json': '{"slm_synthetic": {}}', 'onnx/model.onnx': '12345678' });
    await modelFolder('not-a-model/inner', { 'notes.txt': 'x' });

    expect(await listLocalModels(dir)).toEqual([
      expect.objectContaining({
        id: 'onnx-community/MobileLLM-R1-950M-ONNX',
        dtypes: ['q4'],
        sizeBytes: 8,
        synthetic: false,
        incomplete: true,
      }),
      expect.objectContaining({ id: 'synthetic-tiny', dtypes: ['fp32'], sizeBytes: 29, synthetic: true, incomplete: false }),
    ]);
    expect(await listLocalModels(join(dir, 'absent'))).toEqual([]);
  });

  it('resolves the model of each worker as the worker runtime does, with the documented defaults', async () => {
    await modelFolder('onnx-community/MobileLLM-R1-950M-ONNX', { 'config.json': '{}', 'onnx/model_q4.onnx': 'x' });
    const defaults = await workerAssignments({}, dir);
    expect(
      defaults.map(({ domain, model, dtype, source, present, whenMissing }) => ({ domain, model, dtype, source, present, whenMissing })),
    ).toEqual([
      {
        domain: 'math',
        model: 'onnx-community/MobileLLM-R1-950M-ONNX',
        dtype: undefined,
        source: 'default',
        present: true,
        whenMissing: 'synthetic',
      },
      {
        domain: 'code',
        model: 'onnx-community/MobileLLM-R1-950M-ONNX',
        dtype: undefined,
        source: 'default',
        present: true,
        whenMissing: 'synthetic',
      },
      {
        domain: 'science',
        model: 'onnx-community/MobileLLM-R1-360M-ONNX',
        dtype: undefined,
        source: 'default',
        present: false,
        whenMissing: 'synthetic',
      },
    ]);
  });

  it('honours <DOMAIN>_WORKER_MODEL (Hub id, alias or folder) and <DOMAIN>_WORKER_DTYPE', async () => {
    await modelFolder('onnx-community/MobileLLM-R1-950M-ONNX', { 'config.json': '{}', 'onnx/model_q4.onnx': 'x' });
    await modelFolder('elsewhere/my-model', { 'config.json': '{}', 'onnx/model.onnx': 'x' });
    const env = {
      MATH_WORKER_DTYPE: 'fp16',
      CODE_WORKER_MODEL: 'bad id!',
      SCIENCE_WORKER_MODEL: join(dir, 'elsewhere/my-model'),
    };
    const [math, code, science] = await workerAssignments(env, dir);
    // The default folder is there without fp16 weights: the worker loads it and fails; no synthetic fallback.
    expect(math).toMatchObject({ domain: 'math', dtype: 'fp16', source: 'default', present: false, whenMissing: 'fail' });
    expect(code).toMatchObject({
      domain: 'code',
      source: 'env',
      present: false,
      whenMissing: 'fail',
      problem: expect.stringContaining('bad id!'),
    });
    expect(science).toMatchObject({ domain: 'science', source: 'env', present: true, folder: join(dir, 'elsewhere/my-model') });
    const [, aliased] = await workerAssignments({ CODE_WORKER_MODEL: 'mobilellm-r1-950m', CODE_WORKER_DTYPE: 'q4' }, dir);
    expect(aliased).toMatchObject({ present: true, folder: join(dir, 'onnx-community/MobileLLM-R1-950M-ONNX') });
  });

  it('reports a configured model present only when the worker resolution loads that same folder', async () => {
    await modelFolder('onnx-community/MobileLLM-R1-950M-ONNX', { 'config.json': '{}', 'onnx/model_q4.onnx': 'x' });
    await modelFolder('empty-folder', { 'notes.txt': 'no config.json here' });
    const settings = [
      'mobilellm-r1-950m',
      'onnx-community/MobileLLM-R1-950M-ONNX',
      'mobilellm-r1-360m',
      join(dir, 'empty-folder'),
      'bad id!',
    ];
    for (const configured of settings) {
      const [math] = await workerAssignments({ MATH_WORKER_MODEL: configured }, dir);
      const worker = resolveWorkerModel({ configured, defaultModel: DEFAULT_WORKER_MODELS.math, modelsDir: dir });
      expect({ configured, present: math.present, loads: worker.kind === 'folder' ? worker.dir : 'refuses to start' }).toEqual({
        configured,
        present: worker.kind === 'folder',
        loads: math.present ? math.folder : 'refuses to start',
      });
    }
  });
});
