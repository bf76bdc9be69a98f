import { CLASS_COUNT, ClassifierDomain, DOMAINS } from './domains';
import { LinearModel, softmaxInPlace, sumKept } from './linear-model';
import { languageGroupOf } from './language-groups';
import { Prng } from './prng';
import {
  DEFAULT_TRUNCATION,
  FeatureBuffer,
  STRUCTURE,
  TruncationOptions,
  bucketOf,
  extractFeatures,
  groupValue,
  normaliseText,
  signOf,
} from './text-features';

/** One labelled text. `source` groups items for balancing and leave-one-source-out evaluation. */
export interface TrainingItem {
  readonly text: string;
  readonly domain: ClassifierDomain;
  readonly source: string;
  /** Always in training, never held out or scored (seed examples). Default false. */
  readonly trainOnly?: boolean;
}

/** Hyper-parameters of {@link trainModel}. */
export interface TrainOptions {
  /** PRNG seed: same data + same seed → identical weights. Default 42. */
  seed: number;
  /** Hash space 2^bits buckets (artifact ≈ 2^bits × 4 × 2 bytes). Default 18. */
  bits: number;
  /** Passes over the training data. Default 3. */
  epochs: number;
  /** AdaGrad base learning rate. Default 0.2. */
  learningRate: number;
  /** L2 penalty applied to the weights a step touches. Default 1e-5. */
  l2: number;
  /**
   * Per-example weight ∝ (items of its source)^-sourceBalance, then every class gets the same total
   * weight. 0 weighs items equally within a class; 1 weighs sources equally. Default 0.5.
   */
  sourceBalance: number;
  /**
   * Within each language group (language-groups.ts), per-class weight × (equal share ÷ the class's
   * share)^languageBalance, so that the language of a text says nothing of its class. 0: off.
   */
  languageBalance: number;
  /**
   * Share of an example's features dropped at random at each step (training only). Forces the
   * weight onto many features instead of a few source-specific ones, which helps on unseen
   * phrasing. Default 0.3.
   */
  featureDropout: number;
  /**
   * Models trained on the same items, each with its own shuffle and dropout masks (seeds `seed`,
   * `seed + 1`, …), whose weights are averaged. For a linear model that is the average of their logits,
   * so the artifact stays one model the size of one; it takes away the few items that flip between two
   * trainings that differ only in seed. Default 3.
   */
  members: number;
  /** Share of each class held out (stratified) to fit the temperature. Default 0.1. */
  calibrationFraction: number;
  /** Input truncation baked into the model. Default 1500 head + 500 tail characters. */
  truncation: TruncationOptions;
}

export const DEFAULT_TRAIN_OPTIONS: Readonly<TrainOptions> = Object.freeze({
  seed: 42,
  bits: 18,
  epochs: 3,
  learningRate: 0.2,
  l2: 1e-5,
  sourceBalance: 0.5,
  languageBalance: 1,
  featureDropout: 0.3,
  members: 3,
  calibrationFraction: 0.1,
  truncation: DEFAULT_TRUNCATION,
});

/** A data set turned into hashed features once, reused by every fold of an evaluation. */
export interface EncodedDataset {
  readonly bits: number;
  /**
   * Features of item i are buckets[offsets[i] .. offsets[i+1]): its text group first, then from
   * splits[i] its structure group (each group L2-normalised on its own, see text-features.ts).
   */
  readonly offsets: Int32Array;
  readonly splits: Int32Array;
  readonly buckets: Int32Array;
  readonly labels: Uint8Array;
  /** Index into sourceNames of each item. */
  readonly sources: Int32Array;
  readonly sourceNames: readonly string[];
  /** 1 for items that are always trained on and never evaluated (seed examples). */
  readonly trainOnly: Uint8Array;
  /** Index of each item's language group (language-groups.ts), for `languageBalance`; absent: all one group. */
  readonly languages?: Uint16Array;
}

/** Calibration figures measured on the held-out split. */
export interface CalibrationReport {
  items: number;
  temperature: number;
  accuracy: number;
  nllBefore: number;
  nllAfter: number;
  eceBefore: number;
  eceAfter: number;
}

