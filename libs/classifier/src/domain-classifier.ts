import { AppError, ErrorCode } from '@slm/platform';
import { CLASS_COUNT, ClassifierDomain, DOMAINS } from './domains';
import { LinearModel, logitsOf, softmaxInPlace } from './linear-model';
import { ArtifactManifest, committedModelPath, loadModel } from './model-artifact';
import { FeatureBuffer, extractFeatures, normaliseText } from './text-features';

/** One input feature's pull towards the chosen class. */
export interface FeatureContribution {
  /** Readable feature, e.g. `w:python`, `w2:fix my`, `c:<pyt`, `lex:code(sql)`, `cue:latex`. */
  feature: string;
  /** Its weight for the chosen class minus its mean weight for the other classes. */
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
    const k = options.topFeatures ?? 5;
    const normalised = this.score(text, k > 0);
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
    this.score(text, false);
    out.set(this.scratch);
    return out;
  }

  private score(text: unknown, spans: boolean): string {
    if (typeof text !== 'string') throw new AppError(ErrorCode.INVALID_ARGUMENT, `text must be a string, got ${text === null ? 'null' : typeof text}`);
    if (text.length > this.maxInputChars) {
      throw new AppError(ErrorCode.INPUT_TOO_LONG, `text has ${text.length} characters; the classifier accepts at most ${this.maxInputChars}`);
    }
    if (text.trim() === '') throw new AppError(ErrorCode.INVALID_ARGUMENT, 'text must not be empty');
    const normalised = normaliseText(text, this.model.truncation);
    const n = extractFeatures(normalised, this.model.bits, this.buffer, spans);
    logitsOf(this.model, this.buffer, n, this.scratch);
    softmaxInPlace(this.scratch, this.model.temperature);
    return normalised;
  }

  /** Top-k features of the last scored text by (weight for `cls` − mean weight for the others). */
  private explain(normalised: string, cls: number, k: number): FeatureContribution[] {
    const { buckets, length } = this.buffer;
    const w = this.model.weights;
    const top: { i: number; bucket: number; weight: number }[] = [];
    for (let i = 0; i < length; i++) {
      const o = buckets[i] << 2;
      const weight = w[o + cls] - (w[o] + w[o + 1] + w[o + 2] + w[o + 3] - w[o + cls]) / (CLASS_COUNT - 1);
      if (top.length === k && weight <= top[k - 1].weight) continue;
      if (top.some((t) => t.bucket === buckets[i])) continue;
      top.push({ i, bucket: buckets[i], weight });
      top.sort((a, b) => b.weight - a.weight);
      if (top.length > k) top.pop();
    }
    return top.filter((t) => t.weight > 0).map((t) => ({ feature: this.buffer.describe(normalised, t.i), weight: Math.round(t.weight * 1000) / 1000 }));
  }
}
