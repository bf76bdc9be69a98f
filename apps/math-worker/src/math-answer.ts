import { findBoxed, found, missing, type ExtractionInput } from '@slm/worker-runtime';
import type { ExtractedAnswer } from '@slm/contracts';

/**
 * The math worker's answer: the content of the last complete `\boxed{…}` in the answer part of
 * the output, normalised so that equal answers compare equal as strings. An unclosed box (the
 * output was cut inside it) is skipped in favour of an earlier complete one.
 */
export function extractMathAnswer(input: ExtractionInput): Required<ExtractedAnswer> {
  const boxes = findBoxed(input.answer);
  if (boxes.length === 0) return missing('no \\boxed{} answer in the output', input);
  const complete = boxes.filter((box) => box.content !== undefined);
  const last = complete[complete.length - 1];
  if (!last) return missing('the last \\boxed{ is never closed', input);
  const value = normaliseMathAnswer(last.content ?? '');
  if (value === '') return missing('the \\boxed{} answer is empty', input);
  return found(value, 'boxed');
}

/**
 * Canonical spelling of a LaTeX answer: no `$`, `\left`/`\right`, `\displaystyle` or spacing
 * commands; `\dfrac`/`\tfrac` → `\frac`; `\text{…}` unwrapped; whitespace removed except where
 * it separates a command from a following letter (`\pi r`); no trailing period or comma.
 */
export function normaliseMathAnswer(raw: string): string {
  let value = raw.trim();
  value = value.replace(/^\$+|\$+$/g, '');
  value = value.replace(/\\(?:left|right)(?![a-zA-Z])\s*([()[\]|.]|\\[{}]|\\[a-zA-Z]+)?/g, (_m, delim: string | undefined) =>
    delim === '.' ? '' : (delim ?? ''),
  );
  value = value.replace(/\\(?:displaystyle|textstyle)(?![a-zA-Z])/g, '');
  value = value.replace(/\\[dt]frac(?![a-zA-Z])/g, '\\frac');
  value = value.replace(/\\(?:text|textbf|mathrm|mathbf)\s*\{([^{}]*)\}/g, '$1');
  value = value.replace(/\\[,;:! ]|~/g, ' ');
  value = value.replace(/\s+/g, (space, offset: number, whole: string) => {
    const before = whole.slice(0, offset);
    const after = whole.slice(offset + space.length);
    return /\\[a-zA-Z]+$/.test(before) && /^[a-zA-Z]/.test(after) ? ' ' : '';
  });
  value = value.replace(/[.,;]+$/, '');
  return value;
}
