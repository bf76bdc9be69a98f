import { quantileOf } from './dashboard.service';

describe('quantileOf (histogram_quantile over cumulative buckets)', () => {
  // 10 observations: 4 in (0, 0.1], 4 in (0.1, 0.5], 2 in (0.5, 1].
  const buckets: [number, number][] = [
    [0.1, 4],
    [0.5, 8],
    [1, 10],
    [Infinity, 10],
  ];

  it('interpolates linearly inside the bucket the rank falls in', () => {
    expect(quantileOf(buckets, 0.2)).toBeCloseTo(0.05);
    expect(quantileOf(buckets, 0.5)).toBeCloseTo(0.2);
    expect(quantileOf(buckets, 0.9)).toBeCloseTo(0.75);
  });

  it('answers the highest finite bound when the rank falls in +Inf, and 0 with no observation', () => {
    expect(
      quantileOf(
        [
          [0.1, 1],
          [Infinity, 3],
        ],
        0.9,
      ),
    ).toBe(0.1);
    expect(
      quantileOf(
        [
          [0.1, 0],
          [Infinity, 0],
        ],
        0.5,
      ),
    ).toBe(0);
  });
});
