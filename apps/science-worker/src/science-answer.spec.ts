import type { ExtractionInput } from '@slm/worker-runtime';
import { extractScienceAnswer, offeredOptions } from './science-answer';
import { sciencePolicy } from './science.policy';

const MCQ = ['Which particle mediates the electromagnetic force?', 'A) gluon', 'B) photon', 'C) W boson', 'D) graviton'].join('\n');

function input(answer: string, extra: Partial<ExtractionInput> = {}): ExtractionInput {
  return { answer, reasoning: '', finishReason: 'stop', problemText: MCQ, metadata: {}, ...extra };
}

describe('offered options', () => {
  it('reads option lines in the usual spellings', () => {
    expect(offeredOptions(MCQ, {})).toBe('ABCD');
    expect(offeredOptions('Q?\n(A) x\n(B) y\n(C) z', {})).toBe('ABC');
    expect(offeredOptions('Q?\nA. x\nB. y', {})).toBe('AB');
    expect(offeredOptions('What is the boiling point of water at sea level?', {})).toBe('');
    expect(offeredOptions('A. only one option', {})).toBe('');
  });

  it('takes metadata choices first', () => {
    expect(offeredOptions('no options in text', { choices: '10' })).toBe('ABCDEFGHIJ');
    expect(offeredOptions('no options in text', { choices: 'abc' })).toBe('ABC');
  });
});

describe('science answer extraction', () => {
  it('finds the option letter in the usual closing sentences', () => {
    expect(extractScienceAnswer(input('Photons carry the EM force.\n\nThe answer is (B).'))).toEqual({
      value: 'B',
      kind: 'option_letter',
      language: '',
      missingReason: '',
    });
    expect(extractScienceAnswer(input('So the answer is B')).value).toBe('B');
    expect(extractScienceAnswer(input('Answer: **B**')).value).toBe('B');
    expect(extractScienceAnswer(input('Therefore $\\boxed{B}$')).value).toBe('B');
    expect(extractScienceAnswer(input('Reasoning...\n\n(B)')).value).toBe('B');
  });

  it('takes the last statement when the model revises itself', () => {
    expect(
      extractScienceAnswer(input('At first the answer is (A). Wait, gluons carry the strong force, so the answer is (B).')).value,
    ).toBe('B');
  });

  it('rejects a letter the question does not offer', () => {
    expect(extractScienceAnswer(input('The answer is (F).')).missingReason).toBe(
      'the output chose option F, which the question does not offer (ABCD)',
    );
  });

  it('says why when no letter was chosen, naming a cut output', () => {
    expect(extractScienceAnswer(input('Photons and gluons are both gauge bosons, and')).missingReason).toBe(
      'no option letter (A–D) chosen in the output',
    );
    expect(extractScienceAnswer(input('', { reasoning: 'The EM force...', finishReason: 'length' })).missingReason).toBe(
      'the output has no answer part (output cut by max_new_tokens inside the reasoning)',
    );
  });

  it('extracts a short answer for an open question', () => {
    const open = { problemText: 'What is the chemical symbol of sodium?' };
    expect(extractScienceAnswer(input('Sodium comes from Latin natrium.\n\nFinal answer: Na.', open))).toEqual({
      value: 'Na',
      kind: 'short_answer',
      language: '',
      missingReason: '',
    });
    expect(extractScienceAnswer(input('Thus the answer is $9.8\\ \\text{m/s}^2$.', { problemText: 'g?' })).value).toBe('9.8\\ m/s^2');
    expect(extractScienceAnswer(input('We get \\boxed{6.02 \\times 10^{23}}', open)).value).toBe('6.02 \\times 10^{23}');
    expect(extractScienceAnswer(input('Sodium comes from natrium.\nNa', open)).value).toBe('Na');
  });

  it('reports a missing short answer when the output ends in a long paragraph', () => {
    const paragraph = 'Sodium is an alkali metal '.repeat(10);
    expect(extractScienceAnswer(input(paragraph, { problemText: 'Describe sodium.' })).missingReason).toBe(
      'no short final answer in the output',
    );
  });

  it('asks for a closing sentence the extractor reads', () => {
    expect(sciencePolicy.systemPrompt).toContain('The answer is (X)');
    expect(sciencePolicy.systemPrompt).toContain('Final answer: ');
    expect(sciencePolicy.defaultModelId).toBe('onnx-community/MobileLLM-R1-360M-ONNX');
  });
});
