import { CLASS_COUNT, ClassifierDomain, DOMAINS } from './domains';
import { softmaxInPlace } from './linear-model';
import { Prng } from './prng';
import { DEFAULT_TRAIN_OPTIONS, EncodedDataset, FittedFold, TrainOptions, fitModel, rawLogits } from './trainer';

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Held-out figures of one source (file). */
export interface SourceResult {
  source: string;
  domain: string;
  items: number;
  accuracy: number;
  /** Predicted class counts for this source's items. */
  predicted: Record<ClassifierDomain, number>;
}

/** Result of a leave-one-source-out evaluation. */
export interface EvalReport {
  method: 'leave-one-source-out' | 'leave-one-dataset-out' | 'five folds of items';
  /** Items evaluated (train-only items excluded). */
  items: number;
  /** Sources evaluated (each held out once, alone or with its dataset's other files). */
  sources: number;
  /** Folds: one per source, one per dataset, or five. */
  folds: number;
  /** Items always in training and never evaluated (seed examples), and their sources. */
  trainOnlyItems: number;
  trainOnlySources: string[];
  accuracy: number;
  /** Macro-F1 over the four classes. */
  macroF1: number;
  /** Mean F1 of math, code and science in the four-class problem ("other" errors count against them). */
  macroF1SpecialistsIn4Class: number;
  /** Macro-F1 of math/code/science alone: items labelled m/c/s, argmax over those three classes. */
  macroF1Specialists3Class: number;
  accuracySpecialists3Class: number;
  perClass: Record<ClassifierDomain, ClassMetrics>;
  /** confusion[truth][predicted], in DOMAINS order. */
  confusion: number[][];
  perSource: SourceResult[];
  /** Expected calibration error (10 bins) of the held-out top-class probabilities. */
  ece: number;
  /** Raw (untempered) held-out logits of the evaluated items, item-major, for fitting a temperature to unseen sources. */
  logits: Float64Array;
  /** Labels of the evaluated items, in the order of `logits`. */
  labels: Uint8Array;
  /** Calibrated held-out probabilities (each fold's temperature), item-major, in the order of `logits`. */
  probabilities: Float64Array;
  /** Source name of each evaluated item, in the order of `logits`. */
  itemSources: string[];
  options: Partial<TrainOptions>;
  durationMs: number;
}

function metricsOf(confusion: number[][], classes: number[]): { perClass: ClassMetrics[]; macroF1: number; accuracy: number } {
  let correct = 0;
  let total = 0;
  const perClass = classes.map((c) => {
    const tp = confusion[c][c];
    let predicted = 0;
    let support = 0;
    for (const k of classes) {
      predicted += confusion[k][c];
      support += confusion[c][k];
    }
    correct += tp;
    total += support;
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, support };
  });
  return { perClass, macroF1: perClass.reduce((s, m) => s + m.f1, 0) / classes.length, accuracy: total ? correct / total : 0 };
}

/**
 * Leave-one-source-out: for each source, trains on every other source and predicts the held-out
 * one, so each item is predicted exactly once by a model that never saw its source's phrasing.
 * Train-only items (seed examples) are in every fold's training data and are never predicted.
 */
export function leaveOneSourceOut(
  data: EncodedDataset,
  options: Partial<TrainOptions> = {},
  onFold?: FoldProgress,
  holdOut: HoldOut = 'source',
): EvalReport {
  const fitFold = (train: Int32Array): FittedFold => {
    const { model } = fitModel(data, options, train);
    return { temperature: model.temperature, logits: (i, out) => rawLogits(model, data, i, out) };
  };
  return leaveOneSourceOutWith(data, fitFold, options, onFold, holdOut);
}

/** Called after each fold with the held-out source (or dataset) name. */
export type FoldProgress = (heldOut: string, done: number, total: number) => void;

/**
 * What one fold holds out: a source file, or a whole dataset, i.e. every file of the same
 * dataset whatever its class (`science_exams_multilingual` and `other_exams_multilingual` are the
 * dataset `exams_multilingual`). Holding out one file of a dataset leaves its siblings in training,
 * with the same layout and languages under another label: the held-out file is then scored
 * against its own format more than against its subject. `items` is the opposite measure: five
 * folds, each holding out a fifth of every source's items, so every source is in training: what
 * the model learns of each source's labels once it has seen the source, the ceiling the held-out
 * measures are read against.
 */
export type HoldOut = 'source' | 'dataset' | 'items';

/** Folds of the `items` hold-out. */
const ITEM_FOLDS = 5;

/** The fold of each item (train-only items are never held out, whatever their fold). */
function foldsOf(data: EncodedDataset, holdOut: HoldOut, seed: number): Int32Array {
  const n = data.labels.length;
  const fold = new Int32Array(n);
  if (holdOut === 'items') {
    // A fifth of each source in every fold: items of a source dealt in a seeded random order.
    const prng = new Prng(seed);
    const bySource = data.sourceNames.map((): number[] => []);
    for (let i = 0; i < n; i++) bySource[data.sources[i]].push(i);
    for (const items of bySource) prng.shuffle(items).forEach((i, k) => (fold[i] = k % ITEM_FOLDS));
    return fold;
  }
  // Fold of each source: itself, or the first source of its dataset.
  const foldOfSource = data.sourceNames.map((name, s) =>
    holdOut === 'source' ? s : data.sourceNames.findIndex((other) => datasetOf(other) === datasetOf(name)),
  );
  for (let i = 0; i < n; i++) fold[i] = foldOfSource[data.sources[i]];
  return fold;
}

