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

/**
 * Nucleus filter: keeps the smallest set of most likely tokens whose probability reaches `p`.
 * Tokens with probability below (1-p)/(2·vocab) together hold less than (1-p)/2, so they can never be in
 * the nucleus; only the rest are sorted, which keeps a 128k vocabulary cheap.
 */
export function topP(p: number): LogitsProcessor {
  return {
    process(logits) {
      if (p >= 1) return;
      const probs = softmax(logits);
      const floor = (1 - p) / (2 * logits.length);
      const candidates: number[] = [];
      for (let i = 0; i < probs.length; i++) if (probs[i] >= floor) candidates.push(i);
      candidates.sort((a, b) => probs[b] - probs[a]);
      let mass = 0;
      let keep = 0;
      while (keep < candidates.length && mass < p) mass += probs[candidates[keep++]];
      const kept = new Uint8Array(logits.length);
      for (let i = 0; i < keep; i++) kept[candidates[i]] = 1;
      for (let i = 0; i < logits.length; i++) if (!kept[i]) logits[i] = -Infinity;
    },
  };
}

/** Numerically stable softmax (-Infinity → 0). */
export function softmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp(logits[i] - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
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
