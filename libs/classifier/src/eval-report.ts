import { CLASS_COUNT, DOMAINS } from './domains';
import { softmaxInPlace } from './linear-model';
import { calibrationStats, fitTemperature } from './trainer';
import type { EvalReport, SourceResult } from './evaluation';

/** The report's paragraph on how items were held out. */
const METHOD_TEXT: Record<EvalReport['method'], (folds: number) => string[]> = {
  'leave-one-source-out': () => [
    'Method: **leave-one-source-out**. For each source file, a model is trained on every other file (with the',
    'same hyper-parameters and seed as the committed artifact, temperature fitted on a stratified 10% of its',
    'training items) and predicts the held-out file. Each item is predicted once, by a model that never saw',
    'its source: this measures generalisation to unseen phrasing, and is much harsher than a random split.',
  ],
  'leave-one-dataset-out': (folds) => [
    `Method: **leave-one-dataset-out** (${folds} folds). Each fold holds out every file of one dataset, whatever its`,
    'class (`science_exams_multilingual` and `other_exams_multilingual` together), trains on the rest with the',
    "committed artifact's hyper-parameters and seed, and predicts the held-out files. Unlike leave-one-source-out,",
    'no sibling file with the same layout and languages under another label stays in training, so a held-out',
    'file is scored on its subject rather than against its own format.',
  ],
  'five folds of items': (folds) => [
    `Method: **${folds} folds of items**. Each fold holds out a fifth of every source file (dealt in a seeded random`,
    "order), trains on the rest with the committed artifact's hyper-parameters and seed, and predicts the held-out",
    'items. Every source is in training, so this is not a measure of generalisation to unseen sources: it is the',
    'ceiling the held-out measures are read against, what a model of this kind learns of each source once it has',
    "seen the source's own phrasing. A source far under its target here is one whose label the text does not carry.",
  ],
};

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
    ...METHOD_TEXT[report.method](report.folds),
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
