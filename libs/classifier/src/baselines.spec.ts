import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeWordNgrams, fitLogisticBaseline, fitNaiveBayes, wordNgramBuckets } from './baselines';
import { readDataset } from './dataset';
import { leaveOneSourceOutWith } from './evaluation';
import { writeSyntheticDataset } from '../test/synthetic-data';

describe('baselines', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-baselines-'));
    writeSyntheticDataset(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('hashes word unigrams and bigrams with their counts, case- and width-insensitively', () => {
    const buckets = wordNgramBuckets('Sort the list, sort the LIST!', 12);
    // 6 words (1-letter words dropped as scikit-learn does) → 6 unigrams + 5 bigrams.
    expect(buckets).toHaveLength(11);
    expect(buckets[0]).toBe(buckets[5]); // "sort" twice: unigrams at 0, 1, 3, 5…, bigrams between
    expect(Array.from(wordNgramBuckets('Ｓｏｒｔ', 12))).toEqual([buckets[0]]);
    for (const b of buckets) expect(b).toBeLessThan(1 << 12);
  });

  it('scores held-out sources well above chance on separable data (Naive Bayes and logistic regression)', () => {
    const { items } = readDataset(dir);
    const data = encodeWordNgrams(items, 14);
    const nb = leaveOneSourceOutWith(data, (train) => fitNaiveBayes(data, train), {});
    const lr = leaveOneSourceOutWith(data, (train) => fitLogisticBaseline(data, train, 3), {});
    expect(nb.items).toBe(480);
    expect(nb.accuracy).toBeGreaterThan(0.85);
    expect(lr.accuracy).toBeGreaterThan(0.85);
  });

  it('gives Naive Bayes log joint probabilities that favour the class whose words appear', () => {
    const { items } = readDataset(dir);
    const data = encodeWordNgrams([...items, { text: 'python sql compile loop', domain: 'code', source: 'probe' }], 14);
    const model = fitNaiveBayes(
      data,
      Int32Array.from({ length: items.length }, (_, i) => i),
    );
    const z = new Float64Array(4);
    model.logits(items.length, z);
    expect(Math.max(...z)).toBe(z[1]);
    expect(z.every((v) => Number.isFinite(v) && v < 0)).toBe(true);
  });
});
