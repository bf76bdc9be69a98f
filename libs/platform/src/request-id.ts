import { z } from 'zod';
import { AppError, ErrorCode } from './app.errors';

/** The longest request id or idempotency key accepted anywhere. */
export const REQUEST_ID_MAX_CHARS = 128;

/**
 * The one definition of a caller-chosen id (a problem's requestId, a batch's idempotency key, a
 * worker call's x-request-id): 1 to 128 ASCII letters, digits, `.`, `_`, `:` and `-`. Ids travel
 * in gRPC metadata and HTTP headers (which take printable ASCII only), Redis keys and log lines;
 * this alphabet is safe in all of them and covers UUIDs, ULIDs and `tenant:job-1.2` styles.
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The rule in words, as error messages and docs state it. */
export const REQUEST_ID_RULE = `1 to ${REQUEST_ID_MAX_CHARS} characters from A-Z a-z 0-9 . _ : -`;

const ALLOWED_CHAR = /^[A-Za-z0-9._:-]$/;

/** What is wrong with an id, or undefined when it follows {@link REQUEST_ID_PATTERN}. */
export function requestIdProblem(value: string): string | undefined {
  if (REQUEST_ID_PATTERN.test(value)) return undefined;
  const rule = `must be ${REQUEST_ID_RULE}`;
  if (value.length === 0) return `${rule}; it is empty`;
  if (value.length > REQUEST_ID_MAX_CHARS) return `${rule}; it has ${value.length} characters`;
  const chars = [...value];
  const index = chars.findIndex((char) => !ALLOWED_CHAR.test(char));
  return `${rule}; character ${index + 1} is ${describeChar(chars[index] ?? '')}`;
}

/** `U+00E9 (é)`, or just `U+000D` for a character that does not print. */
function describeChar(char: string): string {
  const codePoint = char.codePointAt(0) ?? 0;
  const name = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  return /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(char) ? `${name} (${char})` : name;
}

/** A caller-chosen id in request schemas (REST bodies, batch lines); the OpenAPI document shows the pattern. */
export const requestIdSchema = z.string().regex(REQUEST_ID_PATTERN, { error: (issue) => requestIdProblem(String(issue.input)) });

/**
 * Checks an id that arrived without a schema (gRPC fields, headers, metadata): returns it, or
 * throws INVALID_ARGUMENT `<field>: must be 1 to 128 characters from …; <what is wrong>`.
 */
export function checkRequestId(value: string, field: string): string {
  const problem = requestIdProblem(value);
  if (problem) throw new AppError(ErrorCode.INVALID_ARGUMENT, `${field}: ${problem}`);
  return value;
}
