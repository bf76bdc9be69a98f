import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthesizeModel } from '../synth/synthesize-model';
import { runSamplesBench, type SamplesBenchReport } from './samples-bench';

// Shape and token counts only: timings on a shared 2-core machine say nothing a test can check.
describe('runSamplesBench', () => {
  let dir: string;
  let report: SamplesBenchReport;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'slm-samples-bench-'));
    await synthesizeModel({ preset: 'tiny', dtype: 'fp32', outDir: dir });
    report = await runSamplesBench({ modelDir: dir, samples: [3, 2], promptTokens: 40, newTokens: 6, threads: 1, prefillThreads: 1 });
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures k = 1 as the baseline and each k once, in order', () => {
    expect(report.samples.map((figures) => figures.k)).toEqual([1, 2, 3]);
    expect(report.samples[0]!.latencyVsK1).toBe(1);
    expect(report).toMatchObject({
      promptTokens: 40,
      newTokens: 6,
      temperature: 0.6,
      threads: 1,
      prefillThreads: 1,
      syntheticWeights: true,
    });
  });

  it('runs k samples of exactly --new-tokens tokens each, together and one after another', () => {
    for (const figures of report.samples) {
      expect(figures.completionTokens).toEqual(Array(figures.k).fill(6));
      expect(figures.sequentialCompletionTokens).toEqual(Array(figures.k).fill(6));
      for (const key of [
        'latencyMs',
        'aggregateTokensPerSecond',
        'firstTokenMs',
        'sequentialLatencyMs',
        'speedupVsSequential',
        'latencyVsK1',
      ] as const) {
        expect(figures[key]).toBeGreaterThan(0);
      }
    }
  });

  it('reports the prefix cache sharing the prompt: whole 16-token blocks, none for one sample', () => {
    const [one, ...more] = report.samples;
    expect(one!.cachedPromptTokens).toBe(0);
    for (const figures of more) {
      // 40 prompt tokens: two whole blocks, for every sample after the first at most.
      expect(figures.cachedPromptTokens % 16).toBe(0);
      expect(figures.cachedPromptTokens).toBeGreaterThan(0);
      expect(figures.cachedPromptTokens).toBeLessThanOrEqual((figures.k - 1) * 32);
    }
  });

  it('states the k = 8 target, unjudged when k = 8 was not measured, and the machine', () => {
    expect(report.target).toEqual({ k8LatencyVsK1Max: 3, k8LatencyVsK1: null, met: null });
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.cpu).toContain('×');
  });
});
