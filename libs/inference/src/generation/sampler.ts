import { SeededRandom } from '../seeded-random';
import { exponentiate } from './logits-processors';

/** Picks the next token from processed logits: argmax when greedy, else a seeded multinomial draw. */
export class Sampler {
  private readonly random: SeededRandom;
  /** The unnormalised probabilities of the last draw: one buffer for every token, not a megabyte of garbage each. */
  private weights = new Float64Array(0);

  constructor(
    private readonly greedy: boolean,
    seed: number,
  ) {
    this.random = new SeededRandom(seed);
  }

  sample(logits: Float32Array): number {
    if (this.greedy) return argmax(logits);
    if (this.weights.length !== logits.length) this.weights = new Float64Array(logits.length);
    const weights = this.weights;
    // After top-p or top-k only a few tokens are left: their exps alone, not the vocabulary's.
    let max = -Infinity;
    let left = 0;
    for (let i = 0; i < logits.length; i++) {
      if (logits[i] === -Infinity) continue;
      left++;
      if (logits[i] > max) max = logits[i];
    }
    let sum = 0;
    if (left * 8 < logits.length) {
      for (let i = 0; i < logits.length; i++) {
        const weight = logits[i] === -Infinity ? 0 : Math.exp(logits[i] - max);
        weights[i] = weight;
        sum += weight;
      }
    } else {
      sum = exponentiate(logits, weights).sum;
    }
    // A draw from the distribution: the first token whose cumulative weight passes r · sum.
    const target = this.random.next() * sum;
    let cumulative = 0;
    let last = 0;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] === 0) continue;
      cumulative += weights[i];
      last = i;
      if (target < cumulative) return i;
    }
    return last;
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
