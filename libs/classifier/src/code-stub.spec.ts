import { endsWithCodeStub } from './code-stub';

describe('endsWithCodeStub', () => {
  it.each([
    ['Python', 'Return the n-th Fibonacci number.\n\ndef fib(n: int) -> int:\n'],
    ['a Python method', 'Given an array nums...\n\nclass Solution:\n    def maxArea(self, height: List[int]) -> int:'],
    ['Java', '/** Sum of the digits. */\npublic static long digitSum(long n) {\n'],
    ['C++', 'class Solution {\npublic:\n    int longestPath(vector<int>& parent, string s) {'],
    ['Go', '// Reverse a string.\nfunc Reverse(s string) string {'],
    ['Rust', '/// Is n prime?\nfn is_prime(n: u64) -> bool {'],
    ['JavaScript (arrow)', '//Return the largest divisor of n.\nconst largestDivisor = (n) => {'],
    ['Bash', '#!/bin/bash\n# $1 is an integer\nsum_digits() {'],
    ['PHP', '<?php\n// Count vowels.\nfunction count_vowels($s) {'],
    ['R', '# Mean of a vector\nmy_mean <- function(x) {'],
    ['Lua', '-- Count words.\nlocal function count_words(s)'],
    ['Ruby', '# Count words.\ndef count_words(s)'],
    ['Julia', '""" Count words. """\nfunction count_words(s::String)::Int64 '],
    ['Perl', '# Count words.\nsub count_words {'],
    ['Scala', '// Count.\ndef count(s : String) : Long = {'],
    ['Swift', '/// Count.\nfunc count(s: String) -> Int {'],
  ])('sees the %s stub at the end', (_language, text) => {
    expect(endsWithCodeStub(text)).toBe(true);
  });

  it.each([
    ['a word problem', 'A bakery sells 12 muffins for $2.75 each. How much does it take in?'],
    ['a LaTeX piecewise function', 'Let $f(x) = \\left\\{'],
    ['a LaTeX cases block', 'Solve for $x$:\n$$f(x) = \\begin{cases}'],
    ['prose with parentheses', 'Explain why the sky is blue (in simple words).'],
    ['a stub followed by a question', 'def f(x):\n    return x\nWhat does f(3) return?'],
    ['blank text', '   \n  '],
  ])('sees none in %s', (_kind, text) => {
    expect(endsWithCodeStub(text)).toBe(false);
  });
});
