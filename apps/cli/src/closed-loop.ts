/** Latency percentiles and throughput of a closed-loop load. */
export interface LoadFigures {
  p50Ms: number;
  p99Ms: number;
  requestsPerSecond: number;
}

/**
 * Runs `once` `total` times from `clients` loops, each sending its next request when the last one
 * answered (a closed loop, as a pool of callers does): every call's latency in ms, and the wall time.
 */
export async function closedLoop(
  clients: number,
  total: number,
  once: (i: number) => Promise<void>,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await once(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

/** p50, p99 (nearest rank, ms rounded to µs) and requests per second of latencies collected over `seconds`. */
export function loadFigures(latencies: readonly number[], seconds: number): LoadFigures {
  return { ...p50p99(latencies), requestsPerSecond: Math.round(latencies.length / seconds) };
}

/** p50 and p99 of millisecond samples (nearest rank), rounded to µs. */
export function p50p99(samples: readonly number[]): { p50Ms: number; p99Ms: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50Ms: roundMs(at(0.5)), p99Ms: roundMs(at(0.99)) };
}

/** Rounded to three decimals (µs for milliseconds). */
export function roundMs(value: number): number {
  return Math.round(value * 1000) / 1000;
}
