import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeHub, fakeOnnxRepoFiles, sha256 } from '../../../libs/model-hub/test/fake-hub';
import { modelsCommand, registerModelsCommands } from './models.commands';
import { runCli } from './program';

describe('slm models', () => {
  const repo = { id: 'onnx-community/MobileLLM-R1-360M-ONNX', commit: 'c'.repeat(40), files: fakeOnnxRepoFiles(3) };
  const gated = { id: 'facebook/Gated-ONNX', commit: 'd'.repeat(40), files: fakeOnnxRepoFiles(4), gated: true };
  let hub: FakeHub;
  let dir: string;
  let out: string[];
  let err: string[];
  const savedEnv = { ...process.env };
  const stderrIsTTY = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');

  beforeAll(async () => {
    hub = await FakeHub.start({ repos: [repo, gated] });
    dir = await mkdtemp(join(tmpdir(), 'slm-cli-models-'));
  });
  afterAll(async () => {
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    out = [];
    err = [];
    process.env.HF_ENDPOINT = hub.endpoint;
    delete process.env.HF_TOKEN;
    for (const domain of ['MATH', 'CODE', 'SCIENCE']) for (const name of ['MODEL', 'DTYPE']) delete process.env[`${domain}_WORKER_${name}`];
    // Plain lines, as in a log or a pipe, whatever terminal runs the tests.
    Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...savedEnv };
    if (stderrIsTTY) Object.defineProperty(process.stderr, 'isTTY', stderrIsTTY);
    else delete (process.stderr as { isTTY?: boolean }).isTTY;
  });

  it('pull shows the licence first, then downloads and verifies the files', async () => {
    expect(await runCli(['models', 'pull', 'mobilellm-r1-360m', '--dir', dir])).toBe(0);

    const text = out.join('');
    expect(text).toContain('Model:    onnx-community/MobileLLM-R1-360M-ONNX (revision main, dtype q4)');
    expect(text).toContain('Licence:  FAIR Noncommercial Research License v1');
    expect(text.indexOf('Licence:')).toBeLessThan(text.indexOf('config.json'));
    expect(text).toMatch(/✓ onnx\/model_q4\.onnx_data 2\.5 MB verified \(sha256\)/);
    expect(text).toContain(`commit ${repo.commit}`);
    expect(text).toContain('Use:      the science worker(s) load it by default');
    const data = await readFile(join(dir, repo.id, 'onnx/model_q4.onnx_data'));
    expect(sha256(data)).toBe(sha256(repo.files.find((file) => file.path === 'onnx/model_q4.onnx_data')?.content as Buffer));
    expect(existsSync(join(dir, repo.id, 'onnx/model_fp16.onnx'))).toBe(false);
  });

  it('list shows the pulled model and which worker uses what', async () => {
    process.env.CODE_WORKER_MODEL = 'onnx-community/MobileLLM-R1-360M-ONNX';
    expect(await runCli(['models', 'list', '--dir', dir])).toBe(0);

    const lines = out.join('').split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}onnx-community\/MobileLLM-R1-360M-ONNX +q4 +3\.6 MB +real +cccccccccccc/));
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^ {2}math +onnx-community\/MobileLLM-R1-950M-ONNX +auto +default +not pulled: runs the synthetic stand-in \(RANDOM weights\); slm models pull onnx-community\/MobileLLM-R1-950M-ONNX$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}code +onnx-community\/MobileLLM-R1-360M-ONNX +auto +CODE_WORKER_MODEL +present/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}science +onnx-community\/MobileLLM-R1-360M-ONNX +auto +default +present/));
  });

  it('pull of a gated repo without HF_TOKEN fails with exit code 1 and says what to do', async () => {
    expect(await runCli(['models', 'pull', gated.id, '--dir', dir])).toBe(1);
    expect(err.join('')).toMatch(/^slm models pull: facebook\/Gated-ONNX needs authentication \(401\).*Set HF_TOKEN/);
    expect(hub.requests.filter((request) => request.headers.authorization !== undefined)).toEqual([]);
  });

  it('pull of an unknown dtype lists the ones on offer', async () => {
    expect(await runCli(['models', 'pull', 'mobilellm-r1-360m', '--dtype', 'int4', '--dir', dir])).toBe(1);
    expect(err.join('')).toContain('unknown dtype');
    expect(err.join('')).toContain('available: q4, fp16');
  });

  it('creates the models parent command once, whoever asks first', () => {
    const program = new Command('slm');
    const first = modelsCommand(program);
    registerModelsCommands(program);
    expect(modelsCommand(program)).toBe(first);
    expect(program.commands.filter((command) => command.name() === 'models')).toHaveLength(1);
    expect(first.commands.map((command) => command.name())).toEqual(['pull', 'list']);
  });
});
