import type { ExtractedAnswer } from '@slm/contracts';

/**
 * Text helpers the domains' answer extractors share. They are pure and know nothing about a
 * domain: which helper applies, and how the value is normalised, is each worker's policy.
 */

/** What an extractor sees: the model's output split by libs/inference, and the problem asked. */
export interface ExtractionInput {
  /** The text after the reasoning block (the whole text when there was none). */
  answer: string;
  /** The text inside `<think>…</think>` (empty when none). */
  reasoning: string;
  /** Why generation stopped ('length' means the output was cut). */
  finishReason: string;
  /** The problem's user text (last user turn), for extractors that depend on the question. */
  problemText: string;
  /** The problem's metadata (e.g. `language` for code, `choices` for science). */
  metadata: Readonly<Record<string, string>>;
}

/** A result with a value, or an empty value and the reason none was found. */
export function found(value: string, kind: string, language = ''): Required<ExtractedAnswer> {
  return { value, kind, language, missingReason: '' };
}

/** No answer: the value is empty and `missingReason` says why (a cut output is named as such). */
export function missing(reason: string, input?: Pick<ExtractionInput, 'finishReason' | 'answer' | 'reasoning'>): Required<ExtractedAnswer> {
  let why = reason;
  if (input && input.finishReason === 'length') {
    why +=
      input.answer.trim() === '' && input.reasoning !== ''
        ? ' (output cut by max_new_tokens inside the reasoning)'
        : ' (output cut by max_new_tokens)';
  } else if (input && input.finishReason === 'cancelled') {
    why += ' (generation cancelled)';
  }
  return { value: '', kind: '', language: '', missingReason: why };
}

/** Where a `\boxed{…}` starts and what it holds; `content` is undefined when its braces never close. */
export interface BoxedSpan {
  start: number;
  content: string | undefined;
}

/**
 * Every `\boxed{…}` (and `\fbox{…}`) in order, nested braces balanced. `\boxed 5` (a single
 * token, as TeX allows) counts too. An unclosed box (a cut output) has `content` undefined.
 */
export function findBoxed(text: string): BoxedSpan[] {
  const spans: BoxedSpan[] = [];
  const pattern = /\\(?:boxed|fbox)\b/g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    let i = match.index + match[0].length;
    while (text[i] === ' ') i++;
    if (text[i] !== '{') {
      const token = /^[^\s$.,;]+/.exec(text.slice(i));
      if (token) spans.push({ start: match.index, content: token[0] });
      continue;
    }
    const close = matchingBrace(text, i);
    spans.push({ start: match.index, content: close === -1 ? undefined : text.slice(i + 1, close) });
    if (close !== -1) pattern.lastIndex = close + 1;
  }
  return spans;
}

/** Index of the `}` that closes the `{` at `open`, honouring nesting and `\{` `\}` escapes; -1 if none. */
export function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return i;
  }
  return -1;
}

/** A Markdown fenced code block: its info-string language (lower case, may be empty) and body. */
export interface FencedBlock {
  language: string;
  code: string;
  /** False when the output ended inside the block (no closing fence). */
  closed: boolean;
}

/** Every fenced code block (``` or ~~~, three or more) in order, including an unclosed last one. */
export function findFencedBlocks(text: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s{0,3}(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const fence = open[1] ?? '```';
    const body: string[] = [];
    let closed = false;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? '';
      const trimmed = line.trim();
      if (trimmed.startsWith(fence.charAt(0).repeat(fence.length)) && /^(`+|~+)$/.test(trimmed)) {
        closed = true;
        break;
      }
      body.push(line);
    }
    blocks.push({ language: (open[2] ?? '').toLowerCase(), code: body.join('\n'), closed });
    i = j;
  }
  return blocks;
}