const METHOD_OF: Record<HoldOut, EvalReport['method']> = {
  source: 'leave-one-source-out',
  dataset: 'leave-one-dataset-out',
  items: 'five folds of items',
};

/** The dataset of a source file name: the name without its class prefix. */
export function datasetOf(source: string): string {
  return source.replace(/^(math|code|science|other)_/, '');
}

/**
 * {@link leaveOneSourceOut} for any model: `fitFold` trains on the given item indices of `data`
 * (the baselines bring their own encoding of the same items, in the same order).
 */
export function leaveOneSourceOutWith(
  data: EncodedDataset,
  fitFold: (train: Int32Array) => FittedFold,
  options: Partial<TrainOptions>,
  onFold?: FoldProgress,
  holdOut: HoldOut = 'source',
): EvalReport {
  const started = Date.now();
  const n = data.labels.length;
  const probs = new Float64Array(n * CLASS_COUNT);
  const logits = new Float64Array(n * CLASS_COUNT);
  const z = new Float64Array(CLASS_COUNT);
  const evaluable = new Set<number>();
  const trainOnlySources = new Set<number>();
  for (let i = 0; i < n; i++) (data.trainOnly[i] ? trainOnlySources : evaluable).add(data.sources[i]);
  const itemFold = foldsOf(data, holdOut, options.seed ?? DEFAULT_TRAIN_OPTIONS.seed);
  const folds = [...new Set(Array.from(itemFold).filter((_, i) => !data.trainOnly[i]))].sort((a, b) => a - b);
  const foldName = (f: number) =>
    holdOut === 'items' ? `fold ${f + 1}` : holdOut === 'source' ? data.sourceNames[f] : datasetOf(data.sourceNames[f]);
  folds.forEach((f, done) => {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) {
      if (itemFold[i] !== f || data.trainOnly[i]) train.push(i);
      else test.push(i);
    }
    const model = fitFold(Int32Array.from(train));
    for (const i of test) {
      model.logits(i, z);
      logits.set(z, i * CLASS_COUNT);
      softmaxInPlace(z, model.temperature);
      probs.set(z, i * CLASS_COUNT);
    }
    onFold?.(foldName(f), done + 1, folds.length);
  });
  const confusion = DOMAINS.map(() => DOMAINS.map(() => 0));
  const confusion3 = DOMAINS.map(() => DOMAINS.map(() => 0));
  const bins = Array.from({ length: 10 }, () => ({ conf: 0, correct: 0 }));
  const perSource = data.sourceNames.map((source) => ({
    source,
    domain: '',
    items: 0,
    correct: 0,
    predicted: Object.fromEntries(DOMAINS.map((d) => [d, 0])) as Record<ClassifierDomain, number>,
  }));
  const heldLogits: number[] = [];
  const heldProbabilities: number[] = [];
  const heldLabels: number[] = [];
  const itemSources: string[] = [];
  let trainOnlyItems = 0;
  for (let i = 0; i < n; i++) {
    if (data.trainOnly[i]) {
      trainOnlyItems++;
      continue;
    }
    const o = i * CLASS_COUNT;
    for (let c = 0; c < CLASS_COUNT; c++) {
      heldLogits.push(logits[o + c]);
      heldProbabilities.push(probs[o + c]);
    }
    heldLabels.push(data.labels[i]);
    itemSources.push(data.sourceNames[data.sources[i]]);
    let best = 0;
    for (let c = 1; c < CLASS_COUNT; c++) if (probs[o + c] > probs[o + best]) best = c;
    const truth = data.labels[i];
    confusion[truth][best]++;
    const bin = bins[Math.min(9, Math.floor(probs[o + best] * 10))];
    bin.conf += probs[o + best];
    if (best === truth) bin.correct++;
    if (truth < 3) {
      let best3 = 0;
      for (let c = 1; c < 3; c++) if (probs[o + c] > probs[o + best3]) best3 = c;
      confusion3[truth][best3]++;
    }
    const src = perSource[data.sources[i]];
    src.domain = DOMAINS[truth];
    src.items++;
    src.predicted[DOMAINS[best]]++;
    if (best === truth) src.correct++;
  }
  const evaluated = n - trainOnlyItems;
  const all = metricsOf(confusion, [0, 1, 2, 3]);
  const three = metricsOf(confusion3, [0, 1, 2]);
  return {
    method: METHOD_OF[holdOut],
    items: evaluated,
    sources: evaluable.size,
    folds: folds.length,
    trainOnlyItems,
    trainOnlySources: [...trainOnlySources].map((s) => data.sourceNames[s]),
    accuracy: all.accuracy,
    macroF1: all.macroF1,
    macroF1SpecialistsIn4Class: (all.perClass[0].f1 + all.perClass[1].f1 + all.perClass[2].f1) / 3,
    macroF1Specialists3Class: three.macroF1,
    accuracySpecialists3Class: three.accuracy,
    perClass: Object.fromEntries(DOMAINS.map((d, c) => [d, all.perClass[c]])) as Record<ClassifierDomain, ClassMetrics>,
    confusion,
    perSource: [...evaluable]
      .sort((a, b) => a - b)
      .map((s) => perSource[s])
      .map(({ correct, ...rest }) => ({ ...rest, accuracy: rest.items ? correct / rest.items : 0 })),
    ece: bins.reduce((sum, b) => sum + Math.abs(b.conf - b.correct), 0) / Math.max(1, evaluated),
    logits: Float64Array.from(heldLogits),
    labels: Uint8Array.from(heldLabels),
    probabilities: Float64Array.from(heldProbabilities),
    itemSources,
    options,
    durationMs: Date.now() - started,
  };
}
