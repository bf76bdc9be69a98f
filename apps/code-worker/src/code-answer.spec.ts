import type { ExtractionInput } from '@slm/worker-runtime';
import { extractCodeAnswer, requestedLanguage } from './code-answer';
import { codePolicy } from './code.policy';

function input(answer: string, extra: Partial<ExtractionInput> = {}): ExtractionInput {
  return { answer, reasoning: '', finishReason: 'stop', problemText: 'Write a function that reverses a string.', metadata: {}, ...extra };
}

describe('requested language', () => {
  it.each([
    ['Write a function to reverse a list.', {}, 'python'],
    ['Implement quicksort in C++.', {}, 'cpp'],
    ['Using Rust, parse a CSV line.', {}, 'rust'],
    ['Write a Java class for a stack.', {}, 'java'],
    ['Write it in JavaScript please', {}, 'javascript'],
    ['Write a C program that prints hello', {}, 'c'],
    ['Go through the list and sum it', {}, 'python'],
    ['Solve this in Go.', {}, 'go'],
    ['Fix this:\n```ts\nconst x: number = "a";\n```', {}, 'typescript'],
    ['Answer in C++, not Python.', {}, 'cpp'],
    ['Reverse a string.', { language: 'C++' }, 'cpp'],
    ['Reverse a string in Java.', { language: 'kotlin' }, 'kotlin'],
    ['Reverse a string.', { language: 'klingon' }, 'python'],
  ])('%j with %j → %s', (problemText, metadata, expected) => {
    expect(requestedLanguage({ problemText, metadata })).toBe(expected);
  });

  it('fills the language into the official system prompt', () => {
    const prompt = codePolicy.systemPromptFor(codePolicy.systemPrompt, { problemText: 'Implement a heap in C++', metadata: {} });
    expect(prompt).toContain('Please use cpp programming language only.');
    expect(prompt).toContain('```cpp\n# Your code here\n```');
    expect(prompt).not.toContain('{language}');
    expect(codePolicy.systemPromptFor(codePolicy.systemPrompt, { problemText: 'Reverse a list', metadata: {} })).toContain('```python');
  });
});

describe('code answer extraction', () => {
  it('takes the last fenced block and its language from a realistic answer', () => {
    const answer = [
      'Here is a first attempt:',
      '```python',
      'def rev(s): return s[::-1]',
      '```',
      'A version with type hints:',
      '',
      '```python',
      'def reverse(s: str) -> str:',
      '    return s[::-1]',
      '```',
      '',
      'This runs in O(n).',
    ].join('\n');
    expect(extractCodeAnswer(input(answer))).toEqual({
      value: 'def reverse(s: str) -> str:\n    return s[::-1]',
      kind: 'code_block',
      language: 'python',
      missingReason: '',
    });
  });

  it('normalises the fence tag and falls back to the requested language for an untagged block', () => {
    expect(extractCodeAnswer(input('```c++\nint main() {}\n```')).language).toBe('cpp');
    expect(extractCodeAnswer(input('```\nint main() {}\n```', { problemText: 'Write it in C++' })).language).toBe('cpp');
    expect(extractCodeAnswer(input('~~~rust\nfn main() {}\n~~~')).value).toBe('fn main() {}');
  });

  it('keeps blank lines and inner backticks inside the block', () => {
    const code = 'def f():\n    s = "`x`"\n\n    return s';
    expect(extractCodeAnswer(input(`\`\`\`python\n${code}\n\`\`\``)).value).toBe(code);
  });

  it('ignores a block cut by the end of the output when an earlier one is complete', () => {
    const answer = '```python\nprint(1)\n```\nNow a faster version:\n```python\nimport sys\nfor line in sys.stdin:';
    expect(extractCodeAnswer(input(answer, { finishReason: 'length' })).value).toBe('print(1)');
  });

  it('says why when nothing can be extracted', () => {
    expect(extractCodeAnswer(input('```python\ndef f(', { finishReason: 'length' })).missingReason).toBe(
      'the last code block is never closed (output cut by max_new_tokens)',
    );
    expect(extractCodeAnswer(input('Use s[::-1] to reverse it.')).missingReason).toBe('no fenced code block in the output');
    expect(extractCodeAnswer(input('```python\n\n```')).missingReason).toBe('the last code block is empty');
    expect(extractCodeAnswer(input('', { reasoning: 'I will write', finishReason: 'length' })).missingReason).toBe(
      'no fenced code block in the output (output cut by max_new_tokens inside the reasoning)',
    );
  });
});
