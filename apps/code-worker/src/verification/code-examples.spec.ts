import { extractExamples } from './code-examples';

const TWO_SUM = `Given an array of integers nums and an integer target, return indices of the two numbers such that they add up to target.

**Example 1:**

**Input:** nums = [2,7,11,15], target = 9
**Output:** [0,1]
**Explanation:** Because nums[0] + nums[1] == 9, we return [0, 1].

**Example 2:**

**Input:** nums = [3,2,4], target = 6
**Output:** [1,2]

\`\`\`python
class Solution:
    def twoSum(self, nums: List[int], target: int) -> List[int]:
\`\`\``;

describe('extractExamples', () => {
  it('pairs LeetCode Input/Output with the Python stub, by keyword', () => {
    expect(extractExamples(TWO_SUM, 'python')).toEqual([
      { kind: 'io', call: 'Solution().twoSum(nums=[2, 7, 11, 15], target=9)', expected: '[0, 1]', label: 'Example 1' },
      { kind: 'io', call: 'Solution().twoSum(nums=[3, 2, 4], target=6)', expected: '[1, 2]', label: 'Example 2' },
    ]);
  });

  it('converts strings, nested lists and true/false/null to Python', () => {
    const problem = `Example 1:
Input: grid = [["1","0"],["0","1"]], word = "a\\"b", flags = [true,false,null]
Output: true
class Solution:
    def check(self, grid: List[List[str]], word: str, flags: List[Optional[bool]]) -> bool:`;
    expect(extractExamples(problem, 'python')).toEqual([
      {
        kind: 'io',
        call: 'Solution().check(grid=[["1", "0"], ["0", "1"]], word="a\\"b", flags=[True, False, None])',
        expected: 'True',
        label: 'Example 1',
      },
    ]);
  });

  it('calls a JavaScript stub positionally in the order of its signature', () => {
    const problem = `Input: target = 9, nums = [2,7,11,15]
Output: [0,1]

/**
 * @param {number[]} nums
 * @param {number} target
 * @return {number[]}
 */
var twoSum = function(nums, target) {
};`;
    expect(extractExamples(problem, 'javascript')).toEqual([
      { kind: 'io', call: 'twoSum([2, 7, 11, 15], 9)', expected: '[0, 1]', label: 'Example 1' },
    ]);
    expect(extractExamples(problem.replace('var twoSum = function(nums, target)', 'function twoSum(nums, target)'), 'js')[0]?.call).toBe(
      'twoSum([2, 7, 11, 15], 9)',
    );
  });

  it('marks answers accepted in any order', () => {
    const problem = `${TWO_SUM}\nYou can return the answer in any order.`;
    expect(extractExamples(problem, 'python').every((example) => example.anyOrder === true)).toBe(true);
  });

  it('gives no Input/Output example when the call cannot be built from the text', () => {
    const linkedList = `Input: head = [1,2,3]\nOutput: [3,2,1]\nclass Solution:\n    def reverseList(self, head: Optional[ListNode]) -> Optional[ListNode]:`;
    const noStub = 'Input: nums = [1,2]\nOutput: 3';
    const unknownNames = 'Input: a = 1, b = 2, c = 3\nOutput: 6\nclass Solution:\n    def add(self, x: int, y: int) -> int:';
    expect(extractExamples(linkedList, 'python')).toEqual([]);
    expect(extractExamples(noStub, 'python')).toEqual([]);
    expect(extractExamples(unknownNames, 'python')).toEqual([]);
  });

  it('reads HumanEval doctests, ending at the next prompt or the docstring end', () => {
    const prompt = `from typing import List


def has_close_elements(numbers: List[float], threshold: float) -> bool:
    """ Check if in given list of numbers, are any two numbers closer to each other than
    given threshold.
    >>> has_close_elements([1.0, 2.0, 3.0], 0.5)
    False
    >>> has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)
    True
    >>> x = 3
    >>> print('a')
    a
    """
`;
    expect(extractExamples(prompt, 'python')).toEqual([
      { kind: 'doctest', call: 'has_close_elements([1.0, 2.0, 3.0], 0.5)', expected: 'False', label: 'Example 1' },
      { kind: 'doctest', call: 'has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)', expected: 'True', label: 'Example 2' },
      { kind: 'doctest', call: "print('a')", expected: 'a', label: 'Example 3' },
    ]);
  });

  it('reads MBPP asserts, one example each, dropping assert messages', () => {
    const problem = `Write a function to find the shared elements from the given two lists.
assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))
assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4), "wrong, 'order'"
assert broken(1, 2 == 3`;
    expect(extractExamples(problem, 'python')).toEqual([
      { kind: 'assert', call: 'set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))', expected: '', label: 'Example 1' },
      { kind: 'assert', call: 'similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)', expected: '', label: 'Example 2' },
    ]);
  });

  it('gives Python-only doctests and asserts no JavaScript examples', () => {
    expect(extractExamples('>>> f(1)\n2\nassert f(1) == 2', 'javascript')).toEqual([]);
  });

  it('gives no examples for a problem without any, or another language', () => {
    expect(extractExamples('Write a function that reverses a string.', 'python')).toEqual([]);
    expect(extractExamples(TWO_SUM, 'cpp')).toEqual([]);
  });

  it('never throws on garbage', () => {
    const garbage = [
      '',
      'Input:\nOutput:',
      'Input: nums = [1,2\nOutput: [',
      '>>>\n>>> (\n',
      'assert',
      '\u0000\uffff'.repeat(100),
      'Input: x = "unterminated\nOutput: 1\ndef f(x):',
    ];
    for (const text of garbage) {
      expect(() => extractExamples(text, 'python')).not.toThrow();
      expect(extractExamples(text, 'python')).toEqual([]);
    }
  });
});
