import { SeededRandom } from '../seeded-random';
import { exponentiate } from './logits-processors';

/** Picks the next token from processed logits: argmax when greedy, else a seeded multinomial draw. */
export class Sampler {
  private readonly random: SeededRandom;
  /** The tokens left by the processors and their unnormalised probabilities: buffers reused every token. */
  private left = new Int32Array(0);
  private weights = new Float64Array(0);

  constructor(
    private readonly greedy: boolean,
    seed: number,
  ) {
    this.random = new SeededRandom(seed);
  }

  sample(logits: Float32Array): number {
    if (this.greedy) return argmax(logits);
    const length = logits.length;
    if (this.left.length !== length) {
      this.left = new Int32Array(length);
      this.weights = new Float64Array(length);
    }
    const { left, weights } = this;
    // One pass over the vocabulary: the tokens the processors left (top-p and top-k leave a few), and the largest.
    let count = 0;
    let max = -Infinity;
    for (let i = 0; i < length; i++) {
      const logit = logits[i];
      if (logit === -Infinity) continue;
      left[count++] = i;
      if (logit > max) max = logit;
    }
    let sum = 0;
    if (count * 8 < length) {
      for (let c = 0; c < count; c++) sum += weights[c] = Math.exp(logits[left[c]] - max);
    } else {
      // Most tokens left (temperature alone): the exponentials of the whole vocabulary, vectorised.
      sum = exponentiate(logits, weights).sum;
      for (let c = 0; c < count; c++) weights[c] = weights[left[c]];
    }
    // A draw from the distribution: the first token (in token order) whose cumulative weight passes r · sum.
    const target = this.random.next() * sum;
    let cumulative = 0;
    let lastLikely = 0;
    for (let c = 0; c < count; c++) {
      if (weights[c] === 0) continue;
      cumulative += weights[c];
      lastLikely = left[c];
      if (target < cumulative) return lastLikely;
    }
    // Rounding left the cumulative sum a hair under the target: the last token that had any chance.
    return lastLikely;
  }
}

/** Index of the largest value (the first one on ties, like torch.argmax). */
export function argmax(values: Float32Array): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] > bestValue) {
      bestValue = values[i];
      best = i;
    }
  }
  return best;
}
