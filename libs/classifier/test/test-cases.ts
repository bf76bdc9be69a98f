import * as fs from 'node:fs';
import * as path from 'node:path';
import { DomainClassifier } from '../src/domain-classifier';

/** The objects of a JSONL file of this folder (blank lines skipped). */
export function readTestCases<T>(file: string): T[] {
  return fs
    .readFileSync(path.join(__dirname, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** An item of a hold-out set written in several languages: its language code, its class and its text. */
export interface LanguageHoldoutItem {
  lang: string;
  domain: string;
  text: string;
}

/**
 * The tests of a hold-out set bounded by share routed right: the shipped model routes at least
 * `minOverall` of `items` right, and at least `minShare[group]` of each group's items (the set holds
 * exactly the groups bounded).
 */
export function describeHoldoutBounds<T extends { domain: string; text: string }>(
  title: string,
  items: readonly T[],
  groupOf: (item: T) => string,
  minOverall: number,
  minShare: Record<string, number>,
): void {
  describe(title, () => {
    const classifier = DomainClassifier.load();
    const misses = items.filter((item) => classifier.classify(item.text).domain !== item.domain);

    it('holds only the groups it bounds', () => {
      expect([...new Set(items.map(groupOf))].sort()).toEqual(Object.keys(minShare).sort());
    });

    it(`routes at least ${minOverall * 100}% of it right`, () => {
      expect(1 - misses.length / items.length).toBeGreaterThanOrEqual(minOverall);
    });

    it.each(Object.entries(minShare))('routes its %s items right at least at the bound (%d)', (group, share) => {
      const ofGroup = items.filter((item) => groupOf(item) === group).length;
      const wrong = misses.filter((item) => groupOf(item) === group).length;
      expect(1 - wrong / ofGroup).toBeGreaterThanOrEqual(share);
    });
  });
}
