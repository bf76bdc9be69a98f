import { CLASS_COUNT } from './domains';
import { FeatureBuffer, STRUCTURE, TruncationOptions, bucketOf, signOf } from './text-features';

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
 * group's value with its sign (`buffer.valueOf`): text and structure features are L2-normalised apart, see
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
    // bucketOf and signOf (text-features.ts) inlined: read through the CommonJS module object they measured slower here.
    const code = b[k];
    const o = (code ^ (code >> 31)) << 2;
    const v = (kinds[k] & structure ? sv : tv) * ((code >> 31) | 1);
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

/**
 * Adds v × the weight rows of the features whose codes are in buckets[from .. to) to z, each row with its
 * feature's sign: all of them, or with a dropout mask only the kept ones (keep is indexed from `base`). The
 * training-time twin of {@link logitsOf}, over an encoded dataset (trainer.ts).
 */
export function sumKept(
  w: Float32Array,
  buckets: Int32Array,
  keep: Uint8Array | undefined,
  base: number,
  from: number,
  to: number,
  v: number,
  z: Float64Array,
): void {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  for (let k = from; k < to; k++) {
    if (keep && !keep[k - base]) continue;
    const b = bucketOf(buckets[k]) << 2;
    const sign = signOf(buckets[k]);
    a0 += w[b] * sign;
    a1 += w[b + 1] * sign;
    a2 += w[b + 2] * sign;
    a3 += w[b + 3] * sign;
  }
  z[0] += a0 * v;
  z[1] += a1 * v;
  z[2] += a2 * v;
  z[3] += a3 * v;
}
