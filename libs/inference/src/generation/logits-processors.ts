import { simdExponentiate } from './wasm/exp-kernel';

/**
 * Logits processors: each rewrites the next-token logits in place (filtered tokens become -Infinity).
 * They compose in a list, like transformers.js's LogitsProcessorList, so a policy can add its own.
 */
export interface LogitsProcessor {
  /** `sequence` is the prompt plus every generated token so far. */
  process(logits: Float32Array, sequence: readonly number[]): void;
}

/** CTRL-style repetition penalty: positive logits of seen tokens are divided by `penalty`, negative ones multiplied. */
export function repetitionPenalty(penalty: number): LogitsProcessor {
  return {
    process(logits, sequence) {
      for (const id of new Set(sequence)) {
        if (id < 0 || id >= logits.length) continue;
        const value = logits[id];
        logits[id] = value > 0 ? value / penalty : value * penalty;
      }
    },
  };
}

/** Forbids the EOS tokens until `min` tokens have been generated after a prompt of `promptLength` tokens. */
export function minNewTokens(eosTokenIds: readonly number[], min: number, promptLength: number): LogitsProcessor {
  return {
    process(logits, sequence) {
      if (sequence.length - promptLength >= min) return;
      for (const id of eosTokenIds) if (id >= 0 && id < logits.length) logits[id] = -Infinity;
    },
  };
}

export function temperatureScaling(temperature: number): LogitsProcessor {
  return {
    process(logits) {
      for (let i = 0; i < logits.length; i++) logits[i] /= temperature;
    },
  };
}

/** Keeps the `k` highest logits (ties at the k-th value are kept too). */
export function topK(k: number): LogitsProcessor {
  return {
    process(logits) {
      if (k >= logits.length) return;
      const threshold = kthLargest(logits, k);
      for (let i = 0; i < logits.length; i++) if (logits[i] < threshold) logits[i] = -Infinity;
    },
  };
}

/** Logit ranges per nat that the nucleus filter first sorts tokens into (each a factor e^0.25 of probability). */
const NUCLEUS_BINS_PER_NAT = 4;
/** Ranges counted below the largest logit; a token further down than 256 nats has a probability under 1e-111. */
const NUCLEUS_BINS = 1024;

/**
 * Nucleus filter: keeps the smallest set of most likely tokens whose probability reaches `p` (sorted by
 * probability, ties in token order). Tokens with probability below (1-p)/(2·vocab) together hold less
 * than (1-p)/2, so they can never be in the nucleus. The rest are counted into ranges of logit below
 * the largest as their probabilities are computed: the mass of the top ranges says how far down the
 * nucleus can reach, and only the probabilities that far up are sorted (as a typed array, natively).
 * Sorting every candidate's index with a comparator cost tens of ms a token on a 128k vocabulary
 * whenever the distribution was flat; the kept set is the same.
 */
export function topP(p: number): LogitsProcessor {
  let buffers = { weights: new Float64Array(0), candidates: new Int32Array(0), chosen: new Float64Array(0) };
  const binMass = new Float64Array(NUCLEUS_BINS);
  const binLeast = new Float64Array(NUCLEUS_BINS);
  return {
    process(logits) {
      if (p >= 1) return;
      const length = logits.length;
      if (buffers.weights.length !== length)
        buffers = { weights: new Float64Array(length), candidates: new Int32Array(length), chosen: new Float64Array(length) };
      // Locals, not the closure's variables: the loops below run over the whole vocabulary.
      const { weights, candidates, chosen } = buffers;
      // Unnormalised probabilities (exp(logit − largest)): every comparison below is scaled by their sum instead.
      const { max, sum } = exponentiate(logits, weights);
      const floor = ((1 - p) / (2 * length)) * sum;
      const target = p * sum;
      binMass.fill(0);
      binLeast.fill(Infinity);
      // One pass over the vocabulary: the candidates (in token order) and their ranges' mass.
      let candidateCount = 0;
      for (let i = 0; i < length; i++) {
        const weight = weights[i];
        if (weight < floor) continue;
        candidates[candidateCount++] = i;
        const below = (max - logits[i]) * NUCLEUS_BINS_PER_NAT;
        const bin = below < NUCLEUS_BINS - 1 ? below | 0 : NUCLEUS_BINS - 1;
        binMass[bin] += weight;
        if (weight < binLeast[bin]) binLeast[bin] = weight;
      }
      // The top ranges reach p (up to rounding: a shortfall takes one more range and sorts again).
      let last = 0;
      let least = binLeast[0];
      for (let mass = binMass[0]; mass < target && last < NUCLEUS_BINS - 1;) {
        mass += binMass[++last];
        least = Math.min(least, binLeast[last]);
      }
      let cutoff = Infinity;
      let atCutoff = 0;
      for (;;) {
        // Every token as likely as the least likely one in range, so ties are never split by a range edge.
        let count = 0;
        for (let c = 0; c < candidateCount; c++) {
          const weight = weights[candidates[c]];
          if (weight >= least) chosen[count++] = weight;
        }
        const sorted = chosen.subarray(0, count).sort();
        let mass = 0;
        let at = count;
        while (at > 0 && mass < target) mass += sorted[--at];
        if (mass >= target || last === NUCLEUS_BINS - 1) {
          if (at < count) cutoff = sorted[at];
          // Of the tokens at the cutoff, the first ones in token order are kept (what a stable sort keeps).
          for (let j = at; j < count && sorted[j] === cutoff; j++) atCutoff++;
          break;
        }
        least = Math.min(least, binLeast[++last]);
      }
      for (let i = 0; i < length; i++) {
        const weight = weights[i];
        if (weight > cutoff) continue;
        if (weight === cutoff && atCutoff > 0) atCutoff--;
        else logits[i] = -Infinity;
      }
    },
  };
}

/** Numerically stable softmax (-Infinity → 0). */
export function softmax(logits: Float32Array): Float64Array {
  const out = new Float64Array(logits.length);
  const { sum } = exponentiate(logits, out);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/**
 * exp(logit − largest) of every token into `out`, and their sum: softmax before its division. In
 * WebAssembly SIMD where the runtime has it (about a fifth of Math.exp's cost over a 128k vocabulary:
 * ~0.5 ms with the copies against 2.3–2.7 ms, measured on 2-core VMs).
 */
export function exponentiate(logits: Float32Array, out: Float64Array): { max: number; sum: number } {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  const simd = simdExponentiate(logits, -max, out);
  if (simd !== undefined) return { max, sum: simd };
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    // A filtered token is 0 without an exp (the costly part), as exp would make it.
    const e = logits[i] === -Infinity ? 0 : Math.exp(logits[i] - max);
    out[i] = e;
    sum += e;
  }
  return { max, sum };
}

function kthLargest(values: Float32Array, k: number): number {
  // Quickselect on a copy: O(vocab) on average instead of a full sort.
  const work = Float32Array.from(values);
  let lo = 0;
  let hi = work.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = work[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (work[i] > pivot) i++;
      while (work[j] < pivot) j--;
      if (i <= j) {
        const t = work[i];
        work[i] = work[j];
        work[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return work[target];
}
