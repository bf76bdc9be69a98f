import { SeededRandom } from '../seeded-random';
import { softmaxInto } from './logits-processors';

/** Picks the next token from processed logits: argmax when greedy, else a seeded multinomial draw. */
export class Sampler {
  private readonly random: SeededRandom;
  /** The probabilities of the last draw: one buffer for every token, not a megabyte of garbage each. */
  private probs = new Float64Array(0);

  constructor(
    private readonly greedy: boolean,
    seed: number,
  ) {
    this.random = new SeededRandom(seed);
  }

  sample(logits: Float32Array): number {
    if (this.greedy) return argmax(logits);
    if (this.probs.length !== logits.length) this.probs = new Float64Array(logits.length);
    const probs = this.probs;
    softmaxInto(logits, probs);
    const r = this.random.next();
    let cumulative = 0;
    let last = 0;
    for (let i = 0; i < probs.length; i++) {
      if (probs[i] === 0) continue;
      cumulative += probs[i];
      last = i;
      if (r < cumulative) return i;
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
