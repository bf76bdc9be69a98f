import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError, ErrorCode } from '@slm/platform';
import { isDomainName } from '@slm/contracts';
import { ClassifierDomain, DOMAINS } from './domains';
import type { TrainingItem } from './trainer';

/** What one training file contributed (goes into the artifact's manifest). */
export interface DatasetFileSummary {
  file: string;
  items: number;
  perClass: Record<ClassifierDomain, number>;
  licenses: string[];
  /** True for the seed examples: always trained on, never held out or scored by the evaluation. */
  trainOnly?: boolean;
}

export interface Dataset {
  items: TrainingItem[];
  files: DatasetFileSummary[];
}

function emptyCounts(): Record<ClassifierDomain, number> {
  return Object.fromEntries(DOMAINS.map((d) => [d, 0])) as Record<ClassifierDomain, number>;
}

/** The seed file that marks the seed-example folder (libs/classifier/data holds more beside it). */
const SEED_MARKER = 'seed-examples.jsonl';
const SEED_DIR_RELATIVE = path.join('libs', 'classifier', 'data');

/**
 * The committed seed-example files (every `*.jsonl` of libs/classifier/data, in name order), found
 * by walking up from this file (works from the sources and from dist/ alike); empty when absent.
 */
export function seedExamplesPaths(): string[] {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, SEED_DIR_RELATIVE);
    if (fs.existsSync(path.join(candidate, SEED_MARKER))) {
      return fs
        .readdirSync(candidate)
        .filter((name) => name.endsWith('.jsonl'))
        .sort()
        .map((name) => path.join(candidate, name));
    }
    if (path.dirname(dir) === dir) return [];
  }
}

/**
 * Reads one JSONL file of `{"text", "domain", "license"?}` lines as the items of `source`.
 * A malformed line fails with its file and line number.
 */
function readJsonlFile(file: string, source: string, items: TrainingItem[], trainOnly: boolean): DatasetFileSummary {
  const name = path.basename(file);
  const perClass = emptyCounts();
  const licenses = new Set<string>();
  let count = 0;
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `cannot read ${file}: ${(error as Error).message}`);
  }
  content.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${name}:${index + 1}`;
    let record: { text?: unknown; domain?: unknown; license?: unknown };
    try {
      record = JSON.parse(line);
    } catch {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `${where}: not valid JSON`);
    }
    if (typeof record?.text !== 'string' || record.text.trim() === '')
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `${where}: "text" must be a non-empty string`);
    if (!isDomainName(record.domain))
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `${where}: "domain" must be one of ${DOMAINS.join(', ')}`);
    if (typeof record.license === 'string') licenses.add(record.license);
    items.push(
      trainOnly ? { text: record.text, domain: record.domain, source, trainOnly } : { text: record.text, domain: record.domain, source },
    );
    perClass[record.domain]++;
    count++;
  });
  return { file: name, items: count, perClass, licenses: [...licenses].sort(), ...(trainOnly ? { trainOnly } : {}) };
}

/**
 * Reads every `*.jsonl` file of a folder, in name order (so training is reproducible), one
 * `{"text", "domain", "license"?}` object a line. The file is the item's source: evaluation
 * holds out whole files. A malformed line fails with its file and line number.
 */
export function readDataset(dir: string): Dataset {
  let names: string[];
  try {
    names = fs
      .readdirSync(dir)
      .filter((name) => name.endsWith('.jsonl'))
      .sort();
  } catch (error) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `cannot read data folder ${dir}: ${(error as Error).message}`);
  }
  if (names.length === 0) throw new AppError(ErrorCode.INVALID_ARGUMENT, `no .jsonl files in ${dir}`);
  const items: TrainingItem[] = [];
  const files = names.map((name) => readJsonlFile(path.join(dir, name), name.replace(/\.jsonl$/, ''), items, false));
  return { items, files };
}

/** Options of {@link readTrainingData}. */
export interface TrainingDataOptions {
  /**
   * Extra examples always trained on and never evaluated (the "add examples to a domain" files):
   * a JSONL path, or false for none. Default: every committed libs/classifier/data/*.jsonl.
   */
  seedExamples?: string | false;
}

/** {@link readDataset} of `dir` plus the seed examples (train-only items, each file a source named after it). */
export function readTrainingData(dir: string, options: TrainingDataOptions = {}): Dataset {
  const dataset = readDataset(dir);
  const seeds = options.seedExamples === undefined ? seedExamplesPaths() : options.seedExamples === false ? [] : [options.seedExamples];
  if (seeds.length === 0) return dataset;
  const taken = new Set(dataset.files.map((f) => f.file.replace(/\.jsonl$/, '')));
  const clash = seeds.map(seedSourceOf).find((source) => taken.has(source));
  if (clash) throw new AppError(ErrorCode.INVALID_ARGUMENT, `${dir} already has a ${clash}.jsonl; pass seedExamples: false or rename it`);
  const summaries = seeds.map((seed) => readJsonlFile(seed, seedSourceOf(seed), dataset.items, true));
  return { items: dataset.items, files: [...dataset.files, ...summaries] };
}

/** The committed seed examples alone (every libs/classifier/data/*.jsonl), as train-only items. */
export function readSeedExamples(): TrainingItem[] {
  const items: TrainingItem[] = [];
  for (const file of seedExamplesPaths()) readJsonlFile(file, seedSourceOf(file), items, true);
  return items;
}

/**
 * A seed file is a source of its own (its name), as a data file is: source balancing weighs its items by
 * its own size, so a file added later does not dilute the weight of the others.
 */
function seedSourceOf(file: string): string {
  return path.basename(file).replace(/\.jsonl$/, '');
}
