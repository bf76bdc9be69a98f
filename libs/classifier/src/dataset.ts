import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError, ErrorCode } from '@slm/platform';
import { ClassifierDomain, DOMAINS, isClassifierDomain } from './domains';
import type { TrainingItem } from './trainer';

/** What one training file contributed (goes into the artifact's manifest). */
export interface DatasetFileSummary {
  file: string;
  items: number;
  perClass: Record<ClassifierDomain, number>;
  licenses: string[];
}

export interface Dataset {
  items: TrainingItem[];
  files: DatasetFileSummary[];
}

function emptyCounts(): Record<ClassifierDomain, number> {
  return Object.fromEntries(DOMAINS.map((d) => [d, 0])) as Record<ClassifierDomain, number>;
}

/**
 * Reads every `*.jsonl` file of a folder, in name order (so training is reproducible), one
 * `{"text", "domain", "license"?}` object a line. The file is the item's source: evaluation
 * holds out whole files. A malformed line fails with its file and line number.
 */
export function readDataset(dir: string): Dataset {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((name) => name.endsWith('.jsonl')).sort();
  } catch (error) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `cannot read data folder ${dir}: ${(error as Error).message}`);
  }
  if (names.length === 0) throw new AppError(ErrorCode.INVALID_ARGUMENT, `no .jsonl files in ${dir}`);
  const items: TrainingItem[] = [];
  const files: DatasetFileSummary[] = [];
  for (const name of names) {
    const source = name.replace(/\.jsonl$/, '');
    const perClass = emptyCounts();
    const licenses = new Set<string>();
    let count = 0;
    const lines = fs.readFileSync(path.join(dir, name), 'utf8').split('\n');
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      const where = `${name}:${index + 1}`;
      let record: { text?: unknown; domain?: unknown; license?: unknown };
      try {
        record = JSON.parse(line);
      } catch {
        throw new AppError(ErrorCode.INVALID_ARGUMENT, `${where}: not valid JSON`);
      }
      if (typeof record?.text !== 'string' || record.text.trim() === '') throw new AppError(ErrorCode.INVALID_ARGUMENT, `${where}: "text" must be a non-empty string`);
      if (!isClassifierDomain(record.domain)) throw new AppError(ErrorCode.INVALID_ARGUMENT, `${where}: "domain" must be one of ${DOMAINS.join(', ')}`);
      if (typeof record.license === 'string') licenses.add(record.license);
      items.push({ text: record.text, domain: record.domain, source });
      perClass[record.domain]++;
      count++;
    });
    files.push({ file: name, items: count, perClass, licenses: [...licenses].sort() });
  }
  return { items, files };
}
