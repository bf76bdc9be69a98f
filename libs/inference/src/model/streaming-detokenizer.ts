/** Decodes a list of ids to text. */
export type DecodeFn = (ids: number[]) => string;

/**
 * Turns a token stream into text deltas without ever splitting a multi-byte UTF-8 character: a token that
 * ends inside a character decodes to U+FFFD, so its text is held back until the next tokens complete it.
 * Decoding a short window (from the previous emit point) keeps every step O(1) in the sequence length.
 */
export class StreamingDetokenizer {
  private readonly ids: number[] = [];
  private prefixOffset = 0;
  private readOffset = 0;

  constructor(private readonly decode: DecodeFn) {}

  /** Adds one token and returns the text that became complete (often '', sometimes several characters). */
  push(id: number): string {
    this.ids.push(id);
    const prefix = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const full = this.decode(this.ids.slice(this.prefixOffset));
    if (full.length <= prefix.length || full.endsWith('\uFFFD')) return '';
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
    return full.slice(prefix.length);
  }

  /** Text still held back at the end of the stream (an incomplete character decodes as U+FFFD). */
  flush(): string {
    const prefix = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const full = this.decode(this.ids.slice(this.prefixOffset));
    this.prefixOffset = this.readOffset = this.ids.length;
    return full.length > prefix.length ? full.slice(prefix.length) : '';
  }
}
