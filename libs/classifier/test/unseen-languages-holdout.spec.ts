import { type LanguageHoldoutItem, describeHoldoutBounds, readTestCases } from './test-cases';

/**
 * 120 problems in twelve languages that no training source and no seed file holds — Danish, Slovak,
 * Latvian, Estonian, Catalan, Basque, Khmer, Burmese, Sinhala, Zulu, Somali, Javanese — ten each (3 math:
 * two word problems in the local currency and an exercise; 3 science: multiple choice, an everyday "why",
 * a definition or calculation; 2 code; 2 `other`: multiple choice in the same layout and a request with
 * numbers that is not math), written for slm-router by a helper that saw neither the training data, the
 * seed files nor the other test sets. What it measures is what carries over to a language the model has
 * never read: numbers, layout, symbols, shared loanwords and names, and no lean from unseen words.
 */
const items = readTestCases<LanguageHoldoutItem>('unseen-languages-holdout.jsonl');

/**
 * The least share of each class routed right. The shipped model routes 93 of 120 (2026-12-07, session 17: math
 * 34/36, science 20/36, code 23/24, other 16/24; seed 7 instead of 42: 95). Session 15's model routed 81 (math
 * 22, science 16, code 21, other 22): unsigned hashing gave every unseen word a lean to `other`, which sent word
 * problems there and happened to suit the `other` items. Science is the weak class: an everyday "why" or a
 * multiple-choice question in an unread language has no number, symbol or known word to go on. The bounds
 * leave room for a retrain's noise, not for a regression.
 */
const MIN_SHARE: Record<string, number> = { math: 0.86, science: 0.41, code: 0.87, other: 0.54 };

describeHoldoutBounds('hold-out set in twelve languages without training data', items, (item) => item.domain, 0.7, MIN_SHARE);
