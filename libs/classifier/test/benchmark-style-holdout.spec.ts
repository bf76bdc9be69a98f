import { describeHoldoutBounds, readTestCases } from './test-cases';

/**
 * 315 problems and requests in the formats of public benchmarks, written for slm-router by a helper
 * that saw neither the training data nor the other test sets: LeetCode and Codeforces statements (most
 * with a code stub), HumanEval/MultiPL-E docstring prompts in 20 languages, DS-1000 questions,
 * GSM8K-like word problems, MATH/AMC-style problems, ARC/OpenBookQA/MMLU/GPQA-style science questions,
 * TriviaQA/MMLU-humanities questions and Alpaca-style requests. The way the product is judged: on
 * problems no training source holds. Caveats: the instruction seed file was written by the same kind
 * of helper (near-duplicates of this set were dropped from it), and 8 items share a template with a
 * training item (5-word-shingle Jaccard 0.2-0.33).
 */
interface HoldoutItem {
  kind: string;
  domain: string;
  text: string;
}

const items = readTestCases<HoldoutItem>('benchmark-style-holdout.jsonl');

/**
 * The least share of each kind routed right. The shipped model routes 311 of 315 (2026-12-07, session 17: LeetCode,
 * DS-1000, docstrings, both math kinds and requests in full, science 49/50, trivia 52/55; seed 7 instead of 42: 311).
 * Requests were 21-22/25 before `seed-instructions-look-alikes.jsonl`, whose brief named the categories of the
 * requests missed here, not the items. Earlier models' figures are in docs/router-classifier.md. The bounds leave
 * room for a retrain's noise, not for a regression.
 */
const MIN_SHARE: Record<string, number> = {
  leetcode: 0.95,
  docstring: 0.95,
  ds1000: 0.9,
  gsm8k: 0.95,
  competition_math: 0.95,
  science_exam: 0.9,
  general_knowledge: 0.9,
  instructions: 0.84,
};

describeHoldoutBounds('benchmark-style hold-out set', items, (item) => item.kind, 0.97, MIN_SHARE);
