import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from './program';
import { captureOutput } from '../test/captured-output';

// `slm models synth` and `slm generate` driven as a user would, in-process, on a tiny model.
describe('slm models synth / slm generate', () => {
  let dir: string;
  const { out, err } = captureOutput();

  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-cli-synth-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    // Jest's console does not write to process.stdout: capture it too.
    jest.spyOn(console, 'log').mockImplementation((...args) => void out.push(`${args.join(' ')}\n`));
    jest.spyOn(console, 'error').mockImplementation((...args) => void err.push(`${args.join(' ')}\n`));
  });

  it('writes a complete model folder in the Hub layout', async () => {
    expect(await runCli(['models', 'synth', '--preset', 'tiny', '--dtype', 'fp32', '--out', dir])).toBe(0);
    for (const file of [
      'config.json',
      'generation_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'special_tokens_map.json',
      'onnx/model.onnx',
    ]) {
      expect(fs.existsSync(path.join(dir, file))).toBe(true);
    }
    expect(out.join('')).toContain('synthetic weights');
  });

  it('prints one JSON object with --json, greedy and reproducible with --temperature 0', async () => {
    const args = ['generate', '--model', dir, '--prompt', 'What is 2+2?', '--max-new-tokens', '6', '--temperature', '0', '--json'];
    expect(await runCli(args)).toBe(0);
    const first = JSON.parse(out.join('').trim());
    expect(Object.keys(first).sort()).toEqual(
      ['completionTokens', 'decodeTokensPerSecond', 'finishReason', 'promptTokens', 'text', 'timeToFirstTokenMs', 'tokenIds'].sort(),
    );
    expect(first.completionTokens).toBe(first.tokenIds.length);
    expect(first.completionTokens).toBeLessThanOrEqual(6);
    expect(first.promptTokens).toBeGreaterThan(0);
    out.length = 0;
    expect(await runCli(args)).toBe(0);
    expect(JSON.parse(out.join('').trim()).tokenIds).toEqual(first.tokenIds);
  });

  it('benchmarks N concurrent clients with --concurrency and prints the serving figures', async () => {
    const args = [
      'bench',
      'inference',
      '--model',
      dir,
      '--concurrency',
      '3',
      '--requests-per-client',
      '1',
      '--threads',
      '1',
      '--new-tokens-range',
      '4:12',
      '--json',
    ];
    expect(await runCli(args)).toBe(0);
    const report = JSON.parse(out.join('').trim());
    expect(report).toMatchObject({ concurrency: 3, maxBatchSize: 3, requests: 3, newTokens: [4, 12] });
    for (const key of [
      'aggregateDecodeTokensPerSecond',
      'p50TimeToFirstTokenMs',
      'p99TimeToFirstTokenMs',
      'p50InterTokenMs',
      'p99InterTokenMs',
      'speedupVsBatch1',
    ]) {
      expect(typeof report[key]).toBe('number');
    }
    expect(report.completionTokens).toBeGreaterThan(0);
  });

  it('benchmarks k self-consistency samples with --samples: k samples of --new-tokens each, together and one by one', async () => {
    const args = [
      'bench',
      'inference',
      '--model',
      dir,
      '--samples',
      '2,4',
      '--prompt-tokens',
      '24',
      '--new-tokens',
      '5',
      '--threads',
      '1',
      '--json',
    ];
    expect(await runCli(args)).toBe(0);
    const report = JSON.parse(out.join('').trim());
    expect(report).toMatchObject({ promptTokens: 24, newTokens: 5, target: { k8LatencyVsK1Max: 3, met: null } });
    expect(report.samples.map((figures: { k: number }) => figures.k)).toEqual([1, 2, 4]);
    for (const figures of report.samples) {
      expect(figures.completionTokens).toEqual(Array(figures.k).fill(5));
      expect(figures.sequentialCompletionTokens).toEqual(Array(figures.k).fill(5));
      for (const key of [
        'latencyMs',
        'aggregateTokensPerSecond',
        'firstTokenMs',
        'cachedPromptTokens',
        'sequentialLatencyMs',
        'speedupVsSequential',
        'latencyVsK1',
      ]) {
        expect(typeof figures[key]).toBe('number');
      }
    }
    expect(typeof report.machine.cpu).toBe('string');
    err.length = 0;
    expect(await runCli(['bench', 'inference', '--model', dir, '--samples', '1,17'])).toBe(2);
    expect(err.join('')).toMatch(/--samples/);
  });

  it('rejects a missing model folder and a bad option with a clear message', async () => {
    expect(await runCli(['generate', '--model', path.join(dir, 'nope'), '--prompt', 'x'])).not.toBe(0);
    expect(err.join('')).toContain(path.join(dir, 'nope'));
    err.length = 0;
    expect(await runCli(['generate', '--model', dir, '--prompt', 'x', '--max-new-tokens', '0'])).not.toBe(0);
    expect(err.join('')).toMatch(/--max-new-tokens/);
  });
});
