/**
 * Lines that open a function for the reader to write: a signature ending in `{` (C, Java, C#, Go, Rust,
 * Swift, Kotlin, Scala, PHP, JavaScript, R, Bash `name() {`), a JavaScript arrow opening its body, or a
 * line that starts with a function keyword (`def`, `function`, `fn`, `func`, `fun`, `sub`, `proc`)
 * followed by a name and its parameters (Python, Ruby, Lua, Julia, Perl…). Between the signature's `)` and
 * its `{` no backslash may stand, so LaTeX's `\left\{` opens no body.
 */
const STUB_LINES: readonly RegExp[] = [
  /\)[^(){};\\]*\{$/,
  /=>\s*\{$/,
  /^\s*(?:async\s+def|def|local\s+function|function|fn|func|fun|sub|proc)\s+[\w.:!?$<>]+\s*\(.*\)/,
  /^\s*(?:def|sub)\s+[\w.!?]+\s*\{?$/,
];

/**
 * True when the last line of `text` with anything on it opens a function: a code task whose stub sits at
 * the end, however long the statement above it (LeetCode's `class Solution` method, a MultiPL-E
 * signature under its docstring comment). In the training data 3,396 texts end so, all of them code; no
 * math, science or `other` text of the training data, the seed files or the test sets does.
 */
export function endsWithCodeStub(text: string): boolean {
  let end = text.length;
  while (end > 0 && /\s/.test(text[end - 1])) end--;
  if (end === 0) return false;
  const start = text.lastIndexOf('\n', end - 1) + 1;
  const line = text.slice(start, end);
  return STUB_LINES.some((pattern) => pattern.test(line));
}
