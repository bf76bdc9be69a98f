import { randomBytes } from 'node:crypto';
import { canonicalLanguage } from '../code-answer';
import type { CodeExample } from './code-examples';
import { isSandboxLanguage, type SandboxLanguage, type SandboxLimits, type SandboxResult } from './sandbox';

/** What runs the program: a ProcessSandbox, or a fake in unit tests. */
export interface ProgramRunner {
  run(language: SandboxLanguage, program: string, limits?: Partial<SandboxLimits>): Promise<SandboxResult>;
}

export interface ExampleCheck {
  label: string;
  passed: boolean;
  /** The example's expected value as written (for an assert, the right side of `==` when there is one). */
  expected: string;
  /** The solution's value, as the language prints it; at most {@link MAX_VALUE_CHARS} characters. */
  actual: string;
  /** Why it did not pass when no value was compared: 'timeout', 'exception: ZeroDivisionError: …'. */
  error?: string;
}

export interface ExampleChecks {
  examplesPassed: number;
  examplesTotal: number;
  examples: ExampleCheck[];
  /** Set when nothing was run: no examples, or a language the sandbox does not execute. */
  skippedReason?: string;
}

/** Characters kept of a value or an error message. */
export const MAX_VALUE_CHARS = 200;

/**
 * Runs the solution against every example in one sandboxed program: the program defines the
 * solution, then calls each example inside its own try, printing one marked JSON line per example.
 * Examples the program never reports (it timed out, ran out of memory, crashed) fail with that reason.
 */
export async function checkExamples(
  solution: { language: string; code: string },
  examples: CodeExample[],
  sandbox: ProgramRunner,
  limits?: Partial<SandboxLimits>,
): Promise<ExampleChecks> {
  const language = canonicalLanguage(solution.language) || solution.language;
  if (examples.length === 0) return skipped('the problem gives no examples');
  if (!isSandboxLanguage(language)) return skipped(`language ${language || 'unknown'} is not executed`);

  const marker = `@@slm-example-${randomBytes(8).toString('hex')}@@`;
  const payload = JSON.stringify({ marker, code: solution.code, examples });
  const program = language === 'python' ? pythonProgram(payload) : javascriptProgram(payload);
  const result = await sandbox.run(language, program, limits);
  const reported = reportedLines(result.stdout, marker);
  const unreportedReason = reasonOfRun(result);

  const checks = examples.map((example, index): ExampleCheck => {
    const line = reported.get(index);
    if (!line) return { label: example.label, passed: false, expected: example.expected, actual: '', error: unreportedReason };
    return {
      label: example.label,
      passed: line.passed === true,
      expected: truncate(typeof line.expected === 'string' ? line.expected : example.expected),
      actual: truncate(typeof line.actual === 'string' ? line.actual : ''),
      ...(typeof line.error === 'string' ? { error: truncate(line.error) } : {}),
    };
  });
  return { examplesPassed: checks.filter((check) => check.passed).length, examplesTotal: checks.length, examples: checks };
}

function skipped(skippedReason: string): ExampleChecks {
  return { examplesPassed: 0, examplesTotal: 0, examples: [], skippedReason };
}

interface ReportedLine {
  index?: unknown;
  passed?: unknown;
  actual?: unknown;
  expected?: unknown;
  error?: unknown;
}

function reportedLines(stdout: string, marker: string): Map<number, ReportedLine> {
  const lines = new Map<number, ReportedLine>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(marker)) continue;
    try {
      const parsed = JSON.parse(line.slice(marker.length)) as ReportedLine;
      if (typeof parsed.index === 'number' && !lines.has(parsed.index)) lines.set(parsed.index, parsed);
    } catch {
      // A line cut by the output cap or a kill: that example counts as unreported.
    }
  }
  return lines;
}

