/** Decodes a list of ids to text. */
export type DecodeFn = (ids: number[]) => string;

/**
 * Tokens after which held-back text is emitted even though it still ends in U+FFFD. A UTF-8
 * character is at most 4 bytes, so the 3 byte tokens after its first byte complete it if anything
 * does; past that the bytes are invalid (random weights, a model emitting stray bytes) and waiting
 * would only hold the rest of the stream back, up to the whole answer.
 */
const MAX_HELD_TOKENS = 4;

/**
 * Turns a token stream into text deltas without ever splitting a multi-byte UTF-8 character: a token that
 * ends inside a character decodes to U+FFFD, so its text is held back until the next tokens complete it
 * (at most {@link MAX_HELD_TOKENS} tokens: an invalid byte sequence is emitted as U+FFFD, as a full decode shows it).
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
    const held = this.ids.length - this.readOffset;
    if (full.length <= prefix.length || (full.endsWith('\uFFFD') && held < MAX_HELD_TOKENS)) return '';
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
