import { canonicalLanguage } from '../code-answer';

export type CodeExampleKind = 'io' | 'doctest' | 'assert';

/** One example a problem gives, as source text in the solution's language. */
export interface CodeExample {
  /** io: LeetCode "Input/Output"; doctest: `>>> f(x)` and its output; assert: MBPP `assert …`. */
  kind: CodeExampleKind;
  /** An expression that calls the solution (`Solution().twoSum(nums=[2, 7], target=9)`);
   *  for `assert`, the whole asserted expression. */
  call: string;
  /** A literal of the expected value; for doctest, the expected output text; '' for assert. */
  expected: string;
  /** Short text for people, e.g. "Example 1". */
  label: string;
  /** The problem accepts the answer's items in any order ("return the answer in any order"). */
  anyOrder?: boolean;
}

/**
 * The examples a problem gives, ready to run against a solution in `language`. Only Python and
 * JavaScript get examples (doctest and assert lines are Python). Shapes it does not understand
 * give no example: a check that runs the wrong call would fail correct solutions.
 */
export function extractExamples(problemText: string, language: string): CodeExample[] {
  try {
    const target = canonicalLanguage(language);
    if (target !== 'python' && target !== 'javascript') return [];
    const found = [
      ...ioExamples(problemText, target),
      ...(target === 'python' ? [...doctestExamples(problemText), ...assertExamples(problemText)] : []),
    ];
    return found.map((example, index) => ({ ...example, label: `Example ${index + 1}` }));
  } catch {
    return []; // a parser bug must never fail the solve
  }
}

type Unlabelled = Omit<CodeExample, 'label'>;

// ---------------------------------------------------------------- LeetCode Input/Output

interface Stub {
  /** `Solution().name` or `name`. */
  callee: string;
  params: string[];
}

function ioExamples(text: string, language: 'python' | 'javascript'): Unlabelled[] {
  // Linked lists and trees are written as arrays in the examples but passed as nodes; in-place
  // answers are read from an argument, not the return value. A call built from the text would be wrong.
  if (/\b(?:ListNode|TreeNode)\b|do not return anything|modify \w+ in-place/i.test(text)) return [];
  const stub = language === 'python' ? pythonStub(text) : javascriptStub(text);
  if (!stub) return [];
  const anyOrder = /\bin any order\b/i.test(text);
  const examples: Unlabelled[] = [];
  for (const { input, output } of inputOutputPairs(text)) {
    const args = parseArguments(input);
    const expected = parseWholeLiteral(output);
    if (!args || expected === undefined) continue;
    const call = callOf(stub, args, language);
    if (call === undefined) continue;
    examples.push({ kind: 'io', call, expected: render(expected, language), ...(anyOrder ? { anyOrder } : {}) });
  }
  return examples;
}

function pythonStub(text: string): Stub | undefined {
  const methods = /class\s+Solution\b[^:\n]*:([\s\S]*)/.exec(text)?.[1];
  if (methods) {
    for (const match of methods.matchAll(/def\s+(\w+)\s*\(\s*self\s*,?([^)]*)\)/g)) {
      const [, name = '', params = ''] = match;
      if (!name.startsWith('__')) return { callee: `Solution().${name}`, params: parameterNames(params) };
    }
  }
  const fn = /^def\s+(\w+)\s*\(([^)]*)\)/m.exec(text);
  return fn ? { callee: fn[1] ?? '', params: parameterNames(fn[2] ?? '') } : undefined;
}

function javascriptStub(text: string): Stub | undefined {
  const match =
    /\b(?:var|let|const)\s+(\w+)\s*=\s*(?:function\s*\w*\s*\(([^)]*)\)|\(([^)]*)\)\s*=>)/.exec(text) ??
    /\bfunction\s+(\w+)\s*\(([^)]*)\)/.exec(text);
  if (!match) return undefined;
  return { callee: match[1] ?? '', params: parameterNames(match[2] ?? match[3] ?? '') };
}

