import { isComplex, parse } from 'mathjs';

/**
 * Longer answers are keyed by their cleaned text alone: a real final answer is short, and capping
 * what reaches the tokenizer and mathjs keeps a runaway sample from costing more than a few
 * microseconds per character.
 */
const MAX_PARSED_LENGTH = 200;

/** Numbers agree when they agree to this many significant digits (about 1e-9 relative). */
const SIGNIFICANT_DIGITS = 10;

/** An expression with free variables is fingerprinted by its values at this many points. */
const SAMPLE_POINTS = 3;

/** Names mathjs resolves itself; every other symbol is a free variable. */
const CONSTANTS = new Set(['pi', 'e', 'i', 'Infinity']);

/** LaTeX functions we evaluate, and their mathjs names. `\log` is read as base 10, `\ln` as base e. */
const FUNCTIONS: Readonly<Record<string, string>> = {
  sin: 'sin',
  cos: 'cos',
  tan: 'tan',
  sec: 'sec',
  csc: 'csc',
  cot: 'cot',
  arcsin: 'asin',
  arccos: 'acos',
  arctan: 'atan',
  sinh: 'sinh',
  cosh: 'cosh',
  tanh: 'tanh',
  ln: 'log',
  log: 'log10',
  exp: 'exp',
};
const MATHJS_FUNCTIONS = new Set([...Object.values(FUNCTIONS), 'sqrt', 'nthRoot', 'abs']);

/**
 * A canonical key for a math answer: two answers a grader would accept as the same get the same
 * key. Never throws; what cannot be understood is keyed by its cleaned spelling.
 *
 * - Constant expressions are evaluated (`\frac{1}{2}`, `\dfrac12`, `.5`, `\sqrt{2}/2`, `2^{10}`,
 *   `3\cdot4`, `\pi`) and keyed by their value rounded to 10 significant digits, so `3.0` is `3`.
 * - A percent is a hundredth: `50\%` is `0.5`. Degrees (`30^\circ`) are plain numbers.
 * - `1,000` is one thousand only when every group after the first has exactly three digits;
 *   otherwise a comma separates answers.
 * - A single `var = value` is its value (`x=3` is `3`); another equation is keyed as lhs − rhs.
 * - `\{…\}` and a bare list `1, 2` (MATH's "enter all solutions") are the same unordered set,
 *   duplicates dropped; a set of one element is that element. Parenthesised or bracketed
 *   lists — tuples, points, intervals — keep their order and their brackets: `(1,2)` ≠ `(2,1)` ≠ `[1,2]`.
 * - An expression with variables is fingerprinted by its values at fixed pseudo-random points:
 *   `2x+1` and `1+2x` agree without mathjs `simplify` (slow, and it misses many identities).
 *   Juxtaposed letters multiply (`2xy` is 2·x·y); `e` is Euler's number, `i` the imaginary unit.
 * - Words (`\text{East}`, `yes`) are keyed as lowercased text.
 */
export function mathAnswerKey(value: string): string {
  const text = cleanLatex(value);
  if (text === '' || text.length > MAX_PARSED_LENGTH) return text;
  try {
    return structuredKey(text) ?? text;
  } catch {
    return text;
  }
}

/** A number rounded to 10 significant digits, as text; `undefined` for NaN. */
export function numberKey(value: number): string | undefined {
  if (Number.isNaN(value)) return undefined;
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  const rounded = Number(value.toPrecision(SIGNIFICANT_DIGITS));
  return rounded === 0 ? '0' : String(rounded);
}

/** Layout-only LaTeX removed, so that the tokenizer sees one spelling per construct. */
function cleanLatex(raw: string): string {
  let value = raw.trim().replace(/^\$+|\$+$/g, '');
  value = value.replace(/^\\boxed\{(.*)\}$/s, '$1');
  value = value.replace(/\\(?:left|right)(?![a-zA-Z])\s*(\.)?/g, '');
  value = value.replace(/\\(?:displaystyle|textstyle)(?![a-zA-Z])/g, '');
  value = value.replace(/\\[dtc]frac(?![a-zA-Z])/g, '\\frac');
  value = value.replace(/\\(?:text|textbf|textit|textrm|mathrm|mathbf|mbox)\s*\{([^{}]*)\}/g, '$1');
  value = value.replace(/\\(?:q?quad)(?![a-zA-Z])|\\[,;:! ]|~/g, ' ');
  // `1{,}000` and `1\,000` are LaTeX's ways to write a thousands separator.
  value = value.replace(/\{,\}/g, '').replace(/(\d)(?:\\[,;: ]|~|\s)+(?=\d{3}(?!\d))/g, '$1');
  value = value.replace(/\^\s*\{?\s*\\circ\s*\}?|°/g, '');
  value = value.replace(/−/g, '-').replace(/×/g, '\\times ').replace(/·/g, '\\cdot ').replace(/÷/g, '\\div ').replace(/π/g, '\\pi ');
  value = value.replace(/\s+/g, ' ').trim();
  return value.replace(/[.,;]+$/, '').trim();
}