function reasonOfRun(result: SandboxResult): string {
  switch (result.status) {
    case 'ok':
      return 'no result: the program exited before this example';
    case 'timeout':
      return 'timeout';
    case 'memory':
      return 'memory limit';
    case 'output-limit':
      return 'output limit';
    case 'killed':
      return `killed (${result.signal ?? 'signal'})`;
    case 'error':
      return truncate(`crashed: ${lastLine(result.stderr) || `exit code ${result.exitCode}`}`);
    default:
      return assertUnreachable(result.status);
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}

function truncate(text: string): string {
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

function assertUnreachable(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}

// The payload travels as a JSON string literal, which both languages read as a string literal.
function pythonProgram(payload: string): string {
  return `import ast, contextlib, io, json, math, sys
_slm = json.loads(${JSON.stringify(payload)})
_slm_stdout = sys.stdout
_SLM_MAX = ${MAX_VALUE_CHARS}
sys.setrecursionlimit(10000)

# What LeetCode and MBPP solutions expect to find already imported.
_SLM_PRELUDE = """
from typing import *
import bisect, collections, functools, heapq, itertools, math, operator, re, string
from collections import *
from heapq import *
from bisect import *
from itertools import *
from functools import *
"""

def _slm_report(index, passed, actual="", error=None, expected=None):
    line = {"index": index, "passed": bool(passed), "actual": actual[:_SLM_MAX]}
    if error is not None:
        line["error"] = error[:_SLM_MAX]
    if expected is not None:
        line["expected"] = expected[:_SLM_MAX]
    _slm_stdout.write(_slm["marker"] + json.dumps(line) + "\\n")
    _slm_stdout.flush()

class _SlmCapped(io.StringIO):
    """Keeps the solution's own prints small, so they cannot use up the output cap."""
    def write(self, text):
        room = 4096 - self.tell()
        if room > 0:
            super().write(text[:room])
        return len(text)

def _slm_same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_slm_same(x, y) for x, y in zip(a, b))
    return a == b

def _slm_ordered(value, any_order):
    return sorted(value, key=repr) if any_order and isinstance(value, (list, tuple)) else value

def _slm_eval(node, namespace):
    return eval(compile(ast.Expression(node), "<example>", "eval"), namespace)

def _slm_check(example, namespace, printed):
    kind, call = example["kind"], example["call"]
    if kind == "io":
        actual, expected = eval(call, namespace), eval(example["expected"], namespace)
        any_order = example.get("anyOrder", False)
        return _slm_same(_slm_ordered(actual, any_order), _slm_ordered(expected, any_order)), repr(actual), None
    if kind == "assert":
        tree = ast.parse(call, mode="eval").body
        if isinstance(tree, ast.Compare) and len(tree.ops) == 1 and isinstance(tree.ops[0], ast.Eq):
            actual, expected = _slm_eval(tree.left, namespace), _slm_eval(tree.comparators[0], namespace)
            return actual == expected, repr(actual), repr(expected)
        actual = eval(call, namespace)
        return bool(actual), repr(actual), None
    # doctest: a value is compared by repr or by value; a statement by what it printed.
    try:
        code = compile(call, "<example>", "eval")
    except SyntaxError:
        exec(compile(call, "<example>", "exec"), namespace)
        code = None
    actual = eval(code, namespace) if code else None
    if actual is None:
        shown = printed.getvalue().strip()
        return shown == example["expected"].strip(), shown, None
    if repr(actual) == example["expected"]:
        return True, repr(actual), None
    try:
        return _slm_same(actual, eval(example["expected"], namespace)), repr(actual), None
    except Exception:
        return False, repr(actual), None

def _slm_reason(error):
    if isinstance(error, MemoryError):
        return "memory"
    return "exception: %s: %s" % (type(error).__name__, error)

def _slm_main():
    namespace = {"__name__": "solution", "__builtins__": __builtins__}
    try:
        exec(_SLM_PRELUDE, namespace)
        with contextlib.redirect_stdout(_SlmCapped()):
            exec(compile(_slm["code"], "solution.py", "exec"), namespace)
    except BaseException as error:
        for index in range(len(_slm["examples"])):
            _slm_report(index, False, error="solution failed to load: " + _slm_reason(error))
        return
    for index, example in enumerate(_slm["examples"]):
        printed = _SlmCapped()
        try:
            with contextlib.redirect_stdout(printed):
                passed, actual, expected = _slm_check(example, namespace, printed)
            _slm_report(index, passed, actual, expected=expected)
        except BaseException as error:
            _slm_report(index, False, error=_slm_reason(error))

_slm_main()
`;
}

function javascriptProgram(payload: string): string {
  return `const __slm = JSON.parse(${JSON.stringify(payload)});
const __slmVm = require('node:vm');
const __slmFs = require('node:fs');
const __SLM_MAX = ${MAX_VALUE_CHARS};
// Scripts run by vm.runInThisContext share globals: the solution's top-level functions are callable by the examples.
globalThis.require = require;
globalThis.module = { exports: {} };
globalThis.exports = globalThis.module.exports;

function __slmReport(index, passed, actual, error) {
  const line = { index, passed, actual: String(actual).slice(0, __SLM_MAX) };
  if (error !== undefined) line.error = String(error).slice(0, __SLM_MAX);
  __slmFs.writeSync(1, __slm.marker + JSON.stringify(line) + '\\n');
}

// The solution's own prints are dropped, so they cannot use up the output cap.
function __slmQuiet(run) {
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug, write: process.stdout.write };
  for (const name of ['log', 'info', 'warn', 'error', 'debug']) console[name] = () => undefined;
  process.stdout.write = () => true;
  try {
    return run();
  } finally {
    Object.assign(console, { log: saved.log, info: saved.info, warn: saved.warn, error: saved.error, debug: saved.debug });
    process.stdout.write = saved.write;
  }
}

function __slmShow(value) {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text;
  } catch {
    return String(value);
  }
}

function __slmSame(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a === b || Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => __slmSame(item, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => __slmSame(a[key], b[key]));
  }
  return a === b;
}

function __slmOrdered(value, anyOrder) {
  return anyOrder && Array.isArray(value) ? [...value].sort((x, y) => (__slmShow(x) < __slmShow(y) ? -1 : 1)) : value;
}

function __slmReason(error) {
  return 'exception: ' + (error && error.name ? error.name + ': ' + error.message : String(error));
}

let __slmLoadError;
try {
  __slmQuiet(() => __slmVm.runInThisContext(__slm.code, { filename: 'solution.js' }));
} catch (error) {
  __slmLoadError = error;
}
__slm.examples.forEach((example, index) => {
  if (__slmLoadError !== undefined) return __slmReport(index, false, '', 'solution failed to load: ' + __slmReason(__slmLoadError));
  try {
    const actual = __slmQuiet(() => __slmVm.runInThisContext(example.call, { filename: 'example.js' }));
    const expected = __slmVm.runInThisContext('(' + example.expected + ')');
    const passed = __slmSame(__slmOrdered(actual, example.anyOrder), __slmOrdered(expected, example.anyOrder));
    __slmReport(index, passed, __slmShow(actual));
  } catch (error) {
    __slmReport(index, false, '', __slmReason(error));
  }
});
`;
}
