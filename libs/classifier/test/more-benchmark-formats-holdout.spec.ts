import { describeHoldoutBounds, readTestCases } from './test-cases';

/**
 * 271 problems in the formats of public benchmarks that the first benchmark-style set does not name, written
 * for slm-router by two helpers that saw no file of the machine (2026-12-07, session 18): MBPP tasks with their
 * asserts, MultiPL-E prompts in 20 languages, Spider/BIRD text-to-SQL, APPS statements (no stub, several
 * counting modulo a prime), MATH500 by subject, AIME, SVAMP/ASDiv, MGSM in ten languages and pure math that
 * mentions a computer; GPQA, SciQ, ARC-Challenge, MMLU science, SciBench/JEE calculations, MedQA vignettes and
 * school science in eight languages; NaturalQuestions, TriviaQA, HotpotQA, MMLU humanities and social science
 * (economics and accounting with numbers), HellaSwag/WinoGrande/PIQA, requests, and general knowledge in eight
 * languages. Left out of the 281 written: the 8 TruthfulQA-style myth questions (whether "Can lightning strike
 * the same place twice?" is general knowledge or science is the label's call, not the router's), and 2 items
 * that repeat a line of another test set or of a seed file. Other overlap is templates (MultiPL-E headers,
 * "Write a function to…", MATH's answer formats), not problems.
 */
interface BenchmarkFormatItem {
  kind: string;
  domain: string;
  text: string;
}

const items = readTestCases<BenchmarkFormatItem>('more-benchmark-formats-holdout.jsonl');

/**
 * The least share of each kind routed right. The shipped model routes 264 of 271 (2026-12-07, session 17's
 * model; seed 7 instead of 42: 264): every code and math kind in full but one APPS statement (a count of
 * divisors of n!, read as math), all science but one GPQA spin expectation value (math); three of the 14 MMLU
 * economics and accounting questions that need a calculation go to math, one HellaSwag ending and one request
 * weighing two job offers by their percentages (seed 7: two endings, no request). The bounds leave room for a
 * retrain's noise, not for a regression.
 */
const MIN_SHARE: Record<string, number> = {
  mbpp: 0.93,
  multipl_e: 0.96,
  text_to_sql: 0.91,
  apps_style: 0.83,
  math500: 0.95,
  aime_style: 0.87,
  svamp_asdiv: 0.91,
  mgsm: 0.93,
  math_in_code_clothing: 0.87,
  gpqa: 0.83,
  sciq: 0.91,
  arc_challenge: 0.91,
  mmlu_science: 0.91,
  computational_science: 0.91,
  medical: 0.87,
  non_english_science: 0.87,
  natural_questions: 0.9,
  triviaqa: 0.9,
  hotpotqa: 0.87,
  mmlu_humanities_social: 0.71,
  commonsense: 0.75,
  requests: 0.75,
  non_english_other: 0.85,
};

describeHoldoutBounds('hold-out set in more public benchmarks’ formats', items, (item) => item.kind, 0.95, MIN_SHARE);
