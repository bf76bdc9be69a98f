import { simdExponentiate } from './exp-kernel';

describe('the softmax exponentials in WebAssembly SIMD', () => {
  it('match Math.exp to f32 precision, give 0 under -87 and for filtered (-Infinity) tokens, and sum in f64', () => {
    // 128,257 values: not a multiple of the four lanes, so the tail path runs too.
    const values = Float32Array.from({ length: 128_257 }, (_, i) => -((i * 7919) % 10_000) / 100);
    values[3] = -Infinity;
    values[4] = -90;
    values[values.length - 1] = -Infinity;
    const shift = 0.75;
    const out = new Float64Array(values.length);
    const sum = simdExponentiate(values, shift, out);
    expect(sum).toBeDefined();
    let exactSum = 0;
    let worst = 0;
    for (let i = 0; i < values.length; i++) {
      const exact = Math.exp(values[i] + shift);
      exactSum += exact;
      if (exact > 1e-30) worst = Math.max(worst, Math.abs(out[i] - exact) / exact);
    }
    expect(worst).toBeLessThan(2e-6);
    expect([out[3], out[4], out[values.length - 1]]).toEqual([0, 0, 0]);
    expect(Math.abs(sum! - exactSum) / exactSum).toBeLessThan(1e-6);
  });

  it('serves a larger vocabulary after a smaller one (its memory grows) and a smaller one after it', () => {
    for (const length of [10, 300_000, 7]) {
      const values = Float32Array.from({ length }, (_, i) => -i / length);
      const out = new Float64Array(length);
      const sum = simdExponentiate(values, 0, out)!;
      expect(out[0]).toBeCloseTo(1, 6);
      expect(out[length - 1]).toBeCloseTo(Math.exp(-(length - 1) / length), 6);
      expect(sum).toBeCloseTo(
        Array.from(values).reduce((total, value) => total + Math.exp(value), 0),
        2,
      );
    }
  });
});
