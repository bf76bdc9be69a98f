export type Channel = 'reasoning' | 'answer';

const OPEN = '<think>';
const CLOSE = '</think>';

/** One channel's trimming state: its text is streamed as if the whole of it were trimmed. */
interface ChannelState {
  /** Whether non-whitespace text was emitted on the channel (leading whitespace is dropped before). */
  started: boolean;
  /** Trailing whitespace held back: emitted before the channel's next text, dropped at the end. */
  held: string;
}

/**
 * Splits streamed text into reasoning (inside <think>…</think>) and answer. The markers are not
 * emitted and each channel is trimmed, so the reasoning parts concatenate to {@link reasoning} and
 * the answer parts to {@link answer}: a streamed answer is exactly the unary one. A marker split
 * across chunks is held back until it is complete.
 *
 * Reasoning models whose chat template opens the think block in the prompt (DeepSeek-R1 style:
 * the generation prompt ends with `<think>\n`) only ever generate the closing marker: pass
 * `startsInReasoning` (see {@link promptOpensThinking}) or their reasoning streams as answer.
 */
export class ThinkSplitter {
  private channel: Channel;
  private pending = '';
  private seenClose = false;
  private readonly channels: Record<Channel, ChannelState> = {
    reasoning: { started: false, held: '' },
    answer: { started: false, held: '' },
  };
  /** The reasoning emitted so far (trimmed, without markers). */
  reasoning = '';
  /** The answer emitted so far (trimmed). */
  answer = '';

  /** @param options.startsInReasoning the prompt opened a think block. Default false. */
  constructor(options: { startsInReasoning?: boolean } = {}) {
    this.channel = options.startsInReasoning ? 'reasoning' : 'answer';
  }

  push(text: string): Array<{ channel: Channel; text: string }> {
    this.pending += text;
    const parts: Array<{ channel: Channel; text: string }> = [];
    for (;;) {
      const marker = this.channel === 'answer' ? OPEN : CLOSE;
      const at = this.seenClose ? -1 : this.pending.indexOf(marker);
      if (at < 0) break;
      this.emit(this.channel, this.pending.slice(0, at), parts);
      this.pending = this.pending.slice(at + marker.length);
      if (this.channel === 'reasoning') this.seenClose = true;
      this.channel = this.channel === 'answer' ? 'reasoning' : 'answer';
    }
    const hold = this.seenClose ? 0 : partialMarkerLength(this.pending, this.channel === 'answer' ? OPEN : CLOSE);
    this.emit(this.channel, this.pending.slice(0, this.pending.length - hold), parts);
    this.pending = this.pending.slice(this.pending.length - hold);
    return merge(parts);
  }

  flush(): Array<{ channel: Channel; text: string }> {
    const parts: Array<{ channel: Channel; text: string }> = [];
    this.emit(this.channel, this.pending, parts);
    this.pending = '';
    return parts;
  }

  private emit(channel: Channel, text: string, parts: Array<{ channel: Channel; text: string }>): void {
    const state = this.channels[channel];
    const joined = state.started ? state.held + text : (state.held + text).trimStart();
    const body = joined.trimEnd();
    state.held = joined.slice(body.length);
    if (!body) return;
    state.started = true;
    parts.push({ channel, text: body });
    if (channel === 'reasoning') this.reasoning += body;
    else this.answer += body;
  }
}

/** Whether a rendered prompt ends inside an open think block (the model continues its reasoning). */
export function promptOpensThinking(promptText: string): boolean {
  return promptText.lastIndexOf(OPEN) > promptText.lastIndexOf(CLOSE);
}

/** Splits a complete output into reasoning and answer. */
export function splitThinking(text: string): { reasoning: string; answer: string } {
  const close = text.indexOf(CLOSE);
  if (close >= 0) {
    const open = text.indexOf(OPEN);
    const start = open >= 0 && open < close ? open + OPEN.length : 0;
    return { reasoning: text.slice(start, close).trim(), answer: text.slice(close + CLOSE.length).trim() };
  }
  const open = text.indexOf(OPEN);
  if (open >= 0) return { reasoning: text.slice(open + OPEN.length).trim(), answer: text.slice(0, open).trim() };
  return { reasoning: '', answer: text };
}

function partialMarkerLength(text: string, marker: string): number {
  for (let length = Math.min(marker.length - 1, text.length); length > 0; length--) {
    if (text.endsWith(marker.slice(0, length))) return length;
  }
  return 0;
}

function merge(parts: Array<{ channel: Channel; text: string }>): Array<{ channel: Channel; text: string }> {
  const merged: Array<{ channel: Channel; text: string }> = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (last && last.channel === part.channel) last.text += part.text;
    else if (part.text) merged.push({ ...part });
  }
  return merged;
}
