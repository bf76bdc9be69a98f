/**
 * Plain baselines the shipped model must beat, trained and scored on the same folds by the
 * evaluation: multinomial Naive Bayes and logistic regression, both over hashed word unigrams and
 * bigrams (what a team would try first). They are deliberately plain: no source balancing, no
 * dropout, no character n-grams, no structure cues.
 */
import { CLASS_COUNT, DOMAINS } from './domains';
import { EncodedDataset, FittedFold, TrainingItem, fitModel, rawLogits } from './trainer';

/** Hash space of the baselines' word n-grams: 2^20 buckets, large enough that collisions do not matter. */
export const BASELINE_BITS = 20;

/** Words as scikit-learn's CountVectorizer finds them: runs of two or more letters, digits or `_`. */
const WORD = /[\p{L}\p{N}_]{2,}/gu;

function hashString(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Bucket ids of a text's word unigrams and bigrams, with repeats (term counts). */
export function wordNgramBuckets(text: string, bits: number = BASELINE_BITS): Int32Array {
  const words = text.normalize('NFKC').toLowerCase().match(WORD) ?? [];
  const mask = (1 << bits) - 1;
  const out = new Int32Array(words.length * 2);
  let n = 0;
  for (let i = 0; i < words.length; i++) {
    out[n++] = hashString(words[i], 0x811c9dc5) & mask;
    if (i > 0) out[n++] = hashString(`${words[i - 1]} ${words[i]}`, 0x5bd1e995) & mask;
  }
  return out.subarray(0, n);
}

/** The items as hashed word 1–2-gram counts, in the layout the trainer and the evaluation share. */
export function encodeWordNgrams(items: readonly TrainingItem[], bits: number = BASELINE_BITS): EncodedDataset {
  const offsets = new Int32Array(items.length + 1);
  const chunks = items.map((item, i) => {
    const buckets = wordNgramBuckets(item.text, bits);
    offsets[i + 1] = offsets[i] + buckets.length;
    return buckets;
  });
  const buckets = new Int32Array(offsets[items.length]);
  chunks.forEach((chunk, i) => buckets.set(chunk, offsets[i]));
  const sourceIndex = new Map<string, number>();
  const sources = Int32Array.from(items, (item) => {
    let s = sourceIndex.get(item.source);
    if (s === undefined) sourceIndex.set(item.source, (s = sourceIndex.size));
    return s;
  });
  return {
    bits,
    offsets,
    buckets,
    // Every feature in one group: the baselines have no structure features.
    splits: offsets.slice(1),
    labels: Uint8Array.from(items, (item) => DOMAINS.indexOf(item.domain)),
    sources,
    sourceNames: [...sourceIndex.keys()],
    trainOnly: Uint8Array.from(items, (item) => (item.trainOnly ? 1 : 0)),
  };
}

/** A fitted Naive Bayes fold that can also score raw text (the classifier bench times it as the peer). */
export interface NaiveBayesModel extends FittedFold {
  /** Log joint probabilities of a raw text's word 1–2-grams, into out. */
  scoreText(text: string, out: Float64Array): void;
}

/**
 * Multinomial Naive Bayes with Laplace smoothing (alpha 1) and the training classes' frequencies
 * as priors, fitted on the items at `train`. Its "logits" are the log joint probabilities; the
 * per-bucket log likelihoods are computed once, as a production Naive Bayes would.
 */
export function fitNaiveBayes(data: EncodedDataset, train: Int32Array, alpha = 1): NaiveBayesModel {
  const buckets = 1 << data.bits;
  const counts = new Float64Array(buckets * CLASS_COUNT);
  const totals = new Float64Array(CLASS_COUNT);
  const priors = new Float64Array(CLASS_COUNT);
  for (const i of train) {
    const c = data.labels[i];
    priors[c]++;
    for (let k = data.offsets[i]; k < data.offsets[i + 1]; k++) counts[data.buckets[k] * CLASS_COUNT + c]++;
    totals[c] += data.offsets[i + 1] - data.offsets[i];
  }
  const logPrior = priors.map((p) => Math.log((p + 1) / (train.length + CLASS_COUNT)));
  const logLikelihood = new Float32Array(buckets * CLASS_COUNT);
  for (let b = 0; b < buckets; b++) {
    for (let c = 0; c < CLASS_COUNT; c++)
      logLikelihood[b * CLASS_COUNT + c] = Math.log((counts[b * CLASS_COUNT + c] + alpha) / (totals[c] + alpha * buckets));
  }
  const sum = (features: ArrayLike<number>, from: number, to: number, out: Float64Array): void => {
    out.set(logPrior);
    for (let k = from; k < to; k++) {
      const o = features[k] * CLASS_COUNT;
      for (let c = 0; c < CLASS_COUNT; c++) out[c] += logLikelihood[o + c];
    }
  };
  return {
    temperature: 1,
    logits: (i, out) => sum(data.buckets, data.offsets[i], data.offsets[i + 1], out),
    scoreText: (text, out) => {
      const features = wordNgramBuckets(text, data.bits);
      sum(features, 0, features.length, out);
    },
  };
}

/**
 * Plain logistic regression (softmax) on the same features: the trainer's AdaGrad with every item
 * weighing the same within its class, no feature dropout, temperature fitted on held-out items.
 */
export function fitLogisticBaseline(data: EncodedDataset, train: Int32Array, seed: number): FittedFold {
  const { model } = fitModel(data, { seed, sourceBalance: 0, languageBalance: 0, featureDropout: 0, members: 1 }, train);
  return { temperature: model.temperature, logits: (i, out) => rawLogits(model, data, i, out) };
}
