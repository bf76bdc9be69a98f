import { type LanguageHoldoutItem, describeHoldoutBounds, readTestCases } from './test-cases';

/**
 * 160 problems in 16 languages outside the eight the issue names — Swahili, Indonesian, Tagalog, Bengali,
 * Telugu, Tamil, Urdu, Persian, Hebrew, Thai, Korean, Vietnamese, Turkish, Polish, Ukrainian, Dutch — ten
 * each (3 math: MGSM-style word problems and an exercise; 2 science; 3 code requests in prose; 2 `other`),
 * written for slm-router by a helper that saw neither the training data, the seed files nor the other test
 * sets. Never trained on: the seed files were checked against it for near-duplicates. Ten items a language
 * are too few to bound each language; the bounds are per class. Since session 16 the seed files hold about
 * 84 more problems in each of these sixteen languages (`seed-multilingual-four-classes.jsonl`, written apart
 * from this set), so it measures languages with a little training data; unseen-languages-holdout.spec.ts
 * measures languages with none.
 */
const items = readTestCases<LanguageHoldoutItem>('more-languages-holdout.jsonl');

/**
 * The least share of each class routed right. The shipped model routes 145 of 160 (2026-12-07, session 17:
 * math 46/48, science 26/32, code 46/48, other 27/32; seed 7 instead of 42: 149); session 16's 149, session 15's 127
 * (science 19/32), the model before `seed-multilingual-more-languages.jsonl` 70 and session 14's 63, most of the rest
 * to `other`. The bounds leave room for a retrain's noise, not for a regression.
 */
const MIN_SHARE: Record<string, number> = { math: 0.88, science: 0.75, code: 0.88, other: 0.78 };

describeHoldoutBounds('hold-out set in 16 more languages', items, (item) => item.domain, 0.86, MIN_SHARE);