// `nums: List[int], target: Dict[str, int] = None` → ['nums', 'target'] (commas inside brackets are not separators).
function parameterNames(list: string): string[] {
  return splitTopLevel(list)
    .parts.map((param) => /^\s*\**(\w+)/.exec(param)?.[1] ?? '')
    .filter((name) => name !== '' && name !== 'self');
}

function inputOutputPairs(text: string): Array<{ input: string; output: string }> {
  const plain = text.replace(/<\/?(?:strong|b|code|pre)>|\*\*|`/gi, '');
  const pairs: Array<{ input: string; output: string }> = [];
  for (const match of plain.matchAll(/^[ \t>]*Input\s*:\s*([\s\S]*?)^[ \t>]*Output\s*:\s*(.*)$/gim)) {
    pairs.push({ input: (match[1] ?? '').trim(), output: (match[2] ?? '').trim() });
  }
  return pairs;
}

interface Argument {
  name?: string;
  value: Literal;
}

// `nums = [2,7,11,15], target = 9`, or bare values: `[1,2,3]`, `"abc", 2`.
function parseArguments(input: string): Argument[] | undefined {
  const scanner = new LiteralScanner(input);
  const args: Argument[] = [];
  while (!scanner.done()) {
    const name = scanner.name();
    const value = scanner.literal();
    if (value === undefined) return undefined;
    args.push({ ...(name ? { name } : {}), value });
    if (!scanner.done() && !scanner.skip(',')) return undefined;
  }
  return args.length > 0 ? args : undefined;
}

function parseWholeLiteral(text: string): Literal | undefined {
  const scanner = new LiteralScanner(text);
  const value = scanner.literal();
  return value !== undefined && scanner.done() ? value : undefined;
}

// Keyword arguments when the names match the stub (Python), else in the stub's order; positional
// in the order given when the example names no parameters.
function callOf(stub: Stub, args: Argument[], language: 'python' | 'javascript'): string | undefined {
  const named = args.every((arg) => arg.name !== undefined && stub.params.includes(arg.name));
  if (!named && args.length !== stub.params.length) return undefined;
  const rendered = (arg: Argument) => render(arg.value, language);
  if (!named) return `${stub.callee}(${args.map(rendered).join(', ')})`;
  if (language === 'python') return `${stub.callee}(${args.map((arg) => `${arg.name}=${rendered(arg)}`).join(', ')})`;
  const byName = new Map(args.map((arg) => [arg.name, arg]));
  if (byName.size !== stub.params.length) return undefined;
  return `${stub.callee}(${stub.params.map((param) => rendered(byName.get(param) as Argument)).join(', ')})`;
}

// ---------------------------------------------------------------- literals

type Literal = number | string | boolean | null | Literal[] | { number: string };

function render(value: Literal, language: 'python' | 'javascript'): string {
  if (value === null) return language === 'python' ? 'None' : 'null';
  if (typeof value === 'boolean') return language === 'python' ? (value ? 'True' : 'False') : String(value);
  if (typeof value === 'string') return JSON.stringify(value); // JSON string escapes are valid in both
  if (Array.isArray(value)) return `[${value.map((item) => render(item, language)).join(', ')}]`;
  if (typeof value === 'object') return value.number;
  return String(value);
}

/** Reads the JSON-like literals of LeetCode examples: numbers, quoted strings, lists, true/false/null. */
class LiteralScanner {
  private position = 0;

  constructor(private readonly text: string) {}

  done(): boolean {
    this.skipSpace();
    return this.position >= this.text.length;
  }

  skip(char: string): boolean {
    this.skipSpace();
    if (this.text[this.position] !== char) return false;
    this.position++;
    return true;
  }

  /** `name =` before a value, consumed when present. */
  name(): string | undefined {
    this.skipSpace();
    const match = /^([A-Za-z_]\w*)\s*=(?!=)/.exec(this.text.slice(this.position));
    if (!match) return undefined;
    this.position += match[0].length;
    return match[1];
  }

  literal(): Literal | undefined {
    this.skipSpace();
    const rest = this.text.slice(this.position);
    const char = rest[0];
    if (char === '[') return this.list();
    if (char === '"' || char === "'") return this.string(char);
    const word = /^(?:true|false|null|True|False|None)\b/.exec(rest)?.[0];
    if (word) {
      this.position += word.length;
      return word === 'null' || word === 'None' ? null : word.toLowerCase() === 'true';
    }
    const number = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(rest)?.[0];
    if (!number) return undefined;
    this.position += number.length;
    // Kept as written: 2.00000 stays a float in Python, a 20-digit id keeps its digits.
    return { number };
  }

  private list(): Literal[] | undefined {
    this.position++; // [
    const items: Literal[] = [];
    if (this.skip(']')) return items;
    for (;;) {
      const item = this.literal();
      if (item === undefined) return undefined;
      items.push(item);
      if (this.skip(']')) return items;
      if (!this.skip(',')) return undefined;
    }
  }

  private string(quote: string): string | undefined {
    let value = '';
    for (let i = this.position + 1; i < this.text.length; i++) {
      const char = this.text[i];
      if (char === quote) {
        this.position = i + 1;
        return value;
      }
      if (char === '\\') {
        const next = this.text[++i] ?? '';
        value += ({ n: '\n', t: '\t', r: '\r' } as Record<string, string>)[next] ?? next;
      } else {
        value += char;
      }
    }
    return undefined;
  }

  private skipSpace(): void {
    while (this.position < this.text.length && /\s/.test(this.text[this.position] ?? '')) this.position++;
  }
}

// ---------------------------------------------------------------- Python doctest and assert

// `>>> f(1, 2)` (with `... ` continuation lines), then the expected output up to a blank line,
// the next `>>>`, or the end of the docstring.
function doctestExamples(text: string): Unlabelled[] {
  const lines = text.split(/\r?\n/);
  const examples: Unlabelled[] = [];
  for (let i = 0; i < lines.length; i++) {
    const prompt = /^\s*>>>\s?(.*)$/.exec(lines[i] ?? '');
    if (!prompt) continue;
    const source = [prompt[1] ?? ''];
    while (/^\s*\.\.\.(?:\s|$)/.test(lines[i + 1] ?? '')) source.push((lines[++i] ?? '').replace(/^\s*\.\.\.\s?/, ''));
    const expected: string[] = [];
    while (i + 1 < lines.length && isDoctestOutput(lines[i + 1] ?? '')) expected.push((lines[++i] ?? '').trim());
    const call = source.join('\n').trim();
    // Setup lines (`>>> x = 3`, imports) print nothing and check nothing; tracebacks are not compared.
    if (expected.length === 0 || call === '' || expected[0]?.startsWith('Traceback')) continue;
    examples.push({ kind: 'doctest', call, expected: expected.join('\n') });
  }
  return examples;
}

function isDoctestOutput(line: string): boolean {
  const trimmed = line.trim();
  return trimmed !== '' && !trimmed.startsWith('>>>') && !/^[rRbBuU]?("""|''')/.test(trimmed) && !/("""|''')$/.test(trimmed);
}

// One MBPP-style `assert <expression>` per line; a message after a top-level comma is dropped.
function assertExamples(text: string): Unlabelled[] {
  const examples: Unlabelled[] = [];
  for (const match of text.matchAll(/^[ \t]*assert\s+(.+?)\s*$/gm)) {
    const { parts, balanced } = splitTopLevel(match[1] ?? '');
    const expression = parts[0]?.trim();
    if (!expression || !balanced) continue;
    examples.push({ kind: 'assert', call: expression, expected: '' });
  }
  return examples;
}

/** Splits on commas outside brackets and quotes; `balanced` is false when a bracket or quote is left open. */
function splitTopLevel(text: string): { parts: string[]; balanced: boolean } {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  let balanced = true;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? '';
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if ('([{'.includes(char)) depth++;
    else if (')]}'.includes(char)) balanced = --depth >= 0 && balanced;
    else if (char === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return { parts, balanced: balanced && depth === 0 && quote === undefined };
}
