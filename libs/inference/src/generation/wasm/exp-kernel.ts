import { expKernelWasm } from './exp-kernel.generated';

// The WebAssembly API of Node (its types come with the DOM library, which this project does not load).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};

interface ExpKernelExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  exp_sum(src: number, dst: number, n: number, scale: number, shift: number): number;
}

const PAGE_BYTES = 65_536;

/**
 * The softmax exponentials of a whole vocabulary in WebAssembly SIMD (exp-kernel.wat), the largest part
 * of what a sampled token cost over a greedy one. Values are f32 (relative error ~1e-6 with the
 * argument's own rounding), their sum f64. One instance per thread, its memory grown to the largest
 * vocabulary seen.
 */
class ExpKernel {
  private readonly exports: ExpKernelExports;
  private capacity = 0;
  private input = new Float32Array(0);
  private output = new Float32Array(0);

  constructor() {
    this.exports = new WebAssembly.Instance(new WebAssembly.Module(expKernelWasm), {}).exports as unknown as ExpKernelExports;
  }

  /** exp(values[i] + shift) into `out`; returns their sum. */
  exponentiate(values: Float32Array, shift: number, out: Float64Array): number {
    const n = values.length;
    if (n > this.capacity) this.reserve(n);
    this.input.set(values);
    const sum = this.exports.exp_sum(0, this.capacity * 4, n, 1, shift);
    out.set(this.output.subarray(0, n));
    return sum;
  }

  private reserve(n: number): void {
    const { memory } = this.exports;
    const needed = Math.ceil((n * 8) / PAGE_BYTES) - memory.buffer.byteLength / PAGE_BYTES;
    if (needed > 0) memory.grow(needed);
    this.capacity = n;
    this.input = new Float32Array(memory.buffer, 0, n);
    this.output = new Float32Array(memory.buffer, n * 4, n);
  }
}

let kernel: ExpKernel | null | undefined;

/**
 * exp(values[i] + shift) of every value into `out` and their sum, in WebAssembly SIMD; undefined where
 * this runtime cannot instantiate the kernel (no SIMD), and the caller computes them itself.
 */
export function simdExponentiate(values: Float32Array, shift: number, out: Float64Array): number | undefined {
  if (kernel === undefined) {
    try {
      kernel = new ExpKernel();
    } catch {
      kernel = null;
    }
  }
  return kernel?.exponentiate(values, shift, out);
}
