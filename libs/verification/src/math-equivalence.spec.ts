import fc from 'fast-check';
import { mathAnswerKey } from './math-equivalence';

/** Every spelling in a group gets one key, and that key is the group's alone. */
const EQUIVALENT: string[][] = [
  ['1/2', '0.5', '\\frac{1}{2}', '\\dfrac12', '\\frac12', '.5', '50\\%', '$\\tfrac{1}{2}$', '\\left(\\frac{1}{2}\\right)'],
  ['3', 'x=3', 'x = 3', '3.0', '\\boxed{3}', '3.'],
  ['-0.75', '-\\frac{3}{4}', '-\\frac34', '\\frac{-3}{4}'],
  ['\\sqrt{2}/2', '\\frac{\\sqrt{2}}{2}', '\\frac{1}{\\sqrt2}', '0.70710678118'],
  ['1024', '2^{10}', '1,024', '1{,}024', '2^{5}\\cdot 2^5'],
  ['1000', '1,000', '10^3', '1\\,000'],
  ['12', '3\\cdot 4', '3\\times4', '3 \\times 4', '2\\sqrt{36}'],
  ['\\{1,2\\}', '\\{2,1\\}', '1, 2', '2,1', 'x=1, x=2', '\\{1, 2, 2\\}'],
  ['(1,2)', '\\left(1, 2\\right)', '(\\frac22, 2.0)'],
  ['2x+1', '1+2x', 'x+x+1', '2 \\cdot x + 1'],
  ['(x+1)^2', 'x^2+2x+1', '(1+x)(x+1)'],
  ['\\pi', '\\frac{2\\pi}{2}', 'π'],
  ['\\text{east}', 'east', 'East', ' EAST '],
  ['yes', 'Yes', '\\text{yes}'],
  ['(-\\infty, 3]', '(-\\infty,3]'],
  ['2i', '\\sqrt{-4}', 'i+i'],
  ['\\sqrt[3]{8}', '2', '|-2|', '\\frac{4}{2}'],
  ['30^\\circ', '30^{\\circ}', '30'],
  ['\\emptyset', '\\varnothing', '\\{\\}'],
];

describe('mathAnswerKey', () => {
  it.each(EQUIVALENT)('gives one key to every spelling of %j', (...spellings) => {
    const keys = new Set(spellings.map(mathAnswerKey));
    expect([...keys]).toHaveLength(1);
  });

  it('gives each group its own key', () => {
    const keys = EQUIVALENT.map((group) => mathAnswerKey(group[0] ?? ''));
    // `\sqrt[3]{8}` and `3` groups differ, `1024` and `1000` differ, and so on: no two groups merge.
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each([
    ['1/2', '1/3'],
    ['x=3', '3x'],
    ['\\{1,2\\}', '\\{1,3\\}'],
    ['(1,2)', '(2,1)'],
    ['(1,2)', '[1,2]'],
    ['(1,2)', '\\{1,2\\}'],
    ['2x+1', '2y+1'],
    ['2x+1', '2x-1'],
    ['x=1, y=2', 'x=2, y=1'],
    ['50\\%', '50'],
    ['1,000', '1, 0'],
    ['\\sqrt{2}', '1.414'],
    ['east', 'west'],
    ['0.5', '0.5000001'],
  ])('keeps %j and %j apart', (a, b) => {
    expect(mathAnswerKey(a)).not.toBe(mathAnswerKey(b));
  });

  it('is stable against floating error but not against a real difference', () => {
    expect(mathAnswerKey('0.1+0.2')).toBe(mathAnswerKey('0.3'));
    expect(mathAnswerKey('1/3')).toBe(mathAnswerKey('0.33333333333'));
    expect(mathAnswerKey('1/3')).not.toBe(mathAnswerKey('0.3333'));
  });

  it('reads a bare list with groups of three digits as one number, and any other comma as a list', () => {
    expect(mathAnswerKey('1,000,000')).toBe(mathAnswerKey('10^6'));
    expect(mathAnswerKey('1,23')).toBe(mathAnswerKey('23, 1'));
  });

  it('keys a single element set as the element and keeps names of a system of equations', () => {
    expect(mathAnswerKey('\\{3\\}')).toBe(mathAnswerKey('3'));
    expect(mathAnswerKey('x=1, y=2')).toBe(mathAnswerKey('y=2, x=1'));
  });

  it('falls back to the cleaned spelling for what it cannot read', () => {
    expect(mathAnswerKey('\\frac{1}{2')).toBe('\\frac{1}{2');
    expect(mathAnswerKey('  \\mathcal{O}(n)  ')).toBe('\\mathcal{O}(n)');
    expect(mathAnswerKey('x < 3')).toBe('x < 3');
    expect(mathAnswerKey('')).toBe('');
  });

  it.each([
    '\\frac',
    '}{',
    '\\sqrt[',
    '{{{{',
    '}}}}',
    '\\left(',
    '^^^',
    '\\frac{}{}',
    '||',
    '\\{1,2',
    '1,2\\}',
    '((1,2)',
    '=',
    'x==3',
    '\\\\',
    '%',
    '!',
    '\\sqrt[3]',
    '0/0',
    '\\log(-1)',
    '\\frac{1}{0}',
  ])('never throws on the fragment %j', (fragment) => {
    expect(typeof mathAnswerKey(fragment)).toBe('string');
  });

  it('never throws on random LaTeX-ish text', () => {
    const alphabet = fc.constantFrom(
      '\\frac',
      '\\sqrt',
      '{',
      '}',
      '[',
      ']',
      '(',
      ')',
      '\\{',
      '\\}',
      '^',
      '_',
      '=',
      ',',
      '1',
      '2',
      'x',
      '.',
      '-',
      '\\pi',
      '|',
      '%',
      '\\text{',
      ' ',
      '\\left',
      '!',
      '\\cdot',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (parts) => {
        expect(typeof mathAnswerKey(parts.join(''))).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });

  it('keys a 10,000-character answer by its text, without parsing it', () => {
    const long = `${'\\frac{1}{2}+'.repeat(834)}1`;
    expect(long.length).toBeGreaterThan(10_000);
    // The key is the text itself: the parser never saw it (its cost is bounded by the length cap).
    expect(mathAnswerKey(long)).toBe(long);
    const nested = `${'{'.repeat(5000)}1${'}'.repeat(5000)}`;
    expect(mathAnswerKey(nested)).toBe(nested);
  });

  it.each([
    ['10,000 spaces', ' '.repeat(10_000)],
    ['digits and thin spaces', '1\\,'.repeat(3_400)],
    ['unclosed \\text', '\\text{'.repeat(1_700)],
    ['nested braces under the cap', `${'{'.repeat(99)}1${'}'.repeat(99)}`],
    ['nested \\sqrt under the cap', `${'\\sqrt{'.repeat(16)}2${'}'.repeat(16)}`],
    ['a huge power', '9^{9^{9^{9}}}'],
    ['a huge factorial', '((3!)!)!'],
  ])('keys %s (bounded input: a pathological case would hit the test timeout, not a wall-clock assertion)', (_name, input) => {
    expect(typeof mathAnswerKey(input)).toBe('string');
  });
});