export function encodeDataset(
  items: readonly TrainingItem[],
  bits: number,
  truncation: TruncationOptions = DEFAULT_TRUNCATION,
): EncodedDataset {
  const buffer = new FeatureBuffer();
  const offsets = new Int32Array(items.length + 1);
  const splits = new Int32Array(items.length);
  let chunks: Int32Array[] = [];
  let total = 0;
  const labels = new Uint8Array(items.length);
  const sources = new Int32Array(items.length);
  const trainOnly = new Uint8Array(items.length);
  const languages = new Uint16Array(items.length);
  const sourceIndex = new Map<string, number>();
  const languageIndex = new Map<string, number>();
  items.forEach((item, i) => {
    const n = extractFeatures(normaliseText(item.text, truncation), bits, buffer);
    // Only the counted features: capped repeats (buffer.skip) are left out, as at inference.
    // Text features first, then the structure group.
    const counted = new Int32Array(buffer.counted);
    let text = 0;
    let structure = buffer.counted - buffer.countedStructure;
    splits[i] = total + structure;
    for (let k = 0; k < n; k++) {
      if (buffer.skip[k]) continue;
      if (buffer.kinds[k] & STRUCTURE) counted[structure++] = buffer.buckets[k];
      else counted[text++] = buffer.buckets[k];
    }
    chunks.push(counted);
    total += counted.length;
    offsets[i + 1] = total;
    labels[i] = DOMAINS.indexOf(item.domain);
    let s = sourceIndex.get(item.source);
    if (s === undefined) sourceIndex.set(item.source, (s = sourceIndex.size));
    sources[i] = s;
    trainOnly[i] = item.trainOnly ? 1 : 0;
    const language = languageGroupOf(item.text);
    let l = languageIndex.get(language);
    if (l === undefined) languageIndex.set(language, (l = languageIndex.size));
    languages[i] = l;
  });
  const buckets = new Int32Array(total);
  let at = 0;
  for (const chunk of chunks) {
    buckets.set(chunk, at);
    at += chunk.length;
  }
  chunks = [];
  return { bits, offsets, splits, buckets, labels, sources, sourceNames: [...sourceIndex.keys()], trainOnly, languages };
}

function maxFeatures(data: EncodedDataset): number {
  let max = 1;
  for (let i = 0; i + 1 < data.offsets.length; i++) max = Math.max(max, data.offsets[i + 1] - data.offsets[i]);
  return max;
}

/** Stratified split of `indices` into (train, calibration), deterministic from the PRNG. */
function splitCalibration(data: EncodedDataset, indices: Int32Array, fraction: number, prng: Prng): [Int32Array, Int32Array] {
  const train: number[] = [];
  const held: number[] = [];
  for (let c = 0; c < CLASS_COUNT; c++) {
    const ofClass = prng.shuffle(Array.from(indices).filter((i) => data.labels[i] === c));
    const cut = Math.round(ofClass.length * fraction);
    held.push(...ofClass.slice(0, cut));
    train.push(...ofClass.slice(cut));
  }
  return [Int32Array.from(train).sort(), Int32Array.from(held).sort()];
}

/**
 * Each item's training weight: (items of its source)^-sourceBalance, moved towards equal class shares
 * within its language ({@link balanceLanguages}), then scaled so that every class carries the same
 * total weight and the mean weight is 1.
 */
export function exampleWeights(data: EncodedDataset, indices: Int32Array, sourceBalance: number, languageBalance: number): Float64Array {
  const perSource = new Map<number, number>();
  for (const i of indices) perSource.set(data.sources[i], (perSource.get(data.sources[i]) ?? 0) + 1);
  const raw = new Float64Array(data.labels.length);
  const classTotal = new Float64Array(CLASS_COUNT);
  const classCount = new Float64Array(CLASS_COUNT);
  for (const i of indices) raw[i] = Math.pow(perSource.get(data.sources[i]) ?? 1, -sourceBalance);
  if (languageBalance > 0 && data.languages) balanceLanguages(data.languages, data.labels, indices, raw, languageBalance);
  for (const i of indices) {
    classTotal[data.labels[i]] += raw[i];
    classCount[data.labels[i]]++;
  }
  const present = classCount.filter((n) => n > 0).length;
  // Every present class carries the same total weight; the mean weight over items stays 1.
  for (const i of indices) raw[i] *= indices.length / present / classTotal[data.labels[i]];
  return raw;
}

/** The most a language's class is weighed up or down by `languageBalance`: a handful of items must not become a source of their own. */
const MAX_LANGUAGE_FACTOR = 10;

/**
 * Within each language group, moves every class present towards the same share of the group's
 * weight (`languageBalance` 1: equal shares; the factor capped at {@link MAX_LANGUAGE_FACTOR} either way).
 */
