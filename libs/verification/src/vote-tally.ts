/** One finished sample: its position among the k samples, its answer key and the answer as written. */
export interface VoteSample {
  /** The sample's index among the k samples of the problem (0-based); each index is added once. */
  index: number;
  /** The answer's canonical key; `undefined` (or `''`) when the sample has no extractable answer. */
  key: string | undefined;
  /** The answer as extracted, shown to users as the spelling of its key. */
  value: string;
}

/** An answer and its votes. */
export interface VotedAnswer {
  key: string;
  /** The spelling of the lowest-index sample that gave this key. */
  value: string;
  count: number;
  /** The lowest sample index that gave this key. */
  firstIndex: number;
}

export interface VoteSummary {
  /** The answer with the most votes, the lowest `firstIndex` among tied ones; none when no sample has an answer. */
  winner?: VotedAnswer;
  /** Winner's votes ÷ samples finished (no-answer samples included); 0 without a winner. */
  voteShare: number;
  /** Every answer, most votes first, then by lowest `firstIndex`. */
  answers: Array<{ value: string; key: string; count: number }>;
  /** Whether two or more answers share the top count: the winner then won only on the tie-break. */
  tie: boolean;
  /** Samples that finished without an extractable answer. */
  noAnswer: number;
  /** Samples that finished. */
  samples: number;
}

/**
 * Counts the answers of k samples as they finish, merging equal keys, and tells when the vote is
 * decided so the remaining samples can be cancelled.
 *
 * Ties break on the lowest sample index, not on which sample finished first, so the outcome of a
 * seeded run does not depend on scheduling. Samples without an answer count towards `samples`
 * (and so lower the vote share) but never win.
 */
export class VoteTally {
  private readonly answers = new Map<string, VotedAnswer>();
  private readonly indices = new Set<number>();
  private noAnswer = 0;

  /** Records a finished sample. Throws when the same index is added twice: it would vote twice. */
  add(sample: VoteSample): void {
    if (this.indices.has(sample.index)) throw new Error(`sample ${sample.index} was already counted`);
    this.indices.add(sample.index);
    if (sample.key === undefined || sample.key === '') {
      this.noAnswer++;
      return;
    }
    const answer = this.answers.get(sample.key);
    if (!answer) {
      this.answers.set(sample.key, { key: sample.key, value: sample.value, count: 1, firstIndex: sample.index });
      return;
    }
    answer.count++;
    if (sample.index < answer.firstIndex) {
      answer.firstIndex = sample.index;
      answer.value = sample.value;
    }
  }

  /** The answer currently winning, or `undefined` while no sample has an answer. */
  leader(): VotedAnswer | undefined {
    const first = this.ranked()[0];
    return first && { ...first };
  }

  /**
   * Whether the samples still to come could change the winner — stop sampling when this is false.
   * Reaching a tie counts as a change: a tied vote is reported as a tie, and its tie-break depends
   * on the indices of samples not yet finished. So the vote is decided only when
   * leader > runner-up + remaining (a new answer counts as a runner-up with 0 votes); with nothing
   * remaining it is always decided.
   */
  canBeOvertaken(remainingSamples: number): boolean {
    if (!Number.isInteger(remainingSamples) || remainingSamples < 0)
      throw new RangeError(`remainingSamples must be a non-negative integer, got ${remainingSamples}`);
    if (remainingSamples === 0) return false;
    const [leader, runnerUp] = this.ranked();
    if (!leader) return true;
    return leader.count <= (runnerUp?.count ?? 0) + remainingSamples;
  }

  summary(): VoteSummary {
    const ranked = this.ranked();
    const samples = this.indices.size;
    const leader = ranked[0];
    return {
      ...(leader && { winner: { ...leader } }),
      voteShare: leader ? leader.count / samples : 0,
      answers: ranked.map(({ value, key, count }) => ({ value, key, count })),
      tie: ranked.length >= 2 && ranked[1]?.count === leader?.count,
      noAnswer: this.noAnswer,
      samples,
    };
  }

  private ranked(): VotedAnswer[] {
    return [...this.answers.values()].sort((a, b) => b.count - a.count || a.firstIndex - b.firstIndex);
  }
}
