import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Cuts long synchronous work (parsing, validating and routing a batch of 100,000 problems) into
 * slices of at most `budgetMs`, handing the event loop back in between: health checks and every
 * other request keep being answered while a big batch is taken in.
 */
export class TimeSlicer {
  private sliceStart = performance.now();
  /** How many times the work handed the event loop back. */
  yields = 0;

  /** @param budgetMs the longest run between two turns of the event loop (default 10 ms; 0 yields at every check). */
  constructor(private readonly budgetMs = 10) {}

  /** Yields to the event loop when the current slice is used up; call it between units of work. */
  async maybeYield(): Promise<void> {
    if (performance.now() - this.sliceStart < this.budgetMs) return;
    await nextTurn();
    this.yields++;
    this.sliceStart = performance.now();
  }
}
