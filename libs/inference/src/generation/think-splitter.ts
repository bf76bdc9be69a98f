export type Channel = 'reasoning' | 'answer';

const OPEN = '<think>';
const CLOSE = '</think>';

/**
 * Labels streamed text as reasoning (inside <think>…</think>) or answer. The markers stay in the text
 * (on the reasoning channel), so the chunks concatenate to the full output. A marker split across chunks
 * is held back until it is complete.
 */
export class ThinkSplitter {
  private channel: Channel = 'answer';
  private pending = '';
  private seenClose = false;

  push(text: string): Array<{ channel: Channel; text: string }> {
    this.pending += text;
    const parts: Array<{ channel: Channel; text: string }> = [];
    for (;;) {
      const marker = this.channel === 'answer' ? OPEN : CLOSE;
      const at = this.seenClose ? -1 : this.pending.indexOf(marker);
      if (at < 0) break;
      if (this.channel === 'answer') {
        if (at > 0) parts.push({ channel: 'answer', text: this.pending.slice(0, at) });
        this.channel = 'reasoning';
        this.pending = this.pending.slice(at);
        // The opening marker travels with the reasoning it opens.
        parts.push({ channel: 'reasoning', text: OPEN });
        this.pending = this.pending.slice(OPEN.length);
      } else {
        parts.push({ channel: 'reasoning', text: this.pending.slice(0, at + CLOSE.length) });
        this.pending = this.pending.slice(at + CLOSE.length);
        this.channel = 'answer';
        this.seenClose = true;
      }
    }
    const hold = this.seenClose ? 0 : partialMarkerLength(this.pending, this.channel === 'answer' ? OPEN : CLOSE);
    const ready = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    if (ready) parts.push({ channel: this.channel, text: ready });
    return merge(parts);
  }

  flush(): Array<{ channel: Channel; text: string }> {
    const rest = this.pending;
    this.pending = '';
    return rest ? [{ channel: this.channel, text: rest }] : [];
  }
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
