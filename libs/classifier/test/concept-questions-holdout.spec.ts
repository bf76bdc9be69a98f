import { describeHoldoutBounds, readTestCases } from './test-cases';

/**
 * Conceptual questions, not exercises, written for slm-router by two helpers that saw neither the training
 * data, the seed files nor the other test sets, each from its own brief: `chat`, as typed into a chat
 * assistant ("what's the difference between a mutex and a semaphore in practice", "how does CRISPR know
 * where to cut", "what's the difference between an LLC and an S corp"), and `forum-search-student`, as
 * forum titles, search queries and students asking to understand ("eigenvectors geometric meaning",
 * "ELI5: why can't you divide by zero?"). The training sources hold tasks and exam questions, so this is the
 * phrasing they teach least. Of 240 written, the 26 within character 4-gram Jaccard 0.5 of a seed line
 * (popular questions both kinds of writer reach for) are left out; the seed file written after the `chat`
 * part dropped its lines within 0.25 of it.
 */
interface ConceptQuestion {
  style: string;
  domain: string;
  text: string;
}

const items = readTestCases<ConceptQuestion>('concept-questions-holdout.jsonl');

/**
 * The least share of each class routed right. The shipped model routes 190 of 214 (2026-12-07, session 17:
 * code 60/67, science 43/51, math 38/43, other 49/53; seed 7 instead of 42: 191; earlier models' figures in
 * docs/router-classifier.md; the model before `seed-concept-questions-by-topic.jsonl`: 154, with code 36/67
 * and math 26/43); the bounds leave room for a retrain's noise, not for a regression.
 */
const MIN_SHARE: Record<string, number> = { code: 0.84, science: 0.8, math: 0.79, other: 0.86 };

describeHoldoutBounds('conceptual-question hold-out set', items, (item) => item.domain, 0.85, MIN_SHARE);
