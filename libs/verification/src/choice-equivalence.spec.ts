import { choiceAnswerKey } from './choice-equivalence';

describe('choiceAnswerKey', () => {
  it.each([
    '(B)',
    'B.',
    'b)',
    'B',
    'Option B',
    'option b',
    'answer: B',
    'Answer: (b)',
    'The answer is (B).',
    'the correct option is B',
    '\\boxed{B}',
    '**B**',
    '\\text{(B)}',
    ' B ',
  ])('reads %j as option B', (spelling) => {
    expect(choiceAnswerKey(spelling)).toBe('B');
  });

  it('keeps options apart and reads only A–J as letters', () => {
    expect(choiceAnswerKey('(C)')).toBe('C');
    expect(choiceAnswerKey('(C)')).not.toBe(choiceAnswerKey('(D)'));
    expect(choiceAnswerKey('K')).toBe('k');
  });

  it('normalises free text: case, whitespace, trailing period', () => {
    expect(choiceAnswerKey('  Carbon   Dioxide. ')).toBe('carbon dioxide');
    expect(choiceAnswerKey('carbon dioxide')).toBe(choiceAnswerKey('Carbon dioxide.'));
    expect(choiceAnswerKey('carbon dioxide')).not.toBe(choiceAnswerKey('carbon monoxide'));
    // A sentence that starts with a letter-word is text, not option A.
    expect(choiceAnswerKey('A cat')).toBe('a cat');
  });

  it.each([
    ['9.8 m/s^2', '9.8'],
    ['9.80', '9.8'],
    ['3 \\times 10^{8} m/s', '3e8'],
    ['3×10^8', '300000000'],
    ['-1.60e-19 C', '-1.6 \\times 10^{-19}'],
    ['−4.5 J', '-4.5'],
    ['50%', '50'],
    ['6.022e23 mol^-1', '6.022 × 10^23'],
  ])('reads the number of %j and %j alike, unit dropped', (a, b) => {
    expect(choiceAnswerKey(a)).toBe(choiceAnswerKey(b));
  });

  it('keeps different numbers, and numbers followed by more than a unit, apart', () => {
    expect(choiceAnswerKey('9.8 m/s^2')).not.toBe(choiceAnswerKey('9.9 m/s^2'));
    expect(choiceAnswerKey('5 and 6')).toBe('5 and 6');
    expect(choiceAnswerKey('5 and 6')).not.toBe(choiceAnswerKey('5'));
  });

  it.each(['', '((((', '\\boxed{', '$$', '.', 'x'.repeat(10_000)])('never throws on %#', (garbage) => {
    expect(typeof choiceAnswerKey(garbage)).toBe('string');
  });
});
