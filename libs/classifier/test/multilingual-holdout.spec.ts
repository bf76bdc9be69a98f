import { DomainClassifier } from '../src/domain-classifier';
import { type LanguageHoldoutItem, readTestCases } from './test-cases';

/**
 * 224 problems in German, French, Spanish, Portuguese, Russian, Chinese, Japanese and Hindi (8 math,
 * 6 code, 7 science and 7 other per language), written for slm-router by a helper that saw neither the
 * training data nor the robustness suite, in the style of translated public benchmarks (MGSM-like word
 * problems, docstring and contest code tasks, school science questions, trivia). Never trained on: the
 * seed files were checked against it for near-duplicates. Unlike the robustness suite it does not list
 * each miss; it bounds how many there are, per language and overall.
 */
const items = readTestCases<LanguageHoldoutItem>('multilingual-holdout.jsonl');

/**
 * The shipped model routes 221 of 224, lowest German, Russian and Hindi 27 of 28 (2026-12-07, session 17; seed 7
 * instead of 42: 220); 219 in session 16, 205 before session 14. Session 15's single models with other seeds routed
 * 211 to 218, lowest 25 of 28. These bounds leave room for a retrain's noise, not for a regression.
 */
const MIN_OVERALL = 0.94;
const MIN_PER_LANGUAGE = 0.85;
const LANGUAGES = ['de', 'fr', 'es', 'pt', 'ru', 'zh', 'ja', 'hi'];

describe('multilingual hold-out set', () => {
  const classifier = DomainClassifier.load();
  const misses = items.filter((item) => classifier.classify(item.text).domain !== item.domain);

  it('holds 28 items in each of the eight languages', () => {
    expect(LANGUAGES.map((lang) => items.filter((item) => item.lang === lang).length)).toEqual(LANGUAGES.map(() => 28));
    expect(items).toHaveLength(28 * LANGUAGES.length);
  });

  it(`routes at least ${MIN_OVERALL * 100}% of it right`, () => {
    expect(1 - misses.length / items.length).toBeGreaterThanOrEqual(MIN_OVERALL);
  });

  it.each(LANGUAGES)(`routes at least ${MIN_PER_LANGUAGE * 100}%% of the %s items right`, (lang) => {
    const ofLanguage = items.filter((item) => item.lang === lang).length;
    const wrong = misses.filter((item) => item.lang === lang).length;
    expect(1 - wrong / ofLanguage).toBeGreaterThanOrEqual(MIN_PER_LANGUAGE);
  });
});
