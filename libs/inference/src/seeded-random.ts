/**
 * A small, fast, seedable PRNG (mulberry32). Used for reproducible sampling and for synthetic weights;
 * the same seed gives the same stream on every platform.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next unsigned 32-bit integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Fills `out` with values uniform in [-a, a] where a = std·√3, so the standard deviation is `std`. */
  fillUniform(out: Float32Array, std: number, mean = 0): Float32Array {
    const scale = (2 * std * Math.sqrt(3)) / 4294967296;
    const offset = mean - std * Math.sqrt(3);
    for (let i = 0; i < out.length; i++) out[i] = this.nextUint32() * scale + offset;
    return out;
  }

  /** Fills `out` with random bytes. */
  fillBytes(out: Uint8Array): Uint8Array {
    let i = 0;
    for (; i + 4 <= out.length; i += 4) {
      const v = this.nextUint32();
      out[i] = v & 0xff;
      out[i + 1] = (v >>> 8) & 0xff;
      out[i + 2] = (v >>> 16) & 0xff;
      out[i + 3] = v >>> 24;
    }
    for (; i < out.length; i++) out[i] = this.nextUint32() & 0xff;
    return out;
  }
}
