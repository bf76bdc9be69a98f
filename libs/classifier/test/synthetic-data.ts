import * as fs from 'node:fs';
import * as path from 'node:path';
import { Prng } from '../src/prng';

const VOCAB = {
  math: ['solve', 'equation', 'integer', 'fraction', 'sum', 'triangle', 'divisible', 'polynomial', 'ratio', 'average'],
  code: ['python', 'function', 'array', 'string', 'compile', 'loop', 'bug', 'sql', 'query', 'script'],
  science: ['atom', 'cell', 'energy', 'force', 'molecule', 'planet', 'enzyme', 'voltage', 'gravity', 'protein'],
  other: ['movie', 'history', 'friend', 'song', 'holiday', 'novel', 'team', 'recipe', 'king', 'painting'],
} as const;
const FILLER = ['the', 'a', 'what', 'is', 'how', 'do', 'i', 'please', 'find', 'about', 'my', 'this', 'with', 'for'];

/** Deterministic toy texts: class words among shared filler words. */
export function syntheticText(domain: keyof typeof VOCAB, prng: Prng): string {
  const words: string[] = [];
  const n = 6 + prng.int(8);
  for (let i = 0; i < n; i++) words.push(prng.next() < 0.4 ? VOCAB[domain][prng.int(10)] : FILLER[prng.int(FILLER.length)]);
  return words.join(' ');
}

/** Writes two JSONL files (two sources) per class into `dir`, `perFile` lines each. */
export function writeSyntheticDataset(dir: string, perFile = 60, seed = 7): void {
  const prng = new Prng(seed);
  fs.mkdirSync(dir, { recursive: true });
  for (const domain of Object.keys(VOCAB) as (keyof typeof VOCAB)[]) {
    for (const part of ['a', 'b']) {
      const lines = Array.from({ length: perFile }, () =>
        JSON.stringify({ text: syntheticText(domain, prng), domain, source: `${domain}-${part}`, license: 'CC0-1.0' }),
      );
      fs.writeFileSync(path.join(dir, `${domain}_${part}.jsonl`), `${lines.join('\n')}\n`);
    }
  }
}
