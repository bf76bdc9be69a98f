/**
 * A replica's expected call latency, "peak EWMA" (Finagle's and Linkerd's load balancers): a sample
 * above the estimate replaces it at once, so a replica that turns slow is avoided from its next
 * answer; a lower one pulls it down gradually. While no call answers, the estimate decays toward
 * zero, so a replica once found slow is tried again now and then rather than shunned forever.
 */
export class LatencyEstimate {
  private valueMs?: number;
  private observedAt = 0;

  /**
   * @param decayMs time constant of the decay while nothing is observed, ms. Default 10000.
   * @param weight how far one sample below the estimate pulls it, 0..1. Default 0.3.
   */
  constructor(
    private readonly decayMs = 10_000,
    private readonly weight = 0.3,
  ) {}

  /** The estimate at `now` (ms, `performance.now()` clock); undefined before the first sample. */
  currentMs(now = performance.now()): number | undefined {
    if (this.valueMs === undefined) return undefined;
    return this.valueMs * Math.exp(-Math.max(0, now - this.observedAt) / this.decayMs);
  }

  /** Takes one answered call's latency in. */
  observe(latencyMs: number, now = performance.now()): void {
    const current = this.currentMs(now);
    this.valueMs = current === undefined || latencyMs > current ? latencyMs : current + (latencyMs - current) * this.weight;
    this.observedAt = now;
  }
}
