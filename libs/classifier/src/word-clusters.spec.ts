import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clusterWords, committedWordClustersPath, formatWordClusters, parseWordClusters, readWordClusters } from './word-clusters';

/** Three obvious groups in 3-d: words along x, along y and along z, with a little noise. */
function toyVectors(): { words: string[]; vectors: Float32Array } {
  const groups = [
    ['cat', 'dog', 'horse', 'cow'],
    ['python', 'java', 'rust', 'ruby'],
    ['court', 'judge', 'lawyer', 'trial'],
  ];
  const words: string[] = [];
  const rows: number[] = [];
  groups.forEach((group, g) => {
    group.forEach((word, k) => {
      words.push(word);
      const v = [0.1 * ((k % 2) - 0.5), 0.1 * (k / 4), 0.05 * k];
      v[g] = 1;
      rows.push(...v);
    });
  });
  // Interleave the groups so the input order does not give the answer away.
  const order = [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11];
  return { words: order.map((i) => words[i]), vectors: Float32Array.from(order.flatMap((i) => rows.slice(i * 3, i * 3 + 3))) };
}

describe('word clusters', () => {
  it('groups words whose vectors point the same way, the same way for the same seed', () => {
    const run = (): string[][] => {
      const { words, vectors } = toyVectors();
      return clusterWords(words, vectors, 3, { clusters: 3, iterations: 10, seed: 7 });
    };
    const clusters = run();
    expect(clusters.map((c) => [...c].sort())).toEqual(
      expect.arrayContaining([
        ['cat', 'cow', 'dog', 'horse'],
        ['java', 'python', 'ruby', 'rust'],
        ['court', 'judge', 'lawyer', 'trial'],
      ]),
    );
    // Canonical order: clusters by their first word's input position, words in input order.
    expect(clusters.map((c) => c[0])).toEqual(['cat', 'python', 'court']);
    expect(run()).toEqual(clusters);
  });

  it('writes and reads back the file format, comments and checksum included', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-clusters-'));
    try {
      const file = path.join(dir, 'clusters.txt');
      fs.writeFileSync(file, formatWordClusters([['cat', 'dog'], ['python']], ['made by a test']));
      expect(fs.readFileSync(file, 'utf8')).toBe('# made by a test\ncat dog\npython\n');
      const read = readWordClusters(file);
      expect(read.clusters).toEqual([['cat', 'dog'], ['python']]);
      expect(read.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(() => readWordClusters(path.join(dir, 'missing.txt'))).toThrow(/word clusters/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ships a committed cluster file of distinct lowercase words', () => {
    const clusters = parseWordClusters(fs.readFileSync(committedWordClustersPath(), 'utf8'));
    const words = clusters.flat();
    expect(clusters.length).toBeGreaterThan(10);
    expect(new Set(words).size).toBe(words.length);
    for (const word of words.slice(0, 1000)) expect(word).toMatch(/^[a-z]{2,}$/);
  });
});
