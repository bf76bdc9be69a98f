import { numberKey } from './math-equivalence';

/** `(B)`, `B.`, `b)`, `B`, `Option B`, `answer: B`, `The answer is (B)` — options A–J, as the science worker offers. */
const OPTION_LETTER =
  /^(?:(?:the\s+)?(?:correct\s+|final\s+)?(?:answer|option|choice)\s*(?:is\s*)?[:：]?\s*)?(?:option\s+|choice\s+)?\(?([a-j])\)?[.):]?$/i;

/**
 * A number, optionally in scientific notation (`3e8`, `3 \times 10^{8}`, `3×10^8`), then an
 * optional unit. The unit may not contain a number after a space, so `5 and 6` is not `5`.
 */
const NUMBER_WITH_UNIT =
  /^([-+]?(?:\d+(?:\.\d*)?|\.\d+))(?:\s*(?:[eE]([-+]?\d+)|(?:\\times|\\cdot|×|·|\*|x)\s*10\s*\^\s*\{?\s*([-+]?\d+)\s*\}?))?\s*(.*)$/;
const UNIT = /^[a-zA-Zµμ°Ω%\\][a-zA-Z0-9µμΩ°%/^·*.{}()\\ -]{0,23}$/;

/**
 * A canonical key for a science answer: the option letter for a multiple-choice spelling, the
 * number for a number with an optional unit, else the text lowercased, whitespace collapsed and
 * a trailing period dropped. Never throws.
 *
 * The unit is dropped, not converted: the samples answer one question in the unit it asks for, so
 * `9.8 m/s^2` and `9.8` are one answer, and `%` is a unit here (`50%` is `50`, unlike in
 * `mathAnswerKey`, where a percent is a hundredth). Numbers agree to 10 significant digits.
 */
export function choiceAnswerKey(value: string): string {
  const text = value
    .trim()
    .replace(/^\*+|\*+$/g, '')
    .replace(/^\$+|\$+$/g, '')
    .replace(/\\(?:boxed|text|textbf|mathrm)\s*\{([^{}]*)\}/g, '$1')
    .replace(/−/g, '-')
    .replace(/\s+/g, ' ')
    .trim();
  const letter = OPTION_LETTER.exec(text);
  if (letter) return (letter[1] ?? '').toUpperCase();
  const number = numberWithUnitKey(text.replace(/\.$/, ''));
  if (number !== undefined) return number;
  return text.toLowerCase().replace(/\.+$/, '').trim();
}

function numberWithUnitKey(text: string): string | undefined {
  const match = NUMBER_WITH_UNIT.exec(text);
  if (!match) return undefined;
  const [, mantissa, exponent, powerOfTen, unit = ''] = match;
  if (unit !== '' && (!UNIT.test(unit) || /\s[-+]?\d/.test(unit))) return undefined;
  // Parsed as one literal (`3e8`), not mantissa × 10^n, so no rounding error creeps in.
  return numberKey(Number(`${mantissa}e${exponent ?? powerOfTen ?? 0}`));
}
