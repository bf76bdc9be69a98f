import * as fs from 'node:fs';
import * as path from 'node:path';

/** The objects of a JSONL file of this folder (blank lines skipped). */
export function readTestCases<T>(file: string): T[] {
  return fs
    .readFileSync(path.join(__dirname, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}
