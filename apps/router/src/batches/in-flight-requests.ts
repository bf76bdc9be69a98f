import { Logger } from '@nestjs/common';
import type { Result } from '@slm/contracts';
import type { BatchStore, Claim, HandoverEntry, Outcome, RequestClaim, SolveJob, Via } from './batch-store';

/** How the batch service acts on a waiting job once the owner finished. */
export interface Handover {
  /** The owner completed: record its result as the waiting job's outcome. */
  answer(job: SolveJob, result: Result): Promise<void>;
  /** The owner failed or was cancelled: the waiting job is the new owner and solves the problem itself. */
  solve(job: SolveJob): Promise<void>;
}

const DRAIN_INTERVAL_MS = 5000;

/**
 * A caller's requestId is a problem's idempotency key across the batches of its tenant, also
 * while it is being solved (the same requestId with another problem is a conflict, never that
 * problem's answer): the first batch's job owns it, the same problem in other batches waits for that job
 * instead of being solved again, and is answered from its result. If the owner fails or its batch
 * is cancelled, a waiting job takes over and solves it (failed outcomes are never shared).
 * Handovers are queued in Redis in the same step as the owner's outcome, so a router that stops
 * half-way leaves them for the next one (or another replica) to carry out.
 */
export class InFlightRequests {
  private readonly logger = new Logger(InFlightRequests.name);
  private draining?: Promise<void>;
  private drainAgain = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: BatchStore,
    private readonly handover: Handover,
  ) {}

  /** Carries out handovers left by a stopped router, then keeps checking now and then. */
  start(): void {
    void this.drain();
    this.timer = setInterval(() => void this.drain(), DRAIN_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Claims each problem's requestId, within the batch's tenant, for its job (by index), after the
   * batch record exists. `fingerprint` identifies the problem: the same requestId with another
   * fingerprint is a conflict, never the other problem's result.
   */
  claim(tenant: string, batchId: string, entries: readonly RequestClaim[]): Promise<Map<number, Claim>> {
    return this.store.claimRequests(tenant, batchId, entries);
  }

  /**
   * Records that a batch's job finished (from the queue events, in event order on the writer, or
   * from a cancel) and hands its problem over to the jobs waiting for it.
   */
  async finish(batchId: string, index: number, outcome: Outcome, result?: Result, via: Via = 'writer'): Promise<void> {
    const queued = await this.store.finishRequest(batchId, index, outcome, result, via);
    if (queued > 0) void this.drain();
  }

  /** Carries out the queued handovers, one at a time; each is removed only once done. */
  drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true;
      return this.draining;
    }
    this.draining = (async () => {
      do {
        this.drainAgain = false;
        for (;;) {
          const entries = await this.store.pendingHandovers(100);
          if (!entries.length) break;
          for (const entry of entries) {
            await this.carryOut(JSON.parse(entry) as HandoverEntry);
            await this.store.removeHandover(entry);
          }
        }
      } while (this.drainAgain);
    })()
      .catch((error: unknown) => this.logger.warn(`handovers: ${String(error)} (retried in ${DRAIN_INTERVAL_MS / 1000} s)`))
      .finally(() => (this.draining = undefined));
    return this.draining;
  }

  private async carryOut({ action, tenant, requestId, job }: HandoverEntry): Promise<void> {
    if (action === 'answer') {
      const stored = await this.store.solvedResult(tenant, requestId);
      if (stored) return this.handover.answer(job, stored);
    }
    // A result that expired meanwhile is solved again rather than lost.
    return this.handover.solve(job);
  }
}
