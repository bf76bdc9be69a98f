import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError, ErrorCode } from '@slm/platform';
import { Prng } from './prng';

/**
 * Word clusters: groups of English words with similar pretrained embeddings (GloVe vectors), one
 * cluster id per word. Each word of a text also emits the feature of its cluster (`cl:123`), so a
 * word that no training source uses still lands on a feature that words of related meaning have
 * trained ("tort" next to "plaintiff", "adenocarcinoma" next to "tumour"). The clusters are made
 * once, offline, by `slm router clusters` (see {@link clusterWords}); only the small word list is
 * committed, never the embeddings.
 *
 * File format (libs/classifier/model/word-clusters.txt): `#` lines are comments (provenance), then
 * one line per cluster, in cluster-id order, holding its words separated by single spaces.
 */
export const WORD_CLUSTERS_FILE = 'word-clusters.txt';
const RELATIVE = path.join('libs', 'classifier', 'model', WORD_CLUSTERS_FILE);

/** Parsed cluster file: `clusters[id]` holds the words of cluster `id`. */
export interface WordClusters {
  readonly clusters: readonly (readonly string[])[];
  /** sha256 of the file's bytes (the model manifest records it; loading refuses a mismatch). */
  readonly sha256: string;
}

/**
 * The committed cluster file, found by walking up from this file (works from the sources and
 * from dist/ alike: tsc does not copy it).
 */
export function committedWordClustersPath(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, RELATIVE);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new AppError(ErrorCode.MODEL_LOAD_FAILED, `${RELATIVE} not found above ${__dirname}`);
  }
}

/** Parses the text of a cluster file (see {@link WORD_CLUSTERS_FILE} for the format). */
export function parseWordClusters(text: string): string[][] {
  const clusters: string[][] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const trimmed = line.trim();
    if (trimmed === '') continue;
    clusters.push(trimmed.split(' '));
  }
  return clusters;
}

/** Reads a cluster file; any problem is MODEL_LOAD_FAILED. */
export function readWordClusters(file: string): WordClusters {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new AppError(ErrorCode.MODEL_LOAD_FAILED, `word clusters ${file}: ${(error as Error).message}`);
  }
  return { clusters: parseWordClusters(bytes.toString('utf8')), sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The text of a cluster file: `header` lines as comments, then one line of words per cluster. */
export function formatWordClusters(clusters: readonly (readonly string[])[], header: readonly string[]): string {
  return `${header.map((line) => `# ${line}`).join('\n')}\n${clusters.map((words) => words.join(' ')).join('\n')}\n`;
}

/** Options of {@link clusterWords}. */
export interface ClusterWordsOptions {
  /** Number of clusters. Default 1024. */
  clusters: number;
  /** Lloyd iterations after the k-means++ start. Default 15. */
  iterations: number;
  /** PRNG seed of the k-means++ start. Default 42. */
  seed: number;
  /** Called after each iteration with the mean cosine of a word to its centroid. */
  onIteration?: (iteration: number, meanCosine: number) => void;
}

/**
 * Spherical k-means (cosine similarity) of `count` vectors of `dim` floats, row-major in
 * `vectors`, started with k-means++ from a seeded PRNG: the same input and seed give the same
 * clusters. Returns the cluster id of every vector; empty clusters are re-seeded with the vector
 * farthest from its centroid. Vectors are normalised in place.
 */
export function sphericalKMeans(vectors: Float32Array, count: number, dim: number, options: Partial<ClusterWordsOptions> = {}): Int32Array {
  const k = Math.min(options.clusters ?? 1024, count);
  const iterations = options.iterations ?? 15;
  const prng = new Prng(options.seed ?? 42);
  for (let i = 0; i < count; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += vectors[i * dim + d] ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < dim; d++) vectors[i * dim + d] *= scale;
  }
  const centroids = new Float32Array(k * dim);
  const dot = (i: number, c: number): number => {
    let s = 0;
    const a = i * dim;
    const b = c * dim;
    for (let d = 0; d < dim; d++) s += vectors[a + d] * centroids[b + d];
    return s;
  };
  // k-means++: each new centre drawn with probability ∝ (1 − best cosine so far).
  const gap = new Float64Array(count).fill(Infinity);
  let first = prng.int(count);
  for (let c = 0; c < k; c++) {
    centroids.set(vectors.subarray(first * dim, (first + 1) * dim), c * dim);
    let total = 0;
    for (let i = 0; i < count; i++) {
      const g = Math.max(0, 1 - dot(i, c));
      if (g < gap[i]) gap[i] = g;
      total += gap[i];
    }
    let target = prng.next() * total;
    first = count - 1;
    for (let i = 0; i < count; i++) {
      target -= gap[i];
      if (target <= 0) {
        first = i;
        break;
      }
    }
  }
  const assignment = new Int32Array(count);
  const similarity = new Float64Array(count);
  const sizes = new Int32Array(k);
  for (let iteration = 0; iteration < iterations; iteration++) {
    let sum = 0;
    for (let i = 0; i < count; i++) {
      let best = 0;
      let bestDot = -Infinity;
      for (let c = 0; c < k; c++) {
        const s = dot(i, c);
        if (s > bestDot) {
          bestDot = s;
          best = c;
        }
      }
      assignment[i] = best;
      similarity[i] = bestDot;
      sum += bestDot;
    }
    options.onIteration?.(iteration + 1, sum / count);
    centroids.fill(0);
    sizes.fill(0);
    for (let i = 0; i < count; i++) {
      const c = assignment[i];
      sizes[c]++;
      for (let d = 0; d < dim; d++) centroids[c * dim + d] += vectors[i * dim + d];
    }
    for (let c = 0; c < k; c++) {
      if (sizes[c] === 0) {
        // Re-seed an empty cluster with the worst-fitting vector.
        let worst = 0;
        for (let i = 1; i < count; i++) if (similarity[i] < similarity[worst]) worst = i;
        similarity[worst] = Infinity;
        centroids.set(vectors.subarray(worst * dim, (worst + 1) * dim), c * dim);
        continue;
      }
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += centroids[c * dim + d] ** 2;
      const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let d = 0; d < dim; d++) centroids[c * dim + d] *= scale;
    }
  }
  return assignment;
}

/**
 * Clusters `words` (with their vectors, row-major) and returns the clusters as word lists, in a
 * canonical order: words in input order within a cluster, clusters by their first word's
 * position, so the file reads from common words to rare ones.
 */
export function clusterWords(
  words: readonly string[],
  vectors: Float32Array,
  dim: number,
  options: Partial<ClusterWordsOptions> = {},
): string[][] {
  const assignment = sphericalKMeans(vectors, words.length, dim, options);
  const byId = new Map<number, string[]>();
  words.forEach((word, i) => {
    const list = byId.get(assignment[i]);
    if (list) list.push(word);
    else byId.set(assignment[i], [word]);
  });
  return [...byId.values()];
}
