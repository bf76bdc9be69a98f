import { LatencyEstimate } from './latency-estimate';

describe('LatencyEstimate (peak EWMA)', () => {
  it('is unknown before the first answer', () => {
    expect(new LatencyEstimate().currentMs(0)).toBeUndefined();
  });

  it('jumps to a slower answer at once and comes down gradually', () => {
    const estimate = new LatencyEstimate(10_000, 0.5);
    estimate.observe(10, 0);
    estimate.observe(100, 0);
    expect(estimate.currentMs(0)).toBe(100);
    estimate.observe(10, 0);
    expect(estimate.currentMs(0)).toBe(55);
    estimate.observe(10, 0);
    expect(estimate.currentMs(0)).toBeCloseTo(32.5);
  });

  it('decays while nothing answers, so a replica once slow is tried again', () => {
    const estimate = new LatencyEstimate(10_000);
    estimate.observe(200, 0);
    expect(estimate.currentMs(10_000)).toBeCloseTo(200 / Math.E);
    expect(estimate.currentMs(60_000)).toBeLessThan(1);
  });
});
