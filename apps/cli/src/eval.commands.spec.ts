import type { Result } from '@slm/contracts';
import { goldAnswer, parseProblemLine, scoreMathEval, type EvalError, type EvalOutcome } from './eval.commands';

/** A router Result of k samples: `answers` as the vote returned them, the first one returned. */
function voted(answers: Array<[string, number]>, samples: number, extra: Partial<Result> = {}): Result {
  const returned = answers[0]?.[0] ?? '';
  return {
    extracted: { value: returned, kind: returned ? 'boxed' : '' },
    verification: {
      method: 'self-consistency',
      samples,
      samplesRequested: samples,
      voteShare: answers[0] ? answers[0][1] / samples : 0,
      answers: answers.map(([value, count]) => ({ value, count, passed: 0 })),
      noAnswer: samples - answers.reduce((sum, [, count]) => sum + count, 0),
    },
    ...extra,
  };
}

describe('slm eval math: reading the data', () => {
  it("takes a GSM8K answer's value after ####, else the whole answer", () => {
    expect(goldAnswer('Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72')).toBe('72');
    expect(goldAnswer('\\frac{1}{2}')).toBe('\\frac{1}{2}');
  });

  it('reads problem or question, and a string or number answer; names what is wrong with a bad line', () => {
    expect(parseProblemLine('{"question": "2+2?", "answer": "so #### 4"}', 3)).toEqual({ line: 3, problem: '2+2?', gold: '4' });
    expect(parseProblemLine('{"problem": "1/2?", "answer": 0.5}', 1)).toEqual({ line: 1, problem: '1/2?', gold: '0.5' });
    expect(parseProblemLine('{"problem": "x"', 2)).toBe('not JSON');
    expect(parseProblemLine('[1]', 2)).toBe('not a JSON object');
    expect(parseProblemLine('{"answer": "1"}', 2)).toMatch(/"problem"/);
    expect(parseProblemLine('{"problem": "x", "answer": "####  "}', 2)).toMatch(/"answer"/);
  });
});

describe('slm eval math: scoring', () => {
  const refused: EvalError = { line: 4, status: 503, code: 'UNAVAILABLE', message: 'no math worker' };
  const outcomes: EvalOutcome[] = [
    // 3 of 4 samples right, spelled 1/2 while the gold is 0.5: pass@1 0.75, majority right.
    {
      line: 1,
      gold: '0.5',
      result: voted(
        [
          ['1/2', 3],
          ['2', 1],
        ],
        4,
        { syntheticWeights: true },
      ),
    },
    // The vote picked a wrong answer; 1 of 4 samples was right (x=3 is 3).
    {
      line: 2,
      gold: goldAnswer('3 apples. #### 3'),
      result: voted(
        [
          ['7', 2],
          ['x=3', 1],
        ],
        4,
      ),
    },
    // No sample had an answer.
    { line: 3, gold: '9', result: voted([], 4) },
    // The router refused it.
    { line: 4, gold: '1', error: refused },
  ];

  it('estimates pass@1 from the samples and majority@k from the returned answer, errors apart', () => {
    const report = scoreMathEval(outcomes, 4, [{ line: 5, reason: 'not JSON' }]);
    expect(report).toMatchObject({ samples: 4, problems: 4, scored: 3, noAnswer: 1, syntheticWeights: true });
    expect(report.passAt1).toBeCloseTo((0.75 + 0.25 + 0) / 3, 3);
    expect(report.majorityAtK).toBeCloseTo(1 / 3, 3);
    expect(report.meanVoteShare).toBeCloseTo((0.75 + 0.5 + 0) / 3, 3);
    expect(report.errors).toEqual({ count: 1, byCode: { 'HTTP 503 UNAVAILABLE': 1 }, problems: [refused] });
    expect(report.skippedLines).toEqual([{ line: 5, reason: 'not JSON' }]);
  });

  it('scores one sample without a vote by whether its answer is right', () => {
    const single: EvalOutcome[] = [
      { line: 1, gold: '\\frac{1}{2}', result: { extracted: { value: '0.5' }, syntheticWeights: false } },
      { line: 2, gold: '2', result: { extracted: { value: '' } } },
      { line: 3, gold: '2', error: { line: 3, status: 0, code: 'UNREACHABLE', message: 'ECONNREFUSED' } },
    ];
    const report = scoreMathEval(single, 1);
    expect(report).toMatchObject({ scored: 2, passAt1: 0.5, majorityAtK: 0.5, noAnswer: 1, meanVoteShare: null, syntheticWeights: false });
    expect(report.errors.byCode).toEqual({ UNREACHABLE: 1 });
  });

  it('has no accuracy when nothing was scored', () => {
    expect(scoreMathEval([outcomes[3]!], 4)).toMatchObject({ scored: 0, passAt1: null, majorityAtK: null });
  });
});
