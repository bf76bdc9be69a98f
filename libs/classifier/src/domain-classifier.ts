import { AppError, ErrorCode } from '@slm/platform';
import { endsWithCodeStub } from './code-stub';
import { CLASS_COUNT, ClassifierDomain, DOMAINS } from './domains';
import { LinearModel, logitsOf, softmaxInPlace } from './linear-model';
import { ArtifactManifest, committedModelPath, loadModel } from './model-artifact';
import { FeatureBuffer, STRUCTURE, extractFeatures, normaliseText } from './text-features';

/**
 * What a text with nothing to read scores: one with no word and no number, only chat words ("hi",
 * "thanks, bye!"), foreign function words or punctuation, leaves the model its biases and a symbol
 * cue or two, which sent it to math. It holds no problem for any specialist: `other`.
 */
const NOTHING_TO_READ: readonly number[] = DOMAINS.map((domain) => (domain === 'other' ? 1 : 0));

/**
 * What a text ending in a function stub scores (code-stub.ts): a signature left open for the body is a
 * code task, whatever the statement above it says. The model reads the stub as one structure feature
 * among a long statement's many, and a statement about prime factors or digit sums outweighed it.
 */
const CODE_TASK: readonly number[] = DOMAINS.map((domain) => (domain === 'code' ? 1 : 0));

/** One input feature's pull towards the chosen class. */
export interface FeatureContribution {
  /** Readable feature, e.g. `w:python`, `w2:fix my`, `c:<pyt`, `lex:code(sql)`, `cue:latex`. */
  feature: string;
  /** Its contribution to the chosen class's logit minus its mean contribution to the other classes (weight × value). */
  weight: number;
}

/** The classifier's answer for one text. */
export interface Classification {
  domain: ClassifierDomain;
  /** Calibrated probability of `domain`. */
  confidence: number;
  /** Calibrated probability of every class; they sum to 1. */
  probabilities: Record<ClassifierDomain, number>;
  /** The features that pushed most towards `domain`, strongest first (empty when not asked for). */
  topFeatures: FeatureContribution[];
}

/** Options of {@link DomainClassifier.classify}. */
export interface ClassifyOptions {
  /** How many explaining features to return; 0 skips the explanation (faster). Default 5. */
  topFeatures?: number;
}

/** Options of {@link DomainClassifier}. */
export interface DomainClassifierOptions {
  /**
   * Longer input is refused with INPUT_TOO_LONG rather than truncated: beyond this it is not a
   * problem statement. Default 1,000,000 characters. (Input longer than the model's truncation,
   * 1,500 head + 500 tail characters, is classified on those.)
   */
  maxInputChars?: number;
}

/**
 * Classifies a text as math, code, science or other, in-process, in microseconds: hashed word and
 * character n-grams, a softmax model and a fitted temperature. Not re-entrant across awaits
 * (there are none): one instance serves one event loop.
 */
export class DomainClassifier {
  private readonly buffer = new FeatureBuffer();
  private readonly scratch = new Float64Array(CLASS_COUNT);
  // Per-class top-k of the last text scored with an explanation, class c at [c*topK, c*topK+topSize[c]).
  private topCapacity = 0;
  private topK = 0;
  private topIndex = new Int32Array(0);
  private topBucket = new Int32Array(0);
  private topWeight = new Float64Array(0);
  private readonly topSize = new Int32Array(CLASS_COUNT);
  private readonly topBar = new Float64Array(CLASS_COUNT);
  private readonly maxInputChars: number;

  constructor(
    readonly model: LinearModel,
    /** The artifact's manifest (provenance, metrics), when loaded from one. */
    readonly manifest?: ArtifactManifest,
    options: DomainClassifierOptions = {},
  ) {
    this.maxInputChars = options.maxInputChars ?? 1_000_000;
  }

  /** Loads an artifact manifest (default: the committed libs/classifier/model/router-classifier.json). */
  static load(manifestPath?: string, options?: DomainClassifierOptions): DomainClassifier {
    const { model, manifest } = loadModel(manifestPath ?? committedModelPath());
    return new DomainClassifier(model, manifest, options);
  }

  /**
   * Classifies one text. Throws INVALID_ARGUMENT for a non-string or blank text and
   * INPUT_TOO_LONG beyond maxInputChars.
   */
  classify(text: unknown, options: ClassifyOptions = {}): Classification {
    const k = Math.max(0, Math.floor(options.topFeatures ?? 5));
    const normalised = this.score(text, k);
    const p = this.scratch;
    let best = 0;
    for (let c = 1; c < CLASS_COUNT; c++) if (p[c] > p[best]) best = c;
    return {
      domain: DOMAINS[best],
      confidence: p[best],
      probabilities: { math: p[0], code: p[1], science: p[2], other: p[3] },
      topFeatures: k > 0 ? this.explain(normalised, best, k) : [],
    };
  }

  /**
   * The calibrated probabilities only, in DOMAINS order, into `out` (reused by callers that
   * classify many texts: no allocation per text).
   */
  probabilitiesInto(text: unknown, out: Float64Array): Float64Array {
    this.score(text);
    out.set(this.scratch);
    return out;
  }

