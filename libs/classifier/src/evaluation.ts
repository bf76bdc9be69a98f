import { CLASS_COUNT, ClassifierDomain, DOMAINS } from './domains';
import { softmaxInPlace } from './linear-model';
import { EncodedDataset, FittedFold, TrainOptions, calibrationStats, fitModel, fitTemperature, rawLogits } from './trainer';

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
  method: 'leave-one-source-out' | 'leave-one-dataset-out';
  /** Items evaluated (train-only items excluded). */
  items: number;
  /** Sources evaluated (each held out once, alone or with its dataset's other files). */
  sources: number;
  /** Folds: one per source, or one per dataset. */
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
 * against its own format more than against its subject.
 */
export type HoldOut = 'source' | 'dataset';

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
  // Fold of each source: itself, or the first source of its dataset.
  const foldOf = data.sourceNames.map((name, s) =>
    holdOut === 'source' ? s : data.sourceNames.findIndex((other) => datasetOf(other) === datasetOf(name)),
  );
  const folds = [...new Set([...evaluable].map((s) => foldOf[s]))].sort((a, b) => a - b);
  folds.forEach((s, done) => {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) {
      if (foldOf[data.sources[i]] !== s) train.push(i);
      else if (!data.trainOnly[i]) test.push(i);
    }
    const model = fitFold(Int32Array.from(train));
    for (const i of test) {
      model.logits(i, z);
      logits.set(z, i * CLASS_COUNT);
      softmaxInPlace(z, model.temperature);
      probs.set(z, i * CLASS_COUNT);
    }
    onFold?.(holdOut === 'source' ? data.sourceNames[s] : datasetOf(data.sourceNames[s]), done + 1, folds.length);
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
    method: holdOut === 'source' ? 'leave-one-source-out' : 'leave-one-dataset-out',
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

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const f3 = (x: number): string => x.toFixed(3);

/** A model scored on the same folds, shown beside the shipped one. */
export interface NamedReport {
  name: string;
  report: EvalReport;
}

/** Per source: items the default policy routes with a `lowConfidence` flag, and items it rejects. */
export interface PolicyCounts {
  source: string;
  domain: string;
  items: number;
  /** Top class is math, code or science, with a probability under its threshold: routed, flagged. */
  lowConfidence: number;
  /** Top class is `other`: rejected by the default policy. */
  rejected: number;
}

/** A temperature fitted on held-out predictions, and what it does to their calibration. */
export interface HeldOutCalibration {
  method: string;
  items: number;
  temperature: number;
  nllBefore: number;
  nllAfter: number;
  eceBefore: number;
  eceAfter: number;
}

/**
 * The temperature that minimises the log-likelihood of the held-out (raw) logits: what
 * `slm router train --loso` ships, so probabilities are calibrated for sources the model never saw.
 */
export function heldOutCalibration(report: EvalReport): HeldOutCalibration {
  const logits: Float64Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < report.labels.length; i++) {
    logits.push(report.logits.subarray(i * CLASS_COUNT, (i + 1) * CLASS_COUNT));
    labels.push(report.labels[i]);
  }
  const temperature = fitTemperature(logits, labels);
  const before = calibrationStats(logits, labels, 1);
  const after = calibrationStats(logits, labels, temperature);
  return {
    method: `${report.method} predictions`,
    items: labels.length,
    temperature,
    nllBefore: before.nll,
    nllAfter: after.nll,
    eceBefore: before.ece,
    eceAfter: after.ece,
  };
}

/**
 * What the default route policy (route to the best specialist, flag it under the threshold, reject
 * only `other`) would do with each held-out item, its probabilities taken from the raw logits at
 * `temperature` (the shipped artifact's, fitted on these predictions by {@link heldOutCalibration}).
 */
export function policyCounts(
  report: EvalReport,
  thresholds: Record<'math' | 'code' | 'science', number>,
  temperature: number,
): PolicyCounts[] {
  const bySource = new Map<string, PolicyCounts>();
  const p = new Float64Array(CLASS_COUNT);
  for (let k = 0; k < report.labels.length; k++) {
    const source = report.itemSources[k];
    let row = bySource.get(source);
    if (!row) bySource.set(source, (row = { source, domain: DOMAINS[report.labels[k]], items: 0, lowConfidence: 0, rejected: 0 }));
    row.items++;
    p.set(report.logits.subarray(k * CLASS_COUNT, (k + 1) * CLASS_COUNT));
    softmaxInPlace(p, temperature);
    let best = 0;
    for (let c = 1; c < CLASS_COUNT; c++) if (p[c] > p[best]) best = c;
    const top = DOMAINS[best];
    if (top === 'other') row.rejected++;
    else if (p[best] < thresholds[top]) row.lowConfidence++;
  }
  return [...bySource.values()];
}

