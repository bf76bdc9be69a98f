/**
 * Finds stop strings in streamed text. Text that might be the start of a stop string is held back until
 * it is known not to be, so a stop string is never half-emitted.
 */
export class StopStringMatcher {
  private pending = '';
  private stopped = false;

  constructor(private readonly stops: readonly string[]) {}

  /** Feeds text; returns what may be emitted now and whether a stop string was found. */
  push(text: string): { emit: string; stopped: boolean } {
    if (this.stopped) return { emit: '', stopped: true };
    this.pending += text;
    let first = -1;
    for (const stop of this.stops) {
      const at = this.pending.indexOf(stop);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    }
    if (first >= 0) {
      this.stopped = true;
      const emit = this.pending.slice(0, first);
      this.pending = '';
      return { emit, stopped: true };
    }
    const hold = this.heldBackLength();
    const emit = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return { emit, stopped: false };
  }

  /** The text held back at the end of the stream. */
  flush(): string {
    const rest = this.stopped ? '' : this.pending;
    this.pending = '';
    return rest;
  }

  /** Longest suffix of the pending text that is a proper prefix of some stop string. */
  private heldBackLength(): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let length = Math.min(stop.length - 1, this.pending.length); length > longest; length--) {
        if (this.pending.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
