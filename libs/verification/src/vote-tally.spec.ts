import { mathAnswerKey } from './math-equivalence';
import { VoteTally } from './vote-tally';

/** A tally fed `keys` in index order; `undefined` is a sample without an answer. */
function tallyOf(keys: Array<string | undefined>): VoteTally {
  const tally = new VoteTally();
  keys.forEach((key, index) => tally.add({ index, key, value: key ?? '' }));
  return tally;
}

describe('VoteTally', () => {
  it('elects the majority and reports its share of all finished samples', () => {
    const summary = tallyOf(['4', '5', '4', undefined, '4']).summary();
    expect(summary.winner).toEqual({ key: '4', value: '4', count: 3, firstIndex: 0 });
    expect(summary.voteShare).toBeCloseTo(3 / 5);
    expect(summary.answers).toEqual([
      { value: '4', key: '4', count: 3 },
      { value: '5', key: '5', count: 1 },
    ]);
    expect(summary.tie).toBe(false);
    expect(summary.noAnswer).toBe(1);
    expect(summary.samples).toBe(5);
  });

  it('merges equivalent spellings under their key and shows the first spelling', () => {
    const tally = new VoteTally();
    const spellings = ['\\frac{1}{2}', '1/3', '0.5', '50\\%', '\\frac13'];
    spellings.forEach((value, index) => tally.add({ index, key: mathAnswerKey(value), value }));
    const summary = tally.summary();
    expect(summary.winner).toMatchObject({ value: '\\frac{1}{2}', count: 3, firstIndex: 0 });
    expect(summary.answers.map((answer) => [answer.value, answer.count])).toEqual([
      ['\\frac{1}{2}', 3],
      ['1/3', 2],
    ]);
  });

  it('takes the spelling and tie-break of the lowest index, whatever order samples finish in', () => {
    const tally = new VoteTally();
    tally.add({ index: 3, key: 'b', value: 'B-late' });
    tally.add({ index: 2, key: 'a', value: 'A-late' });
    tally.add({ index: 0, key: 'a', value: 'A-first' });
    tally.add({ index: 1, key: 'b', value: 'B-first' });
    const summary = tally.summary();
    expect(summary.tie).toBe(true);
    expect(summary.winner).toEqual({ key: 'a', value: 'A-first', count: 2, firstIndex: 0 });
    expect(summary.voteShare).toBe(0.5);
    expect(summary.answers.map((answer) => answer.value)).toEqual(['A-first', 'B-first']);
  });

  it('has no winner when no sample has an answer', () => {
    const tally = tallyOf([undefined, '', undefined]);
    expect(tally.leader()).toBeUndefined();
    expect(tally.summary()).toEqual({ voteShare: 0, answers: [], tie: false, noAnswer: 3, samples: 3 });
    expect(new VoteTally().summary()).toEqual({ voteShare: 0, answers: [], tie: false, noAnswer: 0, samples: 0 });
  });

  it('lets a single answer win over many samples without one', () => {
    const summary = tallyOf([undefined, undefined, '7', undefined]).summary();
    expect(summary.winner?.key).toBe('7');
    expect(summary.voteShare).toBe(0.25);
    expect(summary.tie).toBe(false);
  });

  it('refuses to count one sample twice', () => {
    const tally = tallyOf(['1']);
    expect(() => tally.add({ index: 0, key: '2', value: '2' })).toThrow('already counted');
    expect(tally.summary().samples).toBe(1);
  });

  describe('early stop, k = 8', () => {
    it('stops at 5–0 after 5 samples: 3 remaining cannot reach 5', () => {
      expect(tallyOf(['a', 'a', 'a', 'a', 'a']).canBeOvertaken(3)).toBe(false);
    });

    it('goes on at 4–1 after 5 samples: 3 remaining could tie at 4–4', () => {
      expect(tallyOf(['a', 'b', 'a', 'a', 'a']).canBeOvertaken(3)).toBe(true);
    });

    it('stops at 5–1 after 6 samples: 2 remaining reach 3 at most', () => {
      expect(tallyOf(['a', 'b', 'a', 'a', 'a', 'a']).canBeOvertaken(2)).toBe(false);
    });

    it('goes on at 4–0 after 4 samples: a new answer could still tie at 4–4', () => {
      expect(tallyOf(['a', 'a', 'a', 'a']).canBeOvertaken(4)).toBe(true);
    });

    it('stops at 4–0 with one no-answer after 5 samples', () => {
      expect(tallyOf(['a', undefined, 'a', 'a', 'a']).canBeOvertaken(3)).toBe(false);
    });

    it('goes on while no sample has an answer, and stops when none remain', () => {
      expect(tallyOf([undefined, undefined]).canBeOvertaken(6)).toBe(true);
      expect(tallyOf(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']).canBeOvertaken(0)).toBe(false);
    });

    it('compares the leader with the runner-up, not with the sum of the others', () => {
      // 4–1–1 with 2 left: b reaches 3 at most.
      expect(tallyOf(['a', 'b', 'c', 'a', 'a', 'a']).canBeOvertaken(2)).toBe(false);
      // 3–2–1 with 2 left: b could reach 4.
      expect(tallyOf(['a', 'b', 'c', 'a', 'b', 'a']).canBeOvertaken(2)).toBe(true);
    });

    it('rejects a negative or fractional remainder', () => {
      expect(() => new VoteTally().canBeOvertaken(-1)).toThrow(RangeError);
      expect(() => new VoteTally().canBeOvertaken(1.5)).toThrow(RangeError);
    });
  });

  it('returns a copy from leader(), so callers cannot edit the count', () => {
    const tally = tallyOf(['a', 'a']);
    const leader = tally.leader();
    if (leader) leader.count = 99;
    expect(tally.leader()?.count).toBe(2);
  });
});