function balanceLanguages(
  languages: Uint16Array,
  labels: Uint8Array,
  indices: Int32Array,
  raw: Float64Array,
  languageBalance: number,
): void {
  const cells = new Map<number, number>();
  const groups = new Map<number, { total: number; classes: number }>();
  for (const i of indices) {
    const cell = languages[i] * CLASS_COUNT + labels[i];
    const before = cells.get(cell) ?? 0;
    cells.set(cell, before + raw[i]);
    const group = groups.get(languages[i]) ?? { total: 0, classes: 0 };
    group.total += raw[i];
    if (before === 0) group.classes++;
    groups.set(languages[i], group);
  }
  for (const i of indices) {
    const group = groups.get(languages[i])!;
    const share = cells.get(languages[i] * CLASS_COUNT + labels[i])!;
    const factor = Math.pow(group.total / group.classes / share, languageBalance);
    raw[i] *= Math.min(MAX_LANGUAGE_FACTOR, Math.max(1 / MAX_LANGUAGE_FACTOR, factor));
  }
}

/** Raw logits of encoded item i (the training-time twin of linear-model.ts logitsOf). */
export function rawLogits(model: { weights: Float32Array; bias: Float32Array }, data: EncodedDataset, i: number, out: Float64Array): void {
  const w = model.weights;
  const s = data.offsets[i];
  const m = data.splits[i];
  const e = data.offsets[i + 1];
  out.set(model.bias);
  sumKept(w, data.buckets, undefined, s, s, m, groupValue(m - s), out);
  sumKept(w, data.buckets, undefined, s, m, e, groupValue(e - m), out);
}

/** A model fitted on one fold, as the evaluation uses it: raw logits of any item, and the temperature. */
export interface FittedFold {
  logits(i: number, out: Float64Array): void;
  temperature: number;
}

/** NLL, expected calibration error (10 bins) and accuracy of logits at a temperature. */
export function calibrationStats(
  logits: Float64Array[],
  labels: number[],
  temperature: number,
): { nll: number; ece: number; accuracy: number } {
  const p = new Float64Array(CLASS_COUNT);
  const bins = Array.from({ length: 10 }, () => ({ n: 0, conf: 0, correct: 0 }));
  let nll = 0;
  let correct = 0;
  logits.forEach((z, k) => {
    p.set(z);
    softmaxInPlace(p, temperature);
    nll -= Math.log(Math.max(p[labels[k]], 1e-12));
    let best = 0;
    for (let c = 1; c < CLASS_COUNT; c++) if (p[c] > p[best]) best = c;
    const bin = bins[Math.min(9, Math.floor(p[best] * 10))];
    bin.n++;
    bin.conf += p[best];
    if (best === labels[k]) {
      bin.correct++;
      correct++;
    }
  });
  const n = Math.max(1, logits.length);
  const ece = bins.reduce((sum, b) => sum + Math.abs(b.conf - b.correct), 0) / n;
  return { nll: nll / n, ece, accuracy: correct / n };
}

/** Temperature minimising the held-out negative log-likelihood (golden-section search on log T). */
export function fitTemperature(logits: Float64Array[], labels: number[]): number {
  if (logits.length === 0) return 1;
  const f = (logT: number): number => calibrationStats(logits, labels, Math.exp(logT)).nll;
  let a = Math.log(0.05);
  let b = Math.log(20);
  const g = (Math.sqrt(5) - 1) / 2;
  let x1 = b - g * (b - a);
  let x2 = a + g * (b - a);
  let f1 = f(x1);
  let f2 = f(x2);
  for (let k = 0; k < 60; k++) {
    if (f1 < f2) {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - g * (b - a);
      f1 = f(x1);
    } else {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + g * (b - a);
      f2 = f(x2);
    }
  }
  return Math.exp((a + b) / 2);
}

/** One AdaGrad step with L2 on the weight rows of the kept features in buckets[from .. to), each of value v. */
function adagradStep(
  w: Float32Array,
  g2: Float32Array,
  buckets: Int32Array,
  keep: Uint8Array,
  base: number,
  from: number,
  to: number,
  v: number,
  grad: Float64Array,
  lr: number,
  l2: number,
): void {
  for (let k = from; k < to; k++) {
    if (!keep[k - base]) continue;
    const b = bucketOf(buckets[k]) << 2;
    const signedV = v * signOf(buckets[k]);
    for (let c = 0; c < CLASS_COUNT; c++) {
      const d = grad[c] * signedV + l2 * w[b + c];
      g2[b + c] += d * d;
      w[b + c] -= (lr * d) / (Math.sqrt(g2[b + c]) + 1e-8);
    }
  }
}