/** Context of a rendered report. */
export interface EvalContext {
  dataDir: string;
  command: string;
  generatedAt: string;
  /** The plain baselines scored on the same folds (slm router eval trains them in the same run). */
  baselines?: NamedReport[];
  /** The default policy's thresholds, for the lowConfidence counts. */
  thresholds?: Record<'math' | 'code' | 'science', number>;
}

/** Targets of the routing issue, checked in the report. */
const TARGETS = { macroF1: 0.92, accuracySpecialists: 0.96, codeSource: 0.9, scienceSource: 0.85 };

const mark = (ok: boolean): string => (ok ? 'met' : '**not met**');

/** The evaluation as a Markdown report (the README links the committed one). */
export function renderEvalMarkdown(report: EvalReport, context: EvalContext): string {
  const baselines = context.baselines ?? [];
  const models: NamedReport[] = [{ name: 'shipped model', report }, ...baselines];
  const header = `| | ${models.map((m) => m.name).join(' | ')} |`;
  const rule = `|---|${models.map(() => '---').join('|')}|`;
  // One temperature fit per model (a golden-section search over every held-out item), reused below.
  const calibrations = new Map(models.map((m) => [m.report, heldOutCalibration(m.report)]));
  const row = (label: string, value: (r: EvalReport) => string): string =>
    `| ${label} | ${models.map((m) => value(m.report)).join(' | ')} |`;
  const sourceAccuracy = (r: EvalReport, source: string): number => r.perSource.find((s) => s.source === source)?.accuracy ?? 0;
  const worstOf = (domain: string): SourceResult[] => report.perSource.filter((s) => s.domain === domain);
  const codeSources = worstOf('code');
  const scienceSources = worstOf('science');
  const behind = report.perSource.filter((s) => baselines.some((b) => sourceAccuracy(b.report, s.source) > s.accuracy));
  const aheadOnMacroF1 = baselines.every((b) => report.macroF1 > b.report.macroF1);
  const lines = [
    '# Router classifier: evaluation',
    '',
    `Generated ${context.generatedAt} by \`${context.command}\` on \`${context.dataDir}\` (${report.items} items, ${report.sources} sources; ${(report.durationMs / 1000).toFixed(1)} s for the shipped model).`,
    '',
    ...(report.method === 'leave-one-source-out'
      ? [
          'Method: **leave-one-source-out**. For each source file, a model is trained on every other file (with the',
          'same hyper-parameters and seed as the committed artifact, temperature fitted on a stratified 10% of its',
          'training items) and predicts the held-out file. Each item is predicted once, by a model that never saw',
          'its source: this measures generalisation to unseen phrasing, and is much harsher than a random split.',
        ]
      : [
          `Method: **leave-one-dataset-out** (${report.folds} folds). Each fold holds out every file of one dataset, whatever its`,
          'class (`science_exams_multilingual` and `other_exams_multilingual` together), trains on the rest with the',
          "committed artifact's hyper-parameters and seed, and predicts the held-out files. Unlike leave-one-source-out,",
          'no sibling file with the same layout and languages under another label stays in training, so a held-out',
          'file is scored on its subject rather than against its own format.',
        ]),
    ...(baselines.length > 0
      ? [
          '',
          `Baselines, trained and scored on the same folds in the same run: ${baselines.map((b) => `**${b.name}**`).join(' and ')}`,
          '(libs/classifier/src/baselines.ts: hashed word 1–2-grams, 2^20 buckets, no source balancing, no dropout).',
        ]
      : []),
    ...(report.trainOnlyItems > 0
      ? [
          '',
          `Train-only: ${report.trainOnlyItems} items of ${report.trainOnlySources.map((s) => `\`${s}\``).join(', ')} are in the training data of`,
          'every fold (they are the hand-written seed examples shipped with the classifier, see the README) and are',
          'never predicted or counted here: every figure below is measured on the source files alone.',
        ]
      : []),
    '',
    '## Targets',
    '',
    '| target | value | |',
    '|---|---|---|',
    `| macro-F1 over 4 classes ≥ ${TARGETS.macroF1} | ${f3(report.macroF1)} | ${mark(report.macroF1 >= TARGETS.macroF1)} |`,
    `| accuracy over math/code/science ≥ ${pct(TARGETS.accuracySpecialists)} | ${pct(report.accuracySpecialists3Class)} | ${mark(report.accuracySpecialists3Class >= TARGETS.accuracySpecialists)} |`,
    `| every code source ≥ ${pct(TARGETS.codeSource)} | worst ${pct(Math.min(...codeSources.map((s) => s.accuracy)))} | ${mark(codeSources.every((s) => s.accuracy >= TARGETS.codeSource))} |`,
    `| every science source ≥ ${pct(TARGETS.scienceSource)} | worst ${pct(Math.min(...scienceSources.map((s) => s.accuracy)))} | ${mark(scienceSources.every((s) => s.accuracy >= TARGETS.scienceSource))} |`,
    ...(baselines.length > 0
      ? [
          `| ahead of every baseline on macro-F1 | ${baselines.map((b) => `${b.name} ${f3(b.report.macroF1)}`).join(', ')} | ${mark(aheadOnMacroF1)} |`,
        ]
      : []),
    ...(baselines.length > 0
      ? [
          `| ahead of every baseline on each source | behind on ${behind.length} of ${report.perSource.length} sources (listed below) | ${mark(behind.length === 0)} |`,
        ]
      : []),
    '',
    '## Summary',
    '',
    header,
    rule,
    row('accuracy (4 classes)', (r) => pct(r.accuracy)),
    row('macro-F1 (4 classes)', (r) => f3(r.macroF1)),
    row('macro-F1 math/code/science alone (items of those classes, argmax over them)', (r) => f3(r.macroF1Specialists3Class)),
    row('accuracy math/code/science alone', (r) => pct(r.accuracySpecialists3Class)),
    row('mean F1 of math, code, science within the 4-class problem', (r) => f3(r.macroF1SpecialistsIn4Class)),
    row('expected calibration error (10 bins, held-out, the temperature of each fold)', (r) => f3(r.ece)),
    row('expected calibration error at one temperature fitted on these predictions (as `train --loso` ships)', (r) =>
      f3(calibrations.get(r)!.eceAfter),
    ),
    '',
    '## Per class (4 classes): F1 (precision / recall)',
    '',
    `| class | items | ${models.map((m) => m.name).join(' | ')} |`,
    `|---|---|${models.map(() => '---').join('|')}|`,
    ...DOMAINS.map(
      (d) =>
        `| ${d} | ${report.perClass[d].support} | ${models.map((m) => `${f3(m.report.perClass[d].f1)} (${f3(m.report.perClass[d].precision)} / ${f3(m.report.perClass[d].recall)})`).join(' | ')} |`,
    ),
    '',
    '## Confusion matrix of the shipped model (rows: truth, columns: predicted)',
    '',
    `| truth \\ predicted | ${DOMAINS.join(' | ')} |`,
    `|---|${DOMAINS.map(() => '---').join('|')}|`,
    ...DOMAINS.map((d, t) => `| ${d} | ${report.confusion[t].join(' | ')} |`),
    '',
    '## Per source (held out): accuracy',
    '',
    `| source | class | items | ${models.map((m) => m.name).join(' | ')} | shipped model predicted ${DOMAINS.join(' / ')} |`,
    `|---|---|---|${models.map(() => '---').join('|')}|---|`,
    ...[...report.perSource]
      .sort((a, b) => a.accuracy - b.accuracy)
      .map((s) => {
        const cells = models.map((m, k) => {
          const value = pct(sourceAccuracy(m.report, s.source));
          return k === 0 && behind.includes(s) ? `**${value}** (behind)` : value;
        });
        return `| ${s.source} | ${s.domain} | ${s.items} | ${cells.join(' | ')} | ${DOMAINS.map((d) => s.predicted[d]).join(' / ')} |`;
      }),
  ];
  if (context.thresholds) {
    const calibration = calibrations.get(report)!;
    const counts = policyCounts(report, context.thresholds, calibration.temperature);
    const total = counts.reduce(
      (sum, c) => ({
        ...sum,
        items: sum.items + c.items,
        lowConfidence: sum.lowConfidence + c.lowConfidence,
        rejected: sum.rejected + c.rejected,
      }),
      { source: 'all', domain: '', items: 0, lowConfidence: 0, rejected: 0 },
    );
    const t = context.thresholds;
    lines.push(
      '',
      '## Default route policy on held-out items',
      '',
      `The default policy routes every problem whose best class is math, code or science to that worker, flags it`,
      `\`lowConfidence\` when its probability is under the threshold (math ${t.math}, code ${t.code}, science ${t.science}), and`,
      'rejects only problems whose best class is `other`. Counts per source, from the held-out predictions above, with',
      `probabilities at the temperature fitted on them (T = ${calibration.temperature.toFixed(2)}, as \`slm router train --loso\` ships it: held-out`,
      `NLL ${f3(calibration.nllBefore)} → ${f3(calibration.nllAfter)}, expected calibration error ${f3(calibration.eceBefore)} → ${f3(calibration.eceAfter)}):`,
      '',
      '| source | class | items | flagged lowConfidence | rejected (other wins) |',
      '|---|---|---|---|---|',
      ...[...counts, total].map(
        (c) =>
          `| ${c.source} | ${c.domain} | ${c.items} | ${c.lowConfidence} (${pct(c.lowConfidence / Math.max(1, c.items))}) | ${c.rejected} (${pct(c.rejected / Math.max(1, c.items))}) |`,
      ),
    );
  }
  lines.push('', '## Hyper-parameters', '', '```json', JSON.stringify(report.options, null, 2), '```', '');
  return lines.join('\n');
}
