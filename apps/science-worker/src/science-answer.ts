import { findBoxed, found, missing, type ExtractionInput } from '@slm/worker-runtime';
import type { ExtractedAnswer } from '@slm/contracts';

const LETTERS = 'ABCDEFGHIJ';

/** A short answer longer than this is a paragraph, not an answer. */
const MAX_SHORT_ANSWER = 120;

/**
 * The option letters a multiple-choice question offers (A–J), from metadata `choices` (a count
 * such as "4", or the letters "ABCD"), else from option lines in the text ("A) …", "(B) …",
 * "C. …", "D: …"). Empty for an open question. Options must start at A and run consecutively.
 */
export function offeredOptions(problemText: string, metadata: Readonly<Record<string, string>>): string {
  const choices = (metadata['choices'] ?? '').trim();
  if (/^\d+$/.test(choices)) return LETTERS.slice(0, Math.min(Number(choices), LETTERS.length));
  if (/^[A-J]+$/i.test(choices)) return choices.toUpperCase();
  const seen = new Set<string>();
  for (const match of problemText.matchAll(/^\s*(?:\(([A-J])\)|([A-J])[).:])\s+\S/gm)) seen.add((match[1] ?? match[2] ?? '').toUpperCase());
  let letters = '';
  for (const letter of LETTERS) {
    if (!seen.has(letter)) break;
    letters += letter;
  }
  return letters.length >= 2 ? letters : '';
}

/**
 * The science worker's answer: for a multiple-choice question, the option letter the model
 * chose ("the answer is (C)", `\boxed{C}`, "Answer: C", or a last line that is only a letter);
 * otherwise a final short answer (`\boxed{…}`, "Final answer: …", "the answer is …", or a short
 * last line). The last statement in the output wins: models often revise themselves.
 */
export function extractScienceAnswer(input: ExtractionInput): Required<ExtractedAnswer> {
  if (input.answer.trim() === '') return missing('the output has no answer part', input);
  const options = offeredOptions(input.problemText, input.metadata);
  return options ? extractOptionLetter(input, options) : extractShortAnswer(input);
}

function extractOptionLetter(input: ExtractionInput, options: string): Required<ExtractedAnswer> {
  const text = input.answer;
  const candidates: Array<{ index: number; letter: string }> = [];
  const patterns = [
    /\banswer\s+is\s*:?\s*(?:option\s+)?\**\(?([A-J])\)?\**(?![A-Za-z])/gi,
    /\banswer\s*[:：]\s*(?:option\s+)?\**\(?([A-J])\)?\**(?![A-Za-z])/gi,
    /\b(?:correct\s+)?option\s+(?:is\s+)?\(?([A-J])\)?\s+is\s+correct/gi,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) candidates.push({ index: match.index ?? 0, letter: (match[1] ?? '').toUpperCase() });
  }
  for (const box of findBoxed(text)) {
    const letter = /^\s*(?:\\text\{)?\(?([A-J])\)?\}?\s*$/i.exec(box.content ?? '');
    if (letter) candidates.push({ index: box.start, letter: (letter[1] ?? '').toUpperCase() });
  }
  candidates.sort((a, b) => a.index - b.index);
  let chosen: string | undefined = candidates[candidates.length - 1]?.letter;
  if (!chosen) {
    const lastLine = lastNonEmptyLine(text);
    const alone = /^\**\(?([A-J])\)?[.)]?\**$/i.exec(lastLine);
    chosen = alone?.[1]?.toUpperCase();
  }
  if (!chosen) return missing(`no option letter (${options[0]}–${options[options.length - 1]}) chosen in the output`, input);
  if (!options.includes(chosen)) return missing(`the output chose option ${chosen}, which the question does not offer (${options})`, input);
  return found(chosen, 'option_letter');
}

function extractShortAnswer(input: ExtractionInput): Required<ExtractedAnswer> {
  const text = input.answer;
  const candidates: Array<{ index: number; value: string }> = [];
  for (const box of findBoxed(text)) if (box.content !== undefined) candidates.push({ index: box.start, value: box.content });
  for (const match of text.matchAll(/\b(?:final\s+answer|answer)\s*(?:is)?\s*[:：]\s*(.+)$/gim))
    candidates.push({ index: match.index ?? 0, value: match[1] ?? '' });
  for (const match of text.matchAll(/\bthe\s+(?:final\s+)?answer\s+is\s+(.+?)(?:\.\s|\.$|$)/gim))
    candidates.push({ index: match.index ?? 0, value: match[1] ?? '' });
  candidates.sort((a, b) => a.index - b.index);
  const stated = candidates.length > 0 ? cleanShortAnswer(candidates[candidates.length - 1]?.value ?? '') : '';
  if (stated) return found(stated, 'short_answer');
  const lastLine = cleanShortAnswer(lastNonEmptyLine(text));
  if (lastLine && lastLine.length <= MAX_SHORT_ANSWER) return found(lastLine, 'short_answer');
  return missing('no short final answer in the output', input);
}

function cleanShortAnswer(raw: string): string {
  const value = raw
    .trim()
    .replace(/^\*+|\*+$/g, '')
    .replace(/^\$+|\$+$/g, '')
    .replace(/\\text\s*\{([^{}]*)\}/g, '$1')
    .replace(/[.;,]+$/, '')
    .trim();
  return value.length <= MAX_SHORT_ANSWER ? value : '';
}

function lastNonEmptyLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines[lines.length - 1] ?? '';
}
