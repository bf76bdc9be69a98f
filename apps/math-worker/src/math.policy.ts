import { mathAnswerKey } from '@slm/verification';
import type { DomainPolicy } from '@slm/worker-runtime';
import { extractMathAnswer } from './math-answer';

/**
 * The math worker: MobileLLM-R1-950M (74.0 on MATH500, 67.5 on GSM8K; the 360M scores 28.4 /
 * 24.5), the official math system prompt and sampling (temperature 0.6, top-p 0.95).
 */
export const mathPolicy: DomainPolicy = {
  domain: 'math',
  defaultModelId: 'onnx-community/MobileLLM-R1-950M-ONNX',
  systemPrompt: 'Please reason step by step, and put your final answer within \\boxed{}.',
  temperature: 0.6,
  topP: 0.95,
  maxNewTokens: 2048,
  systemPromptFor: (configured) => configured,
  extract: extractMathAnswer,
  // Self-consistency on MATH-style problems gains most of its accuracy within the first 5 samples.
  verifySamples: 5,
  // Votes compare values, not spellings: 1/2, 0.5 and \\frac{1}{2} are one answer.
  answerKey: (answer) => mathAnswerKey(answer.value),
};
