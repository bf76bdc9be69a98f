import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(__dirname, '../../..');

/**
 * `slm models synth --format both` and `slm bench inference --vs-llama-cpp` as a user runs them, with
 * tiny sizes. In a child process (through swc-register, no dist needed): node-llama-cpp is ESM-only with
 * top-level await, which Jest's CommonJS module system cannot load.
 */
function slm(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(
    process.execPath,
    ['--require', path.join(root, 'tools/jest/swc-register.js'), path.join(root, 'apps/cli/src/main.ts'), ...args],
    {
      cwd: root,
      timeout: 120_000,
    },
  );
}

describe('slm bench inference --vs-llama-cpp', () => {
  let dir: string;

  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-vs-llama-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the ONNX folder and the Q4_0 GGUF of the same model with --format both', async () => {
    const { stdout } = await slm(['models', 'synth', '--preset', 'tiny', '--dtype', 'q4', '--format', 'both', '--out', dir]);
    expect(stdout).toMatch(/model-q4_0\.gguf \(Q4_0/);
    expect(fs.existsSync(path.join(dir, 'onnx/model_q4.onnx'))).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'model-q4_0.gguf')).subarray(0, 4).toString('latin1')).toBe('GGUF');
  });

  it('runs both runtimes on the same prompts and prints the figures and the ratio keys', async () => {
    const args = [
      'bench',
      'inference',
      '--model',
      dir,
      '--vs-llama-cpp',
      '--threads',
      '1',
      '--prompt-tokens',
      '8',
      '--long-prompt-tokens',
      '24',
    ];
    const { stdout } = await slm([...args, '--new-tokens', '4', '--sequences', '2', '--rounds', '1', '--json']);
    const report = JSON.parse(stdout.trim());
    expect(report).toMatchObject({
      threads: 1,
      prefillThreads: 0,
      promptTokens: 8,
      longPromptTokens: 24,
      newTokens: 4,
      sequences: 2,
      rounds: 1,
    });
    expect(report.gguf).toBe(path.join(dir, 'model-q4_0.gguf'));
    for (const runtime of [report.engine, report.llamaCpp]) {
      for (const point of ['short', 'long']) {
        expect(runtime.prefillTokensPerSecond[point]).toBeGreaterThan(0);
        expect(runtime.decodeTokensPerSecond[point]).toBeGreaterThan(0);
      }
      expect(runtime.aggregate).toMatchObject({ sequences: 2, completionTokens: 8 });
      expect(runtime.aggregate.aggregateDecodeTokensPerSecond).toBeGreaterThan(0);
      expect(runtime.aggregate.p99TimeToFirstTokenMs).toBeGreaterThanOrEqual(runtime.aggregate.p50TimeToFirstTokenMs);
    }
    for (const point of ['short', 'long']) {
      expect(report.prefillRatioVsLlamaCpp[point]).toBeGreaterThan(0);
      expect(report.decodeRatioVsLlamaCpp[point]).toBeGreaterThan(0);
    }
    expect(report.aggregateRatioVsLlamaCpp).toBeGreaterThan(0);
  });

  it('says how to write the GGUF when the folder has none', async () => {
    const onnxOnly = path.join(dir, 'onnx-only');
    await slm(['models', 'synth', '--preset', 'tiny', '--dtype', 'q4', '--out', onnxOnly]);
    await expect(
      slm(['bench', 'inference', '--model', onnxOnly, '--vs-llama-cpp', '--threads', '1', '--prompt-tokens', '8']),
    ).rejects.toThrow(/no \.gguf in .*--format both/);
  });
});
