import type { ExtractedAnswer } from '@slm/contracts';
import type { AnswerCheck, AnswerChecker } from '@slm/worker-runtime';
import { extractExamples } from './code-examples';
import { checkExamples } from './example-checks';
import { ProcessSandbox } from './sandbox';

/**
 * The code worker's execution check: the examples the problem gives, run against the extracted
 * solution in one bubblewrap sandbox run. Built at startup when CODE_WORKER_EXECUTE=true; a
 * machine without bubblewrap then fails the start, naming the package, rather than every check.
 */
export class CodeExampleChecker implements AnswerChecker {
  private readonly sandbox: ProcessSandbox;

  constructor(limits: { timeoutMs: number; memoryMb: number }) {
    // CPU time just over the deadline: a busy loop ends by either, a sleeping one by the deadline.
    this.sandbox = new ProcessSandbox({
      timeoutMs: limits.timeoutMs,
      cpuSeconds: Math.ceil(limits.timeoutMs / 1000),
      memoryMb: limits.memoryMb,
    });
  }

  async check(problemText: string, answer: Required<ExtractedAnswer>): Promise<AnswerCheck> {
    const examples = extractExamples(problemText, answer.language);
    const checks = await checkExamples({ language: answer.language, code: answer.value }, examples, this.sandbox);
    return {
      examplesPassed: checks.examplesPassed,
      examplesTotal: checks.examplesTotal,
      examples: checks.examples.map((example) => ({
        label: example.label,
        passed: example.passed,
        expected: example.expected,
        actual: example.actual,
        error: example.error ?? '',
      })),
      ...(checks.skippedReason ? { skippedReason: checks.skippedReason } : {}),
    };
  }
}