/** One member of {@link fitModel}'s average: sparse AdaGrad over `train`, shuffled and dropped out from `seed`. */
function trainMember(
  data: EncodedDataset,
  train: Int32Array,
  weightOf: Float64Array,
  o: TrainOptions,
  seed: number,
): { weights: Float32Array; bias: Float32Array } {
  const prng = new Prng(seed);
  const size = (1 << data.bits) * CLASS_COUNT;
  const w = new Float32Array(size);
  const g2 = new Float32Array(size);
  const bias = new Float32Array(CLASS_COUNT);
  const bias2 = new Float64Array(CLASS_COUNT);
  const z = new Float64Array(CLASS_COUNT);
  const grad = new Float64Array(CLASS_COUNT);
  const order = Int32Array.from(train);
  const lr = o.learningRate;
  const l2 = o.l2;
  const keep = new Uint8Array(maxFeatures(data));
  const dropThreshold = Math.floor(o.featureDropout * 4294967296);
  let rnd = (seed ^ 0x9e3779b9) >>> 0 || 1;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    prng.shuffle(order);
    for (const i of order) {
      const s = data.offsets[i];
      const m = data.splits[i];
      const e = data.offsets[i + 1];
      // Dropout mask (xorshift32: a PRNG call per feature would dominate the step).
      let keptText = 0;
      let keptStructure = 0;
      for (let k = s; k < e; k++) {
        rnd ^= rnd << 13;
        rnd ^= rnd >>> 17;
        rnd ^= rnd << 5;
        rnd >>>= 0;
        const on = rnd >= dropThreshold || e - s === 1 ? 1 : 0;
        keep[k - s] = on;
        if (k < m) keptText += on;
        else keptStructure += on;
      }
      if (keptText + keptStructure === 0) {
        keep[0] = 1;
        if (s < m) keptText = 1;
        else keptStructure = 1;
      }
      const vt = groupValue(keptText);
      const vs = groupValue(keptStructure);
      z.set(bias);
      sumKept(w, data.buckets, keep, s, s, m, vt, z);
      sumKept(w, data.buckets, keep, s, m, e, vs, z);
      softmaxInPlace(z);
      const label = data.labels[i];
      const wt = weightOf[i];
      for (let c = 0; c < CLASS_COUNT; c++) grad[c] = wt * (z[c] - (c === label ? 1 : 0));
      for (let c = 0; c < CLASS_COUNT; c++) {
        bias2[c] += grad[c] * grad[c];
        bias[c] -= (lr * grad[c]) / (Math.sqrt(bias2[c]) + 1e-8);
      }
      adagradStep(w, g2, data.buckets, keep, s, s, m, vt, grad, lr, l2);
      adagradStep(w, g2, data.buckets, keep, s, m, e, vs, grad, lr, l2);
    }
  }
  return { weights: w, bias };
}

/**
 * Trains a softmax model with sparse AdaGrad on the items at `indices` (all items when omitted):
 * a stratified share is held out to fit the temperature, the rest trains the weights (the average of
 * `members` models, see {@link TrainOptions.members}).
 */
export function fitModel(
  data: EncodedDataset,
  options: Partial<TrainOptions> = {},
  indices?: Int32Array,
): { model: LinearModel; calibration: CalibrationReport } {
  const o: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  const all = indices ?? Int32Array.from(data.labels.keys());
  const [train, held] = splitCalibration(data, all, o.calibrationFraction, new Prng(o.seed));
  const weightOf = exampleWeights(data, train, o.sourceBalance, o.languageBalance);
  const w = new Float32Array((1 << data.bits) * CLASS_COUNT);
  const bias = new Float32Array(CLASS_COUNT);
  for (let k = 0; k < o.members; k++) {
    const member = trainMember(data, train, weightOf, o, o.seed + k);
    for (let j = 0; j < w.length; j++) w[j] += member.weights[j] / o.members;
    for (let c = 0; c < CLASS_COUNT; c++) bias[c] += member.bias[c] / o.members;
  }
  const heldLogits: Float64Array[] = [];
  const heldLabels: number[] = [];
  for (const i of held) {
    const out = new Float64Array(CLASS_COUNT);
    rawLogits({ weights: w, bias }, data, i, out);
    heldLogits.push(out);
    heldLabels.push(data.labels[i]);
  }
  const temperature = fitTemperature(heldLogits, heldLabels);
  const before = calibrationStats(heldLogits, heldLabels, 1);
  const after = calibrationStats(heldLogits, heldLabels, temperature);
  return {
    model: { bits: data.bits, weights: w, bias, temperature, truncation: o.truncation },
    calibration: {
      items: held.length,
      temperature,
      accuracy: after.accuracy,
      nllBefore: before.nll,
      nllAfter: after.nll,
      eceBefore: before.ece,
      eceAfter: after.ece,
    },
  };
}

/** Encodes the items and trains on all of them (see {@link fitModel}). */
export function trainModel(
  items: readonly TrainingItem[],
  options: Partial<TrainOptions> = {},
): { model: LinearModel; calibration: CalibrationReport } {
  const o: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  return fitModel(encodeDataset(items, o.bits, o.truncation), o);
}
