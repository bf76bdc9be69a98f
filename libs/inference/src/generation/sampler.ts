import { SeededRandom } from '../seeded-random';
import { softmax } from './logits-processors';

/** Picks the next token from processed logits: argmax when greedy, else a seeded multinomial draw. */
export class Sampler {
  private readonly random: SeededRandom;

  constructor(
    private readonly greedy: boolean,
    seed: number,
  ) {
    this.random = new SeededRandom(seed);
  }

  sample(logits: Float32Array): number {
    if (this.greedy) return argmax(logits);
    const probs = softmax(logits);
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