function structuredKey(text: string): string | undefined {
  if (/^[A-Za-z][A-Za-z' -]*[A-Za-z]$/.test(text)) return text.toLowerCase();
  if (/^(?:\\emptyset|\\varnothing|\\\{\s*\\\})$/.test(text)) return '{}';
  if (text.startsWith('\\{') && text.endsWith('\\}') && wrapsWhole(text.slice(1))) return setKey(splitTopLevel(text.slice(2, -2)));
  if (/^[([]/.test(text) && /[)\]]$/.test(text) && wrapsWhole(text)) {
    const parts = splitTopLevel(text.slice(1, -1));
    if (parts.length >= 2) return orderedKey(text[0] ?? '', parts, text[text.length - 1] ?? '');
  }
  if (/^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(text)) return scalarKey(text.replace(/,/g, ''))?.key;
  const parts = splitTopLevel(text);
  return parts.length >= 2 ? setKey(parts) : scalarKey(text)?.key;
}

/** Elements keyed, sorted and deduplicated; `x=1, y=2` keeps the names, `x=1, x=2` drops them. */
function setKey(parts: string[]): string | undefined {
  const elements = elementKeys(parts);
  if (!elements) return undefined;
  const unique = [...new Set(elements)].sort();
  return unique.length === 1 ? unique[0] : `{${unique.join(',')}}`;
}

function orderedKey(open: string, parts: string[], close: string): string | undefined {
  const elements = elementKeys(parts);
  return elements && `${open}${elements.join(',')}${close}`;
}

function elementKeys(parts: string[]): string[] | undefined {
  const scalars = parts.map(scalarKey);
  if (scalars.some((scalar) => scalar === undefined)) return undefined;
  const names = new Set(scalars.map((scalar) => scalar?.name).filter((name) => name !== undefined));
  const keepNames = names.size >= 2;
  return scalars.map((scalar) => (keepNames && scalar?.name ? `${scalar.name}=${scalar.key}` : (scalar?.key ?? '')));
}

/** One answer: an expression, `var = value` (keyed as its value) or another equation. */
function scalarKey(text: string): { key: string; name?: string } | undefined {
  const sides = splitTopLevel(text, '=');
  if (sides.length > 2) return undefined;
  const [left = '', right] = sides;
  if (right === undefined) {
    const expression = toMathjs(left);
    const key = expression === undefined ? undefined : expressionKey(expression);
    return key === undefined ? undefined : { key };
  }
  const name = /^([a-zA-Z])(?:_\{?([a-zA-Z0-9]+)\}?)?$/.exec(left);
  if (name) {
    const key = scalarKey(right)?.key;
    return key === undefined ? undefined : { key, name: name[2] ? `${name[1]}_${name[2]}` : name[1] };
  }
  const lhs = toMathjs(left);
  const rhs = toMathjs(right);
  if (lhs === undefined || rhs === undefined) return undefined;
  const key = expressionKey(`(${lhs}) - (${rhs})`);
  return key === undefined ? undefined : { key: `eq:${key}` };
}

/** The value of a constant expression, or the values of a variable one at fixed points. */
function expressionKey(expression: string): string | undefined {
  const node = parse(expression);
  const names = node
    .filter((child) => 'isSymbolNode' in child && child.isSymbolNode === true)
    .map((child) => (child as unknown as { name: string }).name);
  const variables = [...new Set(names)].filter((name) => !CONSTANTS.has(name) && !MATHJS_FUNCTIONS.has(name)).sort();
  const compiled = node.compile();
  if (variables.length === 0) return valueKey(compiled.evaluate({}));
  const values: string[] = [];
  for (let point = 0; point < SAMPLE_POINTS; point++) {
    const scope = Object.fromEntries(variables.map((name) => [name, samplePoint(name, point)]));
    const value = valueKey(compiled.evaluate(scope));
    if (value === undefined) return undefined;
    values.push(value);
  }
  // An expression whose variables cancel (`x - x + 2`) is the constant it equals.
  return values.every((value) => value === values[0]) ? values[0] : `f:${values.join(';')}`;
}

function valueKey(value: unknown): string | undefined {
  if (typeof value === 'number') return numberKey(value);
  if (!isComplex(value)) return undefined;
  const { re, im } = value as { re: number; im: number };
  if (Math.abs(im) <= 1e-12 * Math.max(1, Math.abs(re))) return numberKey(re);
  const real = numberKey(re);
  const imaginary = numberKey(Math.abs(im));
  return real === undefined || imaginary === undefined ? undefined : `${real}${im < 0 ? '-' : '+'}${imaginary}i`;
}

/** A value in [0.3, 1.7) fixed by the variable's name and the point: the same for every sample. */
function samplePoint(name: string, point: number): number {
  let hash = 2166136261;
  for (const char of `${name}#${point}`) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  return 0.3 + ((hash % 100003) / 100003) * 1.4;
}

/** Whether the bracket that opens `text` is the one that closes it (`(1,2)` yes, `(1)+(2)` no). */
function wrapsWhole(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? '';
    if ('([{'.includes(char)) depth++;
    else if (')]}'.includes(char)) depth--;
    if (depth <= 0 && i < text.length - 1) return false;
  }
  return depth === 0;
}

/** Splits on `separator` outside any bracket. Mixed pairs (`(1,2]`) count as brackets too. */
function splitTopLevel(text: string, separator = ','): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? '';
    if ('([{'.includes(char)) depth++;
    else if (')]}'.includes(char)) depth--;
    else if (char === separator && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

type TokenKind = 'operand' | 'open' | 'close' | 'operator' | 'function' | 'postfix';
interface Token {
  kind: TokenKind;
  text: string;
}

const OPEN: Token = { kind: 'open', text: '(' };
const CLOSE: Token = { kind: 'close', text: ')' };
const operand = (text: string): Token => ({ kind: 'operand', text });
const operator = (text: string): Token => ({ kind: 'operator', text });

/**
 * LaTeX → a mathjs expression built only from our own tokens, so mathjs never sees a construct
 * we did not mean (matrices, units, assignments). Multiplication is made explicit: `x(x+1)`
 * would otherwise be a call of a function named x.
 */
function toMathjs(latex: string): string | undefined {
  const tokens = tokenise(latex);
  if (!tokens || tokens.length === 0) return undefined;
  const parts: string[] = [];
  let previous: Token | undefined;
  for (const token of tokens) {
    const endsOperand = previous && ['operand', 'close', 'postfix'].includes(previous.kind);
    const startsOperand = ['operand', 'open', 'function'].includes(token.kind);
    if (endsOperand && startsOperand) parts.push('*');
    parts.push(token.text);
    previous = token;
  }
  return parts.join(' ');
}

const NUMBER = /\d+(?:\.\d*)?|\.\d+/y;
const VARIABLE = /([a-zA-Z])(?:_(?:([a-zA-Z0-9])|\{([a-zA-Z0-9]+)\}))?/y;
const COMMAND = /\\([a-zA-Z]+|.)/y;

/** Tokens for `latex`, or `undefined` for anything outside the small grammar we understand. */
function tokenise(latex: string): Token[] | undefined {
  const tokens: Token[] = [];
  let insideAbs = false;
  let i = 0;
  while (i < latex.length) {
    const char = latex[i] ?? '';
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(latex);
    if (number) {
      tokens.push(operand(number[0]));
      i = NUMBER.lastIndex;
      continue;
    }
    VARIABLE.lastIndex = i;
    const variable = VARIABLE.exec(latex);
    if (variable) {
      const subscript = variable[2] ?? variable[3];
      tokens.push(operand(subscript ? `${variable[1]}_${subscript}` : (variable[1] ?? '')));
      i = VARIABLE.lastIndex;
      continue;
    }
    if (char === '\\') {
      const command = readCommand(latex, i);
      if (!command) return undefined;
      tokens.push(...command.tokens);
      i = command.end;
      continue;
    }
    if (char === '{') {
      const group = readArgument(latex, i);
      if (!group) return undefined;
      tokens.push(...group.tokens);
      i = group.end;
      continue;
    }
    if (char === '^') {
      const exponent = readArgument(latex, i + 1);
      if (!exponent) return undefined;
      tokens.push(operator('^'), ...exponent.tokens);
      i = exponent.end;
      continue;
    }
    if (char === '|') {
      tokens.push(...(insideAbs ? [CLOSE] : [{ kind: 'function', text: 'abs' } as Token, OPEN]));
      insideAbs = !insideAbs;
    } else if (char === '(' || char === '[') tokens.push(OPEN);
    else if (char === ')' || char === ']') tokens.push(CLOSE);
    else if ('+-*/'.includes(char)) tokens.push(operator(char));
    else if (char === '!') tokens.push({ kind: 'postfix', text: '!' });
    else if (char === '%') tokens.push(operator('/'), operand('100'));
    else return undefined;
    i++;
  }
  return insideAbs ? undefined : tokens;
}

/** A `\command` at `start` and what follows it when the command takes arguments. */
function readCommand(latex: string, start: number): { tokens: Token[]; end: number } | undefined {
  COMMAND.lastIndex = start;
  const match = COMMAND.exec(latex);
  if (!match) return undefined;
  const name = match[1] ?? '';
  const end = COMMAND.lastIndex;
  switch (name) {
    case 'pi':
      return { tokens: [operand('pi')], end };
    case 'infty':
      return { tokens: [operand('Infinity')], end };
    case 'cdot':
    case 'times':
    case 'ast':
      return { tokens: [operator('*')], end };
    case 'div':
      return { tokens: [operator('/')], end };
    case '%':
      return { tokens: [operator('/'), operand('100')], end };
    case 'frac': {
      const numerator = readArgument(latex, end);
      const denominator = numerator && readArgument(latex, numerator.end);
      if (!numerator || !denominator) return undefined;
      return { tokens: [OPEN, ...numerator.tokens, operator('/'), ...denominator.tokens, CLOSE], end: denominator.end };
    }
    case 'sqrt':
      return readRoot(latex, end);
  }
  const fn = FUNCTIONS[name];
  if (!fn) return undefined;
  // `\sin(x)` lets the parenthesis that follows be the call's; `\sin x` and `\sin{x}` take one atom.
  let next = end;
  while (latex[next] === ' ') next++;
  if (latex[next] === '(') return { tokens: [{ kind: 'function', text: fn }], end: next };
  const argument = readArgument(latex, next);
  return argument && { tokens: [{ kind: 'function', text: fn }, ...argument.tokens], end: argument.end };
}

/** `\sqrt{x}`, `\sqrt2` or `\sqrt[n]{x}`. */
function readRoot(latex: string, start: number): { tokens: Token[]; end: number } | undefined {
  if (latex[start] !== '[') {
    const radicand = readArgument(latex, start);
    return radicand && { tokens: [{ kind: 'function', text: 'sqrt' }, ...radicand.tokens], end: radicand.end };
  }
  const close = latex.indexOf(']', start);
  const index = close < 0 ? undefined : tokenise(latex.slice(start + 1, close));
  const radicand = index && readArgument(latex, close + 1);
  if (!index || !radicand) return undefined;
  return { tokens: [{ kind: 'function', text: 'nthRoot' }, OPEN, ...radicand.tokens, operator(','), ...index, CLOSE], end: radicand.end };
}

/** A TeX argument — `{group}`, one digit, one letter or one argument-less command — in parentheses. */
function readArgument(latex: string, start: number): { tokens: Token[]; end: number } | undefined {
  let i = start;
  while (latex[i] === ' ') i++;
  const char = latex[i] ?? '';
  if (char === '{') {
    const close = matchingBrace(latex, i);
    const inner = close < 0 ? undefined : tokenise(latex.slice(i + 1, close));
    return inner && inner.length > 0 ? { tokens: [OPEN, ...inner, CLOSE], end: close + 1 } : undefined;
  }
  if (/[0-9a-zA-Z]/.test(char)) return { tokens: [OPEN, operand(char), CLOSE], end: i + 1 };
  if (char !== '\\') return undefined;
  const command = readCommand(latex, i);
  return command && command.tokens.length === 1 && command.tokens[0]?.kind === 'operand'
    ? { tokens: [OPEN, ...command.tokens, CLOSE], end: command.end }
    : undefined;
}

/** Index of the `}` that closes the `{` at `open`, or -1; escaped braces `\{ \}` do not count. */
function matchingBrace(latex: string, open: number): number {
  let depth = 0;
  for (let i = open; i < latex.length; i++) {
    const char = latex[i];
    if (char === '\\') {
      i++;
      continue;
    }
    if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return i;
  }
  return -1;
}
