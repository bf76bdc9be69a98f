import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from './program';
import { captureOutput } from '../test/captured-output';
import { writeSyntheticDataset } from '../../../libs/classifier/test/synthetic-data';

describe('slm classifier commands', () => {
  let dir: string;
  const { out, err } = captureOutput();
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-classify-cli-'));
    writeSyntheticDataset(path.join(dir, 'data'), 40);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const outputLines = (): Record<string, unknown>[] =>
    out
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l));

  it('classify keeps input order over many lines and marks bad lines instead of dropping them', async () => {
    const texts = [
      'Solve for x: $2x + 3 = 11$.',
      'How do I reverse a list in Python?',
      'What gas do plants take in for photosynthesis?',
      'Who painted the Mona Lisa?',
    ];
    const lines: string[] = [];
    for (let i = 0; i < 1200; i++) lines.push(JSON.stringify({ id: i, text: texts[i % 4] }));
    lines.splice(5, 0, 'not json');
    lines.splice(7, 0, JSON.stringify({ id: 'no-text' }));
    lines.splice(9, 0, JSON.stringify({ id: 'blank', text: '   ' }));
    const file = path.join(dir, 'in.jsonl');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    expect(await runCli(['classify', file])).toBe(0);
    const results = outputLines();
    expect(results).toHaveLength(1203);
    expect(results.map((r) => r.line)).toEqual(Array.from({ length: 1203 }, (_, i) => i + 1));
    expect(results[5]).toEqual({ line: 6, error: { code: 'INVALID_ARGUMENT', message: 'line is not valid JSON' } });
    expect(results[7]).toMatchObject({ line: 8, id: 'no-text', error: { code: 'INVALID_ARGUMENT' } });
    expect(results[9]).toMatchObject({ line: 10, id: 'blank', error: { code: 'INVALID_ARGUMENT', message: 'text must not be empty' } });
    const ok = results.filter((r) => !r.error);
    expect(ok.map((r) => r.id)).toEqual(Array.from({ length: 1200 }, (_, i) => i));
    expect(ok.slice(0, 4).map((r) => r.domain)).toEqual(['math', 'code', 'science', 'other']);
    const scores = ok[0].scores as Record<string, number>;
    expect(Object.keys(scores)).toEqual(['math', 'code', 'science', 'other']);
    expect(scores.math).toBe(ok[0].confidence);
    expect(err.join('')).toContain('3 of 1203 lines');
  });

  it('classify reads plain text lines', async () => {
    const file = path.join(dir, 'in.txt');
    fs.writeFileSync(file, 'What is 7 * 8?\n\nwrite a bash one-liner to count lines in all .py files\n');
    expect(await runCli(['classify', file])).toBe(0);
    const results = outputLines();
    expect(results.map((r) => r.domain ?? (r.error as { code: string }).code)).toEqual(['math', 'INVALID_ARGUMENT', 'code']);
  });

  it('classify fails clearly on a missing file', async () => {
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await runCli(['classify', path.join(dir, 'missing.jsonl')])).toBe(1);
    expect(String(logged.mock.calls[0][0])).toContain('ENOENT');
  });

  it('router train writes a manifest with provenance and weights that classify can use', async () => {
    const model = path.join(dir, 'model', 'm.json');
    expect(
      await runCli([
        'router',
        'train',
        '--data',
        path.join(dir, 'data'),
        '--out',
        model,
        '--seed',
        '5',
        '--bits',
        '12',
        '--epochs',
        '3',
        '--no-seed-examples',
      ]),
    ).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(model, 'utf8'));
    expect(manifest).toMatchObject({
      format: 'slm-router-classifier',
      version: 1,
      features: { bits: 12 },
      training: { seed: 5, items: 320, licenses: ['CC0-1.0'] },
    });
    expect(manifest.training.files).toHaveLength(8);
    expect(manifest.metrics.calibration.temperature).toBeGreaterThan(0);
    out.length = 0;
    const file = path.join(dir, 'one.txt');
    fs.writeFileSync(file, 'python function string loop bug\n');
    expect(await runCli(['classify', '--model', model, file])).toBe(0);
    expect(outputLines()[0]).toMatchObject({ line: 1, domain: 'code' });
  });

  it('router train adds seed examples to training and records them as train-only', async () => {
    const seeds = path.join(dir, 'my-seeds.jsonl');
    fs.writeFileSync(
      seeds,
      ['how do I join two tables in SQL?', 'what is 2 + 2?', 'is aspirin safe for children?']
        .map((text, i) => JSON.stringify({ text, domain: ['code', 'math', 'science'][i], license: 'CC0-1.0' }))
        .join('\n'),
    );
    const model = path.join(dir, 'seeded', 'm.json');
    expect(
      await runCli([
        'router',
        'train',
        '--data',
        path.join(dir, 'data'),
        '--out',
        model,
        '--bits',
        '12',
        '--epochs',
        '2',
        '--seed-examples',
        seeds,
      ]),
    ).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(model, 'utf8'));
    expect(manifest.training.items).toBe(323);
    expect(manifest.training.trainOnlyFiles).toEqual(['my-seeds.jsonl']);
    expect(manifest.training.files[8]).toEqual({
      file: 'my-seeds.jsonl',
      items: 3,
      perClass: { math: 1, code: 1, science: 1, other: 0 },
      licenses: ['CC0-1.0'],
      trainOnly: true,
    });
  });

  it('router eval writes a Markdown and a JSON report', async () => {
    const report = path.join(dir, 'report', 'eval.md');
    expect(await runCli(['router', 'eval', '--data', path.join(dir, 'data'), '--out', report, '--bits', '12', '--epochs', '2'])).toBe(0);
    const summary = JSON.parse(out.join(''));
    expect(summary).toMatchObject({ method: 'leave-one-source-out', items: 320, sources: 8 });
    const markdown = fs.readFileSync(report, 'utf8');
    expect(markdown).toContain('## Confusion matrix');
    // A source's row: the model's accuracy (in bold, marked, where a baseline beats it) and both baselines'.
    expect(markdown).toMatch(/\| code_a \| code \| 40 \| (\*\*[\d.]+%\*\* \(behind\)|[\d.]+%) \| [\d.]+% \| [\d.]+% \|/);
    // The plain baselines are trained and scored on the same folds, in the same run.
    expect(summary.baselines).toMatchObject({
      'Naive Bayes': { items: 320, sources: 8 },
      'logistic regression': { items: 320, sources: 8 },
    });
    expect(markdown).toContain('| | shipped model | Naive Bayes | logistic regression |');
    expect(markdown).toContain('## Targets');
    expect(markdown).toMatch(/## Default route policy on held-out items[\s\S]*\| all \| +\| 320 \|/);
    // The committed seed examples train every fold but are never scored.
    expect(markdown).toMatch(/Train-only: \d+ items of (`[\w-]+`, )*`seed-examples`/);
    expect(markdown).not.toContain('| seed-examples |');
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'report', 'eval.json'), 'utf8'));
    expect(json.perSource).toHaveLength(8);
    expect(json.baselines.map((b: { name: string; perSource: unknown[] }) => [b.name, b.perSource.length])).toEqual([
      ['Naive Bayes', 8],
      ['logistic regression', 8],
    ]);
  });

  it('router clusters groups the words of an embeddings file into a cluster file', async () => {
    const vectors = path.join(dir, 'glove.txt');
    const rows = [
      'the 0.3 0.3 0.3',
      'cat 1 0.1 0',
      'court 0 0.1 1',
      'dog 0.9 0 0.1',
      "don't 1 1 1",
      'judge 0.1 0 0.9',
      'x 1 0 0',
      'horse 1 0 0.1',
      'lawyer 0 0 1',
    ];
    fs.writeFileSync(vectors, `${rows.join('\n')}\n`);
    const file = path.join(dir, 'clusters', 'words.txt');
    expect(
      await runCli([
        'router',
        'clusters',
        '--embeddings',
        vectors,
        '--out',
        file,
        '--words',
        '100',
        '--skip',
        '1',
        '--clusters',
        '2',
        '--iterations',
        '5',
      ]),
    ).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({ out: file, words: 6, clusters: 2 });
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain(
      '# Made by: slm router clusters --embeddings glove.txt --words 100 --skip 1 --clusters 2 --iterations 5 --seed 42',
    );
    // "the" is skipped (the most frequent word), "don't" and "x" are not plain words.
    expect(text.split('\n').filter((line) => line !== '' && !line.startsWith('#'))).toEqual(['cat dog horse', 'court judge lawyer']);
  });

  it.each([
    ['not JSON', '{bad', /not valid JSON/],
    ['JSON of another shape', '{"a": 1}', /expected wink-embeddings JSON/],
    [
      'a vector with a non-number',
      '{"dimensions": 2, "words": ["ab", "cd"], "vectors": {"ab": [1, "x"], "cd": [1, 2]}}',
      /the vector of "ab" is not 2 finite numbers/,
    ],
    ['a GloVe line with a non-number', 'ab 1 2\ncd 3 zz\n', /the vector of "cd" is not 2 finite numbers/],
    ['no plain words', "don't 1 2\n", /no word vectors found/],
  ])('router clusters names what is wrong with an embeddings file: %s', async (_name, content, message) => {
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const vectors = path.join(dir, 'bad-embeddings');
    fs.writeFileSync(vectors, content);
    expect(await runCli(['router', 'clusters', '--embeddings', vectors, '--out', path.join(dir, 'never.txt')])).toBe(1);
    expect(String(logged.mock.calls[0][0])).toMatch(message);
    expect(fs.existsSync(path.join(dir, 'never.txt'))).toBe(false);
    logged.mockRestore();
  });

  it('router train rejects a bad seed', async () => {
    expect(await runCli(['router', 'train', '--data', dir, '--out', path.join(dir, 'x.json'), '--seed', 'abc'])).not.toBe(0);
    expect(err.join('')).toMatch(/--seed <n>.*abc.*expected an integer/);
  });

  it('router train rejects a language balance outside 0..1', async () => {
    expect(await runCli(['router', 'train', '--data', dir, '--out', path.join(dir, 'x.json'), '--language-balance', '1.5'])).toBe(2);
    expect(err.join('')).toMatch(/--language-balance <x>.*1\.5.*expected a number in 0\.\.1/);
    expect(fs.existsSync(path.join(dir, 'x.json'))).toBe(false);
  });

  it('bench classifier prints latency percentiles as JSON', async () => {
    expect(await runCli(['bench', 'classifier', '--json', '--texts', '50', '--rounds', '1'])).toBe(0);
    const result = JSON.parse(out.join(''));
    expect(result).toMatchObject({ bench: 'classifier', texts: 50, rounds: 1 });
    expect(result.maxChars).toBeLessThanOrEqual(2000);
    expect(result.scoresOnly.p99Us).toBeGreaterThan(0);
    expect(result.withTopFeatures.textsPerSecond).toBeGreaterThan(0);
    // The peer in the same run: the Naive Bayes baseline scoring the same texts.
    expect(result.peerNaiveBayesWordNgrams.p99Us).toBeGreaterThan(0);
    // The cold-cache pass: both models again, each text after 16 MiB of other memory was touched.
    expect(result.coldCache).toMatchObject({ evictedMiB: 16 });
    expect(result.coldCache.withTopFeatures.p50Us).toBeGreaterThan(0);
    expect(result.coldCache.peerNaiveBayesWordNgrams.textsPerSecond).toBeGreaterThan(0);
    expect(result.cpu).toEqual(expect.any(String));
  });

  it('bench classifier leaves the cold-cache pass out with --evict-mb 0 and rejects a bad size', async () => {
    expect(await runCli(['bench', 'classifier', '--json', '--texts', '20', '--rounds', '1', '--evict-mb', '0'])).toBe(0);
    expect(JSON.parse(out.join(''))).not.toHaveProperty('coldCache');
    expect(await runCli(['bench', 'classifier', '--evict-mb', 'lots'])).toBe(2);
    expect(err.join('')).toMatch(/--evict-mb <n>.*lots/);
  });
});
