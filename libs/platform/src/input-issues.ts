import type { z } from 'zod';
import { echoInput } from './app.errors';

/** How many problems one error message lists; the rest are counted. */
const MAX_ISSUES = 10;
/** How many unknown keys one problem names. */
const MAX_KEYS = 5;

type Issue = z.core.$ZodIssue;

/**
 * One message for a failed validation: `<label>: <problem>; …`, at most ten problems. The
 * labels come from `label(path)` with each path segment quoted through {@link echoInput}, and
 * unknown keys are quoted the same way: an input's own keys are caller input. A union whose
 * input matched one option's type reports that option's problems (zod only says "Invalid input").
 */
export function describeIssues(error: z.ZodError, label: (path: string[]) => string): string {
  const issues = flatten(error.issues, []);
  const shown = issues
    .slice(0, MAX_ISSUES)
    .map(({ issue, path }) => `${label(path.map((segment) => echoInput(String(segment))))}: ${messageOf(issue)}`);
  if (issues.length > MAX_ISSUES) shown.push(`and ${issues.length - MAX_ISSUES} more`);
  return shown.join('; ');
}

function flatten(issues: readonly Issue[], prefix: PropertyKey[]): { issue: Issue; path: PropertyKey[] }[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [{ issue, path }];
    // An option whose only problem is the input's type at its root did not match; the first option
    // that did is the one the caller meant.
    const meant = issue.errors.find((option) => !option.every((inner) => inner.code === 'invalid_type' && inner.path.length === 0));
    if (meant) return flatten(meant, path);
    const expected = [
      ...new Set(
        issue.errors
          .flat()
          .map((inner) => (inner.code === 'invalid_type' ? inner.expected : undefined))
          .filter(Boolean),
      ),
    ];
    return [{ issue: { ...issue, message: expected.length ? `Invalid input: expected ${expected.join(' or ')}` : issue.message }, path }];
  });
}

function messageOf(issue: Issue): string {
  if (issue.code !== 'unrecognized_keys') return issue.message;
  const keys = issue.keys.slice(0, MAX_KEYS).map((key) => `"${echoInput(key)}"`);
  const more = issue.keys.length > MAX_KEYS ? ` and ${issue.keys.length - MAX_KEYS} more` : '';
  return `Unrecognized key${issue.keys.length === 1 ? '' : 's'}: ${keys.join(', ')}${more}`;
}
