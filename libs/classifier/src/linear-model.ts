import { CLASS_COUNT } from './domains';
import { FeatureBuffer, STRUCTURE, TruncationOptions } from './text-features';

/** A trained softmax (multinomial logistic regression) model over hashed features. */
export interface LinearModel {
  /** Features hash into 2^bits buckets. */
  readonly bits: number;
  /** Row-major [bucket][class] weights, 2^bits × 4. */
  readonly weights: Float32Array;
  /** One bias per class. */
  readonly bias: Float32Array;
  /** Softmax temperature fitted on held-out data so probabilities are calibrated (logits / T). */
  readonly temperature: number;
  /** How long input is cut before featurisation. */
  readonly truncation: TruncationOptions;
}

/**
 * Raw (uncalibrated) logits of the `n` features in `buffer`, into `out` (length 4).
 * Features marked in `buffer.skip` (capped repeats) are left out; every other feature has its
 * group's value (`buffer.valueOf`): text and structure features are L2-normalised apart, see
 * text-features.ts.
 */
export function logitsOf(model: LinearModel, buffer: FeatureBuffer, n: number, out: Float64Array): void {
  const w = model.weights;
  const b = buffer.buckets;
  const skip = buffer.skip;
  const kinds = buffer.kinds;
  const tv = buffer.textValue;
  const sv = buffer.structureValue;
  // A local: the CommonJS output reads an imported binding as a property of the module at every use.
  const structure = STRUCTURE;
  let z0 = 0;
  let z1 = 0;
  let z2 = 0;
  let z3 = 0;
  for (let k = 0; k < n; k++) {
    if (skip[k]) continue;
    const o = b[k] << 2;
    const v = kinds[k] & structure ? sv : tv;
    z0 += w[o] * v;
    z1 += w[o + 1] * v;
    z2 += w[o + 2] * v;
    z3 += w[o + 3] * v;
  }
  out[0] = model.bias[0] + z0;
  out[1] = model.bias[1] + z1;
  out[2] = model.bias[2] + z2;
  out[3] = model.bias[3] + z3;
}

/** Softmax of logits / temperature, in place. */
export function softmaxInPlace(z: Float64Array, temperature = 1): void {
  let max = -Infinity;
  for (let c = 0; c < CLASS_COUNT; c++) if (z[c] > max) max = z[c];
  let sum = 0;
  for (let c = 0; c < CLASS_COUNT; c++) {
    z[c] = Math.exp((z[c] - max) / temperature);
    sum += z[c];
  }
  for (let c = 0; c < CLASS_COUNT; c++) z[c] /= sum;
}
