import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Prng } from './prng';
import { DomainClassifier } from './domain-classifier';
import { readDataset, readTrainingData, seedExamplesPaths } from './dataset';
import { type EncodedDataset, encodeDataset, exampleWeights, fitModel, trainModel } from './trainer';
import { datasetOf, leaveOneSourceOut } from './evaluation';
import { loadModel, saveModel } from './model-artifact';
import { syntheticText, writeSyntheticDataset } from '../test/synthetic-data';

describe('training on a small synthetic dataset', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-classifier-'));
    writeSyntheticDataset(path.join(dir, 'data'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const options = { bits: 12, epochs: 4, seed: 3 };

  it('reads every file in name order with per-file counts and licences', () => {
    const { items, files } = readDataset(path.join(dir, 'data'));
    expect(items).toHaveLength(480);
    expect(files.map((f) => f.file)).toEqual([
      'code_a.jsonl',
      'code_b.jsonl',
      'math_a.jsonl',
      'math_b.jsonl',
      'other_a.jsonl',
      'other_b.jsonl',
      'science_a.jsonl',
      'science_b.jsonl',
    ]);
    expect(files[0]).toEqual({
      file: 'code_a.jsonl',
      items: 60,
      perClass: { math: 0, code: 60, science: 0, other: 0 },
      licenses: ['CC0-1.0'],
    });
    expect(items[0].source).toBe('code_a');
  });

  it('is deterministic from the seed', () => {
    const { items } = readDataset(path.join(dir, 'data'));
    const a = trainModel(items, options).model;
    const b = trainModel(items, options).model;
    const c = trainModel(items, { ...options, seed: 4 }).model;
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(b.weights.buffer))).toBe(true);
    expect(a.temperature).toBe(b.temperature);
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(c.weights.buffer))).toBe(false);
  });

  it('averages members so that two seeds give closer weights than single models do', () => {
    const { items } = readDataset(path.join(dir, 'data'));
    // Two averages of disjoint members (seeds 3–6 against 7–10), against two single models (3 against 4).
    const distance = (members: number): number => {
      const a = trainModel(items, { ...options, members }).model.weights;
      const b = trainModel(items, { ...options, members, seed: options.seed + members }).model.weights;
      return Math.sqrt(a.reduce((sum, x, i) => sum + (x - b[i]) ** 2, 0));
    };
    expect(distance(4)).toBeLessThan(0.8 * distance(1));
  });

  it('learns the classes (fresh texts from the same generator)', () => {
    const { items } = readDataset(path.join(dir, 'data'));
    const classifier = new DomainClassifier(trainModel(items, options).model);
    const prng = new Prng(99);
    let correct = 0;
    const domains = ['math', 'code', 'science', 'other'] as const;
    for (let i = 0; i < 200; i++) {
      const domain = domains[i % 4];
      if (classifier.classify(syntheticText(domain, prng), { topFeatures: 0 }).domain === domain) correct++;
    }
    expect(correct).toBeGreaterThan(180);
  });

  it('saves float16 weights with a manifest and loads them back', () => {
    const { items } = readDataset(path.join(dir, 'data'));
    const { model } = trainModel(items, options);
    const file = path.join(dir, 'out', 'model.json');
    saveModel(model, file, { training: { seed: 3 } });
    expect(fs.statSync(path.join(dir, 'out', 'model.weights.bin')).size).toBe(4096 * 4 * 2);
    const loaded = loadModel(file);
    expect(loaded.manifest.training).toEqual({ seed: 3 });
    const original = new DomainClassifier(model).classify('solve the equation for the integer');
    const again = new DomainClassifier(loaded.model).classify('solve the equation for the integer');
    expect(again.domain).toBe(original.domain);
    expect(again.confidence).toBeCloseTo(original.confidence, 2);
  });

  it('refuses a tampered or missing artifact with MODEL_LOAD_FAILED', () => {
    const { items } = readDataset(path.join(dir, 'data'));
    const file = path.join(dir, 'bad', 'model.json');
    saveModel(trainModel(items, options).model, file, {});
    const weights = path.join(dir, 'bad', 'model.weights.bin');
    const bytes = fs.readFileSync(weights);
    bytes[10] ^= 0xff;
    fs.writeFileSync(weights, bytes);
    expect(() => loadModel(file)).toThrow(
      expect.objectContaining({ code: 'MODEL_LOAD_FAILED', message: expect.stringContaining('sha256') }),
    );
    expect(() => DomainClassifier.load(path.join(dir, 'nope.json'))).toThrow(expect.objectContaining({ code: 'MODEL_LOAD_FAILED' }));
  });

  it('refuses an artifact trained with other word clusters than the committed ones', () => {
    const { items } = readDataset(path.join(dir, 'data'));
    const file = path.join(dir, 'other-clusters', 'model.json');
    saveModel(trainModel(items, options).model, file, {});
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(manifest.features.wordClusters).toMatchObject({
      file: 'word-clusters.txt',
      clusters: expect.any(Number),
      words: expect.any(Number),
    });
    manifest.features.wordClusters.sha256 = '0'.repeat(64);
    fs.writeFileSync(file, JSON.stringify(manifest));
    expect(() => loadModel(file)).toThrow(
      expect.objectContaining({ code: 'MODEL_LOAD_FAILED', message: expect.stringContaining('word clusters') }),
    );
  });

  it('rejects malformed training lines with file and line', () => {
    const bad = path.join(dir, 'bad-data');
    fs.mkdirSync(bad, { recursive: true });
    fs.writeFileSync(path.join(bad, 'x.jsonl'), '{"text":"ok","domain":"math"}\n{"text":"hi","domain":"poetry"}\n');
    expect(() => readDataset(bad)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('x.jsonl:2') }),
    );
    expect(() => readDataset(path.join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('evaluates leave-one-source-out: every item predicted once, metrics in range', () => {
    const { items } = readDataset(path.join(dir, 'data'));
    const encoded = encodeDataset(items, options.bits);
    const report = leaveOneSourceOut(encoded, options);
    expect(report.sources).toBe(8);
    expect(report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(480);
    expect(report.perSource.map((s) => s.items)).toEqual(Array(8).fill(60));
    expect(report.macroF1).toBeGreaterThan(0.8);
    expect(report.macroF1).toBeLessThanOrEqual(1);
    expect(fitModel(encoded, options).calibration.items).toBe(48);
  });

  it('evaluates leave-one-dataset-out: the files of one dataset (any class) are held out together', () => {
    const { items } = readDataset(path.join(dir, 'data'));
    const folds: string[] = [];
    const report = leaveOneSourceOut(encodeDataset(items, options.bits), options, (heldOut) => folds.push(heldOut), 'dataset');
    // code_a, math_a, other_a, science_a are the dataset "a"; the *_b files the dataset "b".
    expect(folds).toEqual(['a', 'b']);
    expect(report).toMatchObject({ method: 'leave-one-dataset-out', sources: 8, folds: 2, items: 480 });
    expect(report.perSource).toHaveLength(8);
    expect(datasetOf('science_exams_multilingual')).toBe(datasetOf('other_exams_multilingual'));
  });

  it('evaluates five folds of items: every source in training, so a label only its own words carry is learned', () => {
    // A science file written in words no other file uses: held out whole, nothing tells its class;
    // with a fifth of it held out at a time, the other four fifths teach it.
    const withJargon = path.join(dir, 'with-jargon');
    fs.cpSync(path.join(dir, 'data'), withJargon, { recursive: true });
    const jargon = Array.from({ length: 60 }, (_, i) =>
      JSON.stringify({ text: `zorblat quiddle vexome ${['frin', 'plax', 'trum'][i % 3]} number ${i}`, domain: 'science' }),
    );
    fs.writeFileSync(path.join(withJargon, 'science_jargon.jsonl'), `${jargon.join('\n')}\n`);
    const encoded = encodeDataset(readDataset(withJargon).items, options.bits);
    const folds: string[] = [];
    const byItems = leaveOneSourceOut(encoded, options, (heldOut) => folds.push(heldOut), 'items');
    expect(folds).toEqual(['fold 1', 'fold 2', 'fold 3', 'fold 4', 'fold 5']);
    expect(byItems).toMatchObject({ method: 'five folds of items', sources: 9, folds: 5, items: 540 });
    expect(byItems.confusion.flat().reduce((a, b) => a + b, 0)).toBe(540);
    const jargonAccuracy = (report: typeof byItems) => report.perSource.find((s) => s.source === 'science_jargon')!.accuracy;
    expect(jargonAccuracy(byItems)).toBeGreaterThan(0.9);
    expect(jargonAccuracy(leaveOneSourceOut(encoded, options))).toBeLessThan(0.6);
  });

  it('adds seed examples as train-only items: in every fold, never evaluated', () => {
    const seeds = path.join(dir, 'seeds.jsonl');
    fs.writeFileSync(
      seeds,
      `${JSON.stringify({ text: 'compile the loop and fix the bug', domain: 'code', license: 'CC0-1.0' })}\n${JSON.stringify({ text: 'the painting of the old castle', domain: 'other' })}\n`,
    );
    const { items, files } = readTrainingData(path.join(dir, 'data'), { seedExamples: seeds });
    expect(items).toHaveLength(482);
    expect(items.filter((item) => item.trainOnly).map((item) => item.source)).toEqual(['seeds', 'seeds']);
    expect(files[8]).toMatchObject({ file: 'seeds.jsonl', items: 2, trainOnly: true });
    const report = leaveOneSourceOut(encodeDataset(items, options.bits), { ...options, epochs: 1 });
    expect(report).toMatchObject({ items: 480, sources: 8, trainOnlyItems: 2, trainOnlySources: ['seeds'] });
    expect(report.perSource.map((s) => s.source)).not.toContain('seeds');
    expect(report.labels).toHaveLength(480);
    expect(readTrainingData(path.join(dir, 'data'), { seedExamples: false }).items).toHaveLength(480);
  });

  it('finds the committed seed examples: hand-written lines of every class', () => {
    const files = seedExamplesPaths();
    expect(files.some((file) => /libs[/\\]classifier[/\\]data[/\\]seed-examples\.jsonl$/.test(file))).toBe(true);
    const { items } = readTrainingData(path.join(dir, 'data'));
    const seeded = items.filter((item) => item.trainOnly);
    for (const domain of ['math', 'code', 'science', 'other'])
      expect(seeded.filter((item) => item.domain === domain).length).toBeGreaterThanOrEqual(50);
  });
});

describe('example weights by language', () => {
  const MATH = 0;
  const OTHER = 3;
  /** Items of [language, class, count] groups, one source per group, as exampleWeights reads them. */
  function dataset(groups: [number, number, number][]): EncodedDataset {
    const labels: number[] = [];
    const sources: number[] = [];
    const languages: number[] = [];
    groups.forEach(([language, label, count], source) => {
      for (let i = 0; i < count; i++) {
        labels.push(label);
        sources.push(source);
        languages.push(language);
      }
    });
    const empty = new Int32Array(0);
    return {
      bits: 4,
      offsets: new Int32Array(labels.length + 1),
      splits: new Int32Array(labels.length),
      buckets: empty,
      labels: Uint8Array.from(labels),
      sources: Int32Array.from(sources),
      sourceNames: groups.map((_, i) => `s${i}`),
      trainOnly: new Uint8Array(labels.length),
      languages: Uint16Array.from(languages),
    };
  }
  const total = (data: EncodedDataset, weights: Float64Array, language: number, label: number) =>
    weights.reduce((sum, w, i) => (data.languages![i] === language && data.labels[i] === label ? sum + w : sum), 0);

  // English: both classes alike; German: 30 "other" items (an exam source) and 3 math ones.
  const data = dataset([
    [0, MATH, 10],
    [0, OTHER, 10],
    [1, OTHER, 30],
    [1, MATH, 3],
  ]);
  const all = Int32Array.from(data.labels.keys());

  it('gives each class of a language the same weight, so the language says nothing of the class', () => {
    const balanced = exampleWeights(data, all, 0, 1);
    expect(total(data, balanced, 1, MATH)).toBeCloseTo(total(data, balanced, 1, OTHER), 9);
    // Every class still carries the same total weight overall, and the mean weight stays 1.
    const overall = (label: number) => total(data, balanced, 0, label) + total(data, balanced, 1, label);
    expect(overall(MATH)).toBeCloseTo(overall(OTHER), 9);
    expect(balanced.reduce((a, b) => a + b, 0) / all.length).toBeCloseTo(1, 9);
  });

  it('leaves the language mix alone at languageBalance 0, and without language groups', () => {
    const plain = exampleWeights(data, all, 0, 0);
    // Only the overall class balance: 13 math items carry what 40 other items carry.
    expect(total(data, plain, 1, MATH) / total(data, plain, 1, OTHER)).toBeCloseTo((3 / 30) * (40 / 13), 9);
    const noLanguages = exampleWeights({ ...data, languages: undefined }, all, 0, 1);
    expect(Array.from(noLanguages)).toEqual(Array.from(plain));
  });

  it('weighs a lone item of its language up at most tenfold against the rest', () => {
    const lone = dataset([
      [0, MATH, 50],
      [0, OTHER, 50],
      [1, OTHER, 1000],
      [1, MATH, 1],
    ]);
    const indices = Int32Array.from(lone.labels.keys());
    const plain = exampleWeights(lone, indices, 0, 0);
    const balanced = exampleWeights(lone, indices, 0, 1);
    const loneItem = lone.labels.length - 1;
    const englishMath = 0;
    const gain = balanced[loneItem] / balanced[englishMath] / (plain[loneItem] / plain[englishMath]);
    expect(gain).toBeCloseTo(10, 6);
  });
});
