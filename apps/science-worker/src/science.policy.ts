import { choiceAnswerKey } from '@slm/verification';
import type { DomainPolicy } from '@slm/worker-runtime';
import { extractScienceAnswer } from './science-answer';

/**
 * The science worker: MobileLLM-R1-360M by default. No science benchmark is published; the 950M
 * is stronger (base MMLU 47.4 vs 26.8) but three times the cost, and math and code need it more
 * (MATH500 74.0 vs 28.4, LiveCodeBench 19.9 vs 5.1). Point SCIENCE_WORKER_MODEL at the 950M when
 * science quality matters more than memory.
 */
export const sciencePolicy: DomainPolicy = {
  domain: 'science',
  defaultModelId: 'onnx-community/MobileLLM-R1-360M-ONNX',
  systemPrompt:
    'Please reason step by step. For a multiple-choice question, finish with "The answer is (X)" where X is the letter of ' +
    'the correct option; otherwise finish with "Final answer: " followed by a short answer.',
  temperature: 0.6,
  topP: 0.95,
  maxNewTokens: 2048,
  systemPromptFor: (configured) => configured,
  extract: extractScienceAnswer,
  verifySamples: 5,
  // Votes compare options, not spellings: (B), B. and b) are one answer.
  answerKey: (answer) => choiceAnswerKey(answer.value),
};
