import { CLASS_COUNT, ClassifierDomain, DOMAINS } from './domains';
import { softmaxInPlace } from './linear-model';
import { EncodedDataset, TrainOptions, fitModel, rawLogits } from './trainer';

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
  method: 'leave-one-source-out';
  /** Items evaluated (train-only items excluded). */
  items: number;
  /** Sources held out in turn. */
  sources: number;
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
export function leaveOneSourceOut(data: EncodedDataset, options: Partial<TrainOptions> = {}, onFold?: (source: string, done: number, total: number) => void): EvalReport {
  const started = Date.now();
  const n = data.labels.length;
  const probs = new Float64Array(n * CLASS_COUNT);
  const logits = new Float64Array(n * CLASS_COUNT);
  const z = new Float64Array(CLASS_COUNT);
  const evaluable = new Set<number>();
  const trainOnlySources = new Set<number>();
  for (let i = 0; i < n; i++) (data.trainOnly[i] ? trainOnlySources : evaluable).add(data.sources[i]);
  const folds = [...evaluable].sort((a, b) => a - b);
  folds.forEach((s, done) => {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) {
      if (data.sources[i] !== s) train.push(i);
      else if (!data.trainOnly[i]) test.push(i);
    }
    const { model } = fitModel(data, options, Int32Array.from(train));
    for (const i of test) {
      rawLogits(model, data, i, z);
      logits.set(z, i * CLASS_COUNT);
      softmaxInPlace(z, model.temperature);
      probs.set(z, i * CLASS_COUNT);
    }
    onFold?.(data.sourceNames[s], done + 1, folds.length);
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
  const heldLabels: number[] = [];
  let trainOnlyItems = 0;
  for (let i = 0; i < n; i++) {
    if (data.trainOnly[i]) {
      trainOnlyItems++;
      continue;
    }
    const o = i * CLASS_COUNT;
    for (let c = 0; c < CLASS_COUNT; c++) heldLogits.push(logits[o + c]);
    heldLabels.push(data.labels[i]);
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
    method: 'leave-one-source-out',
    items: evaluated,
    sources: folds.length,
    trainOnlyItems,
    trainOnlySources: [...trainOnlySources].map((s) => data.sourceNames[s]),
    accuracy: all.accuracy,
    macroF1: all.macroF1,
    macroF1SpecialistsIn4Class: (all.perClass[0].f1 + all.perClass[1].f1 + all.perClass[2].f1) / 3,
    macroF1Specialists3Class: three.macroF1,
    accuracySpecialists3Class: three.accuracy,
    perClass: Object.fromEntries(DOMAINS.map((d, c) => [d, all.perClass[c]])) as Record<ClassifierDomain, ClassMetrics>,
    confusion,
    perSource: folds.map((s) => perSource[s]).map(({ correct, ...rest }) => ({ ...rest, accuracy: rest.items ? correct / rest.items : 0 })),
    ece: bins.reduce((sum, b) => sum + Math.abs(b.conf - b.correct), 0) / Math.max(1, evaluated),
    logits: Float64Array.from(heldLogits),
    labels: Uint8Array.from(heldLabels),
    options,
    durationMs: Date.now() - started,
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const f3 = (x: number): string => x.toFixed(3);

/** The evaluation as a Markdown report (the README links the committed one). */
export function renderEvalMarkdown(report: EvalReport, context: { dataDir: string; command: string; generatedAt: string }): string {
  const lines = [
    '# Router classifier: evaluation',
    '',
    `Generated ${context.generatedAt} by \`${context.command}\` on \`${context.dataDir}\` (${report.items} items, ${report.sources} sources; ${(report.durationMs / 1000).toFixed(1)} s).`,
    '',
    'Method: **leave-one-source-out**. For each source file, a model is trained on every other file (with the',
    'same hyper-parameters and seed as the committed artifact, temperature fitted on a stratified 10% of its',
    'training items) and predicts the held-out file. Each item is predicted once, by a model that never saw',
    'its source: this measures generalisation to unseen phrasing, and is much harsher than a random split.',
    ...(report.trainOnlyItems > 0
      ? [
          '',
          `Train-only: ${report.trainOnlyItems} items of ${report.trainOnlySources.map((s) => `\`${s}\``).join(', ')} are in the training data of`,
          'every fold (they are the hand-written seed examples shipped with the classifier, see the README) and are',
          'never predicted or counted here: every figure below is measured on the source files alone.',
        ]
      : []),
    '',
    '## Summary',
    '',
    '| metric | value | target |',
    '|---|---|---|',
    `| accuracy (4 classes) | ${pct(report.accuracy)} | |`,
    `| macro-F1 (4 classes) | ${f3(report.macroF1)} | ≥ 0.90 |`,
    `| macro-F1 math/code/science alone (items of those classes, argmax over them) | ${f3(report.macroF1Specialists3Class)} | ≥ 0.95 |`,
    `| accuracy math/code/science alone | ${pct(report.accuracySpecialists3Class)} | |`,
    `| mean F1 of math, code, science within the 4-class problem | ${f3(report.macroF1SpecialistsIn4Class)} | |`,
    `| expected calibration error (10 bins, held-out) | ${f3(report.ece)} | |`,
    '',
    '## Per class (4 classes)',
    '',
    '| class | precision | recall | F1 | items |',
    '|---|---|---|---|---|',
    ...DOMAINS.map((d) => {
      const m = report.perClass[d];
      return `| ${d} | ${f3(m.precision)} | ${f3(m.recall)} | ${f3(m.f1)} | ${m.support} |`;
    }),
    '',
    '## Confusion matrix (rows: truth, columns: predicted)',
    '',
    `| truth \\ predicted | ${DOMAINS.join(' | ')} |`,
    `|---|${DOMAINS.map(() => '---').join('|')}|`,
    ...DOMAINS.map((d, t) => `| ${d} | ${report.confusion[t].join(' | ')} |`),
    '',
    '## Per source (held out)',
    '',
    `| source | class | items | accuracy | predicted ${DOMAINS.join(' / ')} |`,
    '|---|---|---|---|---|',
    ...[...report.perSource]
      .sort((a, b) => a.accuracy - b.accuracy)
      .map((s) => `| ${s.source} | ${s.domain} | ${s.items} | ${pct(s.accuracy)} | ${DOMAINS.map((d) => s.predicted[d]).join(' / ')} |`),
    '',
    '## Hyper-parameters',
    '',
    '```json',
    JSON.stringify(report.options, null, 2),
    '```',
    '',
  ];
  return lines.join('\n');
}
