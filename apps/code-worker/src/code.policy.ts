import type { DomainPolicy } from '@slm/worker-runtime';
import { extractCodeAnswer, requestedLanguage } from './code-answer';
import { CodeExampleChecker } from './verification/code-example.checker';

/**
 * The code worker: MobileLLM-R1-950M (19.9 on LiveCodeBench-v6, ahead of Qwen3-0.6B's 14.9; the
 * 360M scores 5.1), the official code system prompt with the requested language filled in.
 */
export const codePolicy: DomainPolicy = {
  domain: 'code',
  defaultModelId: 'onnx-community/MobileLLM-R1-950M-ONNX',
  systemPrompt:
    'You are a helpful and harmless assistant. You should think step-by-step before responding to the instruction below.\n\n' +
    'Please use {language} programming language only.\n\n' +
    'You must use ```{language} for just the final solution code block with the following format:\n' +
    '```{language}\n# Your code here\n```\n',
  temperature: 0.6,
  topP: 0.95,
  maxNewTokens: 2048,
  systemPromptFor: (configured, context) => configured.replaceAll('{language}', requestedLanguage(context)),
  extract: extractCodeAnswer,
  // Candidates tried against the examples when a problem asks to verify and sets no samples.
  verifySamples: 4,
  // Votes (without examples) count identical programs, whatever their trailing whitespace.
  answerKey: (answer) => answer.value.replace(/[ \t]+$/gm, '').trim(),
  createChecker: (limits) => new CodeExampleChecker(limits),
};
