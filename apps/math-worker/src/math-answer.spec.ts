import type { ExtractionInput } from '@slm/worker-runtime';
import { extractMathAnswer, normaliseMathAnswer } from './math-answer';
import { mathPolicy } from './math.policy';

function input(answer: string, extra: Partial<ExtractionInput> = {}): ExtractionInput {
  return { answer, reasoning: '', finishReason: 'stop', problemText: 'Solve it.', metadata: {}, ...extra };
}

describe('math answer extraction', () => {
  it('takes the last \\boxed{} of a realistic MobileLLM-R1 answer', () => {
    const answer = [
      'We have $x^2 - 5x + 6 = 0$, so $(x-2)(x-3)=0$.',
      'A first guess was \\boxed{2}, but the question asks for the sum of the roots.',
      'Therefore the sum is $2 + 3 = 5$.',
      '',
      '**Final Answer**',
      '\\[',
      '\\boxed{5}',
      '\\]',
    ].join('\n');
    expect(extractMathAnswer(input(answer))).toEqual({ value: '5', kind: 'boxed', language: '', missingReason: '' });
  });

  it('keeps nested braces whole', () => {
    expect(extractMathAnswer(input('So $\\boxed{\\frac{\\sqrt{3}}{2}}$.')).value).toBe('\\frac{\\sqrt{3}}{2}');
    expect(extractMathAnswer(input('\\boxed{\\{1, 2\\}}')).value).toBe('\\{1,2\\}');
  });

  it('normalises spacing, \\left/\\right, \\dfrac and a trailing period', () => {
    expect(extractMathAnswer(input('\\boxed{ \\left( \\dfrac{1}{2}, 3 \\right). }')).value).toBe('(\\frac{1}{2},3)');
    expect(normaliseMathAnswer('\\tfrac{a}{b}')).toBe('\\frac{a}{b}');
    expect(normaliseMathAnswer('$12\\,\\text{cm}$')).toBe('12cm');
    expect(normaliseMathAnswer('2 \\pi r')).toBe('2\\pi r');
    expect(normaliseMathAnswer('\\displaystyle x = 4,')).toBe('x=4');
    expect(normaliseMathAnswer('\\left\\{ 1 \\right\\}')).toBe('\\{1\\}');
  });

  it('accepts \\boxed without braces and \\fbox', () => {
    expect(extractMathAnswer(input('The answer is \\boxed 7.')).value).toBe('7');
    expect(extractMathAnswer(input('\\fbox{42}')).value).toBe('42');
  });

  it('skips a box cut by the end of the output and uses the previous complete one', () => {
    const answer = 'First \\boxed{12}. Checking again, the answer is \\boxed{\\frac{1';
    expect(extractMathAnswer(input(answer, { finishReason: 'length' })).value).toBe('12');
  });

  it('says why when the only box is never closed', () => {
    const result = extractMathAnswer(input('so it is \\boxed{\\frac{3}{', { finishReason: 'length' }));
    expect(result.value).toBe('');
    expect(result.missingReason).toBe('the last \\boxed{ is never closed (output cut by max_new_tokens)');
  });

  it('says the output was cut inside the reasoning when there is no answer part', () => {
    const result = extractMathAnswer(input('', { reasoning: 'Let me think about 17 * 23 ...', finishReason: 'length' }));
    expect(result).toEqual({
      value: '',
      kind: '',
      language: '',
      missingReason: 'no \\boxed{} answer in the output (output cut by max_new_tokens inside the reasoning)',
    });
  });

  it('reports a missing or empty box', () => {
    expect(extractMathAnswer(input('The answer is 5.')).missingReason).toBe('no \\boxed{} answer in the output');
    expect(extractMathAnswer(input('\\boxed{ }')).missingReason).toBe('the \\boxed{} answer is empty');
    expect(extractMathAnswer(input('\\boxed{}', { finishReason: 'cancelled' })).missingReason).toBe(
      'the \\boxed{} answer is empty (generation cancelled)',
    );
  });

  it('uses the official prompt and sampling', () => {
    expect(mathPolicy.systemPromptFor(mathPolicy.systemPrompt, { problemText: 'x', metadata: {} })).toBe(
      'Please reason step by step, and put your final answer within \\boxed{}.',
    );
    expect([mathPolicy.temperature, mathPolicy.topP]).toEqual([0.6, 0.95]);
    expect(mathPolicy.defaultModelId).toBe('onnx-community/MobileLLM-R1-950M-ONNX');
  });
});