  /** Validates, featurises and scores `text` into this.scratch; with k > 0 also collects each class's top k. */
  private score(text: unknown, k = 0): string {
    if (typeof text !== 'string')
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `text must be a string, got ${text === null ? 'null' : typeof text}`);
    if (text.length > this.maxInputChars) {
      throw new AppError(
        ErrorCode.INPUT_TOO_LONG,
        `text has ${text.length} characters; the classifier accepts at most ${this.maxInputChars}`,
      );
    }
    if (text.trim() === '') throw new AppError(ErrorCode.INVALID_ARGUMENT, 'text must not be empty');
    const normalised = normaliseText(text, this.model.truncation);
    const n = extractFeatures(normalised, this.model.bits, this.buffer);
    if (k > 0) this.logitsAndTop(n, k);
    else logitsOf(this.model, this.buffer, n, this.scratch);
    softmaxInPlace(this.scratch, this.model.temperature);
    if (this.buffer.textValue === 0 && !/\p{N}/u.test(normalised)) this.scratch.set(NOTHING_TO_READ);
    else if (endsWithCodeStub(text)) this.scratch.set(CODE_TASK);
    return normalised;
  }

  /**
   * logitsOf plus, in the same pass over the weights (they are loaded anyway), the k features
   * that pull most towards each class: pull = contribution to the class − mean contribution to the others,
   * kept as 3 × pull = 4·w[c] − Σw (same order, no division). The winning class is only known at
   * the end, so all four are tracked; a feature costs four compares unless it beats a bar.
   */
  private logitsAndTop(n: number, k: number): void {
    if (this.topCapacity < k) {
      this.topCapacity = k;
      this.topIndex = new Int32Array(CLASS_COUNT * k);
      this.topBucket = new Int32Array(CLASS_COUNT * k);
      this.topWeight = new Float64Array(CLASS_COUNT * k);
    }
    this.topK = k;
    const sizes = this.topSize;
    const bars = this.topBar;
    sizes.fill(0);
    // Only positive pulls explain a choice: every bar starts at 0.
    bars.fill(0);
    const w = this.model.weights;
    const b = this.buffer.buckets;
    const skip = this.buffer.skip;
    const kinds = this.buffer.kinds;
    const tv = this.buffer.textValue;
    const sv = this.buffer.structureValue;
    // A local: the CommonJS output reads an imported binding as a property of the module at every use.
    const structure = STRUCTURE;
    let z0 = 0;
    let z1 = 0;
    let z2 = 0;
    let z3 = 0;
    for (let i = 0; i < n; i++) {
      if (skip[i]) continue;
      // bucketOf and signOf (text-features.ts) inlined, as in logitsOf.
      const code = b[i];
      const bucket = code ^ (code >> 31);
      const o = bucket << 2;
      const v = (kinds[i] & structure ? sv : tv) * ((code >> 31) | 1);
      const w0 = w[o] * v;
      const w1 = w[o + 1] * v;
      const w2 = w[o + 2] * v;
      const w3 = w[o + 3] * v;
      z0 += w0;
      z1 += w1;
      z2 += w2;
      z3 += w3;
      const sum = w0 + w1 + w2 + w3;
      let d = 4 * w0 - sum;
      if (d > bars[0]) this.offer(0, d, i, bucket);
      d = 4 * w1 - sum;
      if (d > bars[1]) this.offer(1, d, i, bucket);
      d = 4 * w2 - sum;
      if (d > bars[2]) this.offer(2, d, i, bucket);
      d = 4 * w3 - sum;
      if (d > bars[3]) this.offer(3, d, i, bucket);
    }
    const bias = this.model.bias;
    const out = this.scratch;
    out[0] = bias[0] + z0;
    out[1] = bias[1] + z1;
    out[2] = bias[2] + z2;
    out[3] = bias[3] + z3;
  }

  /** Inserts feature i (pull d) into class c's sorted top-k unless its bucket is already there. */
  private offer(c: number, d: number, i: number, bucket: number): void {
    const k = this.topK;
    const base = c * k;
    const topBucket = this.topBucket;
    const topWeight = this.topWeight;
    const topIndex = this.topIndex;
    let size = this.topSize[c];
    for (let t = base; t < base + size; t++) if (topBucket[t] === bucket) return;
    let at = size < k ? size++ : k - 1;
    // Ties keep the earlier feature first.
    while (at > 0 && topWeight[base + at - 1] < d) {
      topIndex[base + at] = topIndex[base + at - 1];
      topBucket[base + at] = topBucket[base + at - 1];
      topWeight[base + at] = topWeight[base + at - 1];
      at--;
    }
    topIndex[base + at] = i;
    topBucket[base + at] = bucket;
    topWeight[base + at] = d;
    this.topSize[c] = size;
    if (size === k) this.topBar[c] = topWeight[base + k - 1];
  }

  /** The collected top features of class `cls` for the last scored text, named (strings only for these). */
  private explain(normalised: string, cls: number, k: number): FeatureContribution[] {
    const size = Math.min(k, this.topSize[cls]);
    const base = cls * this.topK;
    const result: FeatureContribution[] = new Array(size);
    for (let t = 0; t < size; t++) {
      const pull = this.topWeight[base + t] / (CLASS_COUNT - 1);
      result[t] = { feature: this.buffer.describe(normalised, this.topIndex[base + t]), weight: Math.round(pull * 1000) / 1000 };
    }
    return result;
  }
}
