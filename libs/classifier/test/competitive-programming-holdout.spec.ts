import { type LanguageHoldoutItem, describeHoldoutBounds, readTestCases } from './test-cases';

/**
 * Programming-contest statements and their pure-math look-alikes in nine languages (English, German, French,
 * Spanish, Portuguese, Russian, Chinese, Japanese, Hindi), written for slm-router by a helper that saw neither
 * the training data, the seed files nor the other test sets. Code: a full judge statement (story, input/output
 * sections and samples in the layout that language's judges use), a terse one, a counting or probability task
 * whose answer is printed modulo a prime, and a statement wrapped in a chat request; math: olympiad problems, a
 * short competition question and a counting story, with integer bounds but nothing to read or print. It checks
 * that a judge's layout outweighs the math words of its story in every language the issue names, and that math
 * with the same words stays math. Of the 108 written, 39 posed the same problem (not the same text: another
 * story, language or constants) as a line of `seed-competitive-programming.jsonl`, written apart by other helpers
 * who reached for the same classic problems; a fourth helper read both files and listed them, and they are left
 * out: 69 kept.
 */
interface CompetitiveProgrammingItem extends LanguageHoldoutItem {
  kind: string;
}

const items = readTestCases<CompetitiveProgrammingItem>('competitive-programming-holdout.jsonl');

/**
 * The least share of each kind routed right. Session 16's model routed 58 of the 69 (judge-math-heavy 4/11,
 * judge-full 10/13): statements in Portuguese, Russian, Chinese and Hindi whose story is about dice,
 * permutations or a map went to math or science. The shipped model, trained with
 * `seed-competitive-programming.jsonl`, routes 67 (2026-12-07, session 17: a Portuguese random walk modulo a
 * prime and a German counting story missed; seed 7 instead of 42: 68); on the 39 items left out, 33 → 38.
 * The bounds leave room for a retrain's noise, not for a regression.
 */
const MIN_SHARE: Record<string, number> = {
  'judge-full': 0.84,
  'judge-terse': 0.81,
  'judge-math-heavy': 0.81,
  'chat-wrapped': 0.75,
  olympiad: 0.86,
  'competition-short': 0.77,
  'counting-story': 0.66,
};

describeHoldoutBounds('competitive-programming hold-out set in nine languages', items, (item) => item.kind, 0.9, MIN_SHARE);
