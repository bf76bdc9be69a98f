import { describeWithSandbox } from '../../test/sandbox-available';
import { extractExamples, type CodeExample } from './code-examples';
import { checkExamples } from './example-checks';
import { ProcessSandbox } from './sandbox';

const TWO_SUM_PROBLEM = `Example 1:
Input: nums = [2,7,11,15], target = 9
Output: [0,1]
Example 2:
Input: nums = [3,3], target = 6
Output: [0,1]

class Solution:
    def twoSum(self, nums: List[int], target: int) -> List[int]:`;

const TWO_SUM = `class Solution:
    def twoSum(self, nums: List[int], target: int) -> List[int]:
        seen = {}
        for i, n in enumerate(nums):
            if target - n in seen:
                return [seen[target - n], i]
            seen[n] = i
`;

// Real bubblewrap; small limits so hostile solutions end quickly on a shared machine.
describeWithSandbox('checkExamples (real bwrap)', () => {
  // Built in beforeAll: a skipped suite's body still runs, and without bwrap the constructor throws.
  let sandbox: ProcessSandbox;
  beforeAll(() => {
    sandbox = new ProcessSandbox({ timeoutMs: 3000, cpuSeconds: 2, memoryMb: 128, maxOutputBytes: 16 * 1024, maxProcesses: 8 });
  });
  const twoSumExamples = extractExamples(TWO_SUM_PROBLEM, 'python');

  it('passes a correct Python solution on every example', async () => {
    expect(twoSumExamples).toHaveLength(2);
    const checks = await checkExamples({ language: 'python', code: TWO_SUM }, twoSumExamples, sandbox);
    expect(checks).toEqual({
      examplesPassed: 2,
      examplesTotal: 2,
      examples: [
        { label: 'Example 1', passed: true, expected: '[0, 1]', actual: '[0, 1]' },
        { label: 'Example 2', passed: true, expected: '[0, 1]', actual: '[0, 1]' },
      ],
    });
  });

  it('fails a wrong solution and shows what it returned', async () => {
    const wrong = TWO_SUM.replace('return [seen[target - n], i]', 'return [i, seen[target - n]]');
    const checks = await checkExamples({ language: 'py', code: wrong }, twoSumExamples, sandbox);
    expect(checks.examplesPassed).toBe(0);
    expect(checks.examples[0]).toEqual({ label: 'Example 1', passed: false, expected: '[0, 1]', actual: '[1, 0]' });
  });

  it('reports an exception per example and keeps checking the others', async () => {
    const code = 'def f(x):\n    return 10 // x\n';
    const examples: CodeExample[] = [
      { kind: 'assert', call: 'f(0) == 1', expected: '', label: 'Example 1' },
      { kind: 'assert', call: 'f(5) == 2', expected: '', label: 'Example 2' },
      { kind: 'assert', call: 'f(2) == 4', expected: '', label: 'Example 3' },
    ];
    const checks = await checkExamples({ language: 'python', code }, examples, sandbox);
    expect(checks.examplesPassed).toBe(1);
    expect(checks.examples[0]?.error).toMatch(/^exception: ZeroDivisionError: /);
    expect(checks.examples[1]).toEqual({ label: 'Example 2', passed: true, expected: '2', actual: '2' });
    expect(checks.examples[2]).toEqual({ label: 'Example 3', passed: false, expected: '4', actual: '5' });
  });

  it('checks HumanEval doctests', async () => {
    const prompt = 'def add(a, b):\n    """\n    >>> add(2, 3)\n    5\n    >>> add([1], [2])\n    [1, 2]\n    """\n';
    const code = 'def add(a, b):\n    print("debug noise")\n    return a + b\n';
    const checks = await checkExamples({ language: 'python', code }, extractExamples(prompt, 'python'), sandbox);
    expect(checks).toMatchObject({ examplesPassed: 2, examplesTotal: 2 });
  });

  it('reports a solution that does not load', async () => {
    const checks = await checkExamples({ language: 'python', code: 'def broken(:\n' }, twoSumExamples, sandbox);
    expect(checks.examplesPassed).toBe(0);
    expect(checks.examples[0]?.error).toMatch(/^solution failed to load: exception: SyntaxError/);
  });

  it('fails every example with "timeout" when the solution loops forever', async () => {
    const looping = 'class Solution:\n    def twoSum(self, nums, target):\n        while True:\n            pass\n';
    const checks = await checkExamples({ language: 'python', code: looping }, twoSumExamples, sandbox);
    expect(checks.examplesPassed).toBe(0);
    expect(checks.examples.map((check) => check.error)).toEqual(['timeout', 'timeout']);
  });

  it('stops a solution that allocates without bound', async () => {
    const hungry =
      'class Solution:\n    def twoSum(self, nums, target):\n        chunks = []\n        while True:\n            chunks.append(bytearray(10**7))\n';
    const checks = await checkExamples({ language: 'python', code: hungry }, twoSumExamples, sandbox);
    expect(checks.examplesPassed).toBe(0);
    expect(checks.examples[0]?.error).toBe('memory');
  });

  it('cuts an output flood that bypasses the print capture', async () => {
    const flooding =
      'import os\nclass Solution:\n    def twoSum(self, nums, target):\n        while True:\n            os.write(1, b"x" * 4096)\n';
    const checks = await checkExamples({ language: 'python', code: flooding }, twoSumExamples, sandbox);
    expect(checks.examples.map((check) => check.error)).toEqual(['output limit', 'output limit']);
  });

  it('runs JavaScript solutions, passing and failing', async () => {
    const problem = TWO_SUM_PROBLEM.replace(/class Solution:[\s\S]*$/, 'var twoSum = function(nums, target) {};');
    const examples = extractExamples(problem, 'javascript');
    const correct = `var twoSum = function(nums, target) {
  const seen = new Map();
  for (let i = 0; i < nums.length; i++) {
    if (seen.has(target - nums[i])) return [seen.get(target - nums[i]), i];
    seen.set(nums[i], i);
  }
};`;
    const passing = await checkExamples({ language: 'javascript', code: correct }, examples, sandbox);
    expect(passing).toMatchObject({ examplesPassed: 2, examplesTotal: 2 });
    const failing = await checkExamples(
      { language: 'js', code: 'var twoSum = function(nums, target) { console.log("hi"); return [nums.length]; };' },
      examples,
      sandbox,
    );
    expect(failing.examplesPassed).toBe(0);
    expect(failing.examples[0]).toEqual({ label: 'Example 1', passed: false, expected: '[0, 1]', actual: '[4]' });
    const throwing = await checkExamples({ language: 'javascript', code: 'function twoSum() { return null.x; }' }, examples, sandbox);
    expect(throwing.examples[0]?.error).toMatch(/^exception: TypeError/);
  });

  it('skips languages it does not execute, and problems without examples', async () => {
    await expect(checkExamples({ language: 'cpp', code: 'int main() {}' }, twoSumExamples, sandbox)).resolves.toEqual({
      examplesPassed: 0,
      examplesTotal: 0,
      examples: [],
      skippedReason: 'language cpp is not executed',
    });
    await expect(checkExamples({ language: 'python', code: TWO_SUM }, [], sandbox)).resolves.toMatchObject({
      examplesTotal: 0,
      skippedReason: 'the problem gives no examples',
    });
  });

  it('still checks normally after the hostile solutions', async () => {
    const checks = await checkExamples({ language: 'python', code: TWO_SUM }, twoSumExamples, sandbox);
    expect(checks.examplesPassed).toBe(2);
  });
});
