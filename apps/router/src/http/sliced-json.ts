import { AppError, ErrorCode, echoInput } from '@slm/platform';
import { TextDecoder } from 'node:util';
import type { TimeSlicer } from '../batches/time-slicer';

/**
 * Bound on another library's message that quotes caller input (the JSON parser's snippet of the
 * body, Fastify's refusal of an undecodable URL), passed on through echoInput.
 */
export const QUOTED_MESSAGE_MAX_CHARS = 160;

/** A container shorter than this is one JSON.parse call (well under a millisecond); a longer one is taken apart. */
const LEAF_BYTES = 64 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const NEWLINE = 0x0a;

/** Options of {@link parseJsonInSlices} and {@link parseJsonLinesInSlices}. */
export interface SlicedParseOptions {
  /** Hands the event loop back between items. */
  slicer: TimeSlicer;
  /**
   * Most items in the body's list of items (the top-level array, or the `problems` array of a
   * top-level object; every line of JSONL). Counted before an item is parsed: a list one item too
   * long is refused at that item, without reading the rest. Default: no limit.
   */
  maxItems?: number;
  /** The error for a list longer than maxItems. */
  tooMany?: (maxItems: number) => AppError;
}

interface Parse extends SlicedParseOptions {
  bytes: Uint8Array;
  decoder: TextDecoder;
}

/**
 * JSON.parse for bodies of many megabytes, in slices, straight from the received bytes: arrays and
 * objects longer than 64 KiB are taken apart item by item (each small item is decoded and parsed on
 * its own), and the event loop is handed back between items. One JSON.parse of 50 MB (with the
 * decoding of the whole body into one string before it) holds the router for a second and more;
 * this never runs longer than the slicer's budget plus one item, and never holds the body as a
 * string. The structure between items is ASCII, so a UTF-8 byte never looks like a delimiter; every
 * item is decoded strictly, so a body that is not UTF-8 is refused ('body is not valid UTF-8').
 * The result equals JSON.parse's.
 */
export async function parseJsonInSlices(bytes: Uint8Array, options: SlicedParseOptions): Promise<unknown> {
  const parse: Parse = { ...options, bytes, decoder: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }) };
  const start = skipSpace(bytes, startOf(bytes));
  const first = bytes[start];
  const listed = options.maxItems !== undefined;
  let parsed: { value: unknown; end: number };
  if (first === OPEN_ARRAY && listed) parsed = await parseArray(parse, start, '', true);
  else if (first === OPEN_OBJECT && listed) parsed = await parseObject(parse, start, '', true);
  else parsed = await parseValue(parse, start, '');
  const rest = skipSpace(bytes, parsed.end);
  if (rest < bytes.length) throw malformed(`unexpected '${snippet(bytes, rest)}' after the JSON value (position ${rest})`);
  return parsed.value;
}

/** The items of a JSONL upload, in slices; blank lines are skipped, a bad line names its number. */
export async function parseJsonLinesInSlices(bytes: Uint8Array, options: SlicedParseOptions): Promise<unknown[]> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const items: unknown[] = [];
  let lineNumber = 0;
  for (let start = startOf(bytes); start <= bytes.length;) {
    const newline = bytes.indexOf(NEWLINE, start);
    const end = newline < 0 ? bytes.length : newline;
    const line = decode(decoder, bytes, start, end).trim();
    start = end + 1;
    lineNumber++;
    if (!line) continue;
    checkCount(options, items.length);
    try {
      items.push(JSON.parse(line));
    } catch (error) {
      throw new AppError(
        ErrorCode.INVALID_ARGUMENT,
        `line ${lineNumber} of the upload is not JSON: ${echoInput((error as Error).message, QUOTED_MESSAGE_MAX_CHARS)}`,
      );
    }
    await options.slicer.maybeYield();
  }
  if (items.length === 0) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'the upload has no problems');
  return items;
}

/** The error for bytes that are not UTF-8. */
export function notUtf8(): AppError {
  return new AppError(ErrorCode.INVALID_ARGUMENT, 'body is not valid UTF-8');
}

/** Past a leading byte-order mark. */
function startOf(bytes: Uint8Array): number {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}

function decode(decoder: TextDecoder, bytes: Uint8Array, start: number, end: number): string {
  try {
    return decoder.decode(bytes.subarray(start, end));
  } catch {
    throw notUtf8();
  }
}

function checkCount(options: SlicedParseOptions, count: number): void {
  if (options.maxItems === undefined || count < options.maxItems) return;
  throw options.tooMany?.(options.maxItems) ?? new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `more than ${options.maxItems} items`);
}

async function parseValue(parse: Parse, start: number, path: string): Promise<{ value: unknown; end: number }> {
  const first = parse.bytes[start];
  if (first === OPEN_ARRAY || first === OPEN_OBJECT) {
    const end = endOfContainer(parse.bytes, start, LEAF_BYTES);
    if (end >= 0) return { value: parseLeaf(parse, start, end, path), end };
    return first === OPEN_ARRAY ? parseArray(parse, start, path, false) : parseObject(parse, start, path, false);
  }
  const end = first === QUOTE ? endOfString(parse.bytes, start) : endOfScalar(parse.bytes, start);
  return { value: parseLeaf(parse, start, end, path), end };
}

async function parseArray(parse: Parse, start: number, path: string, listed: boolean): Promise<{ value: unknown[]; end: number }> {
  const { bytes } = parse;
  const items: unknown[] = [];
  let at = skipSpace(bytes, start + 1);
  if (bytes[at] === CLOSE_ARRAY) return { value: items, end: at + 1 };
  for (;;) {
    if (listed) checkCount(parse, items.length);
    const item = await parseValue(parse, at, `${path}[${items.length}]`);
    items.push(item.value);
    await parse.slicer.maybeYield();
    at = skipSpace(bytes, item.end);
    const next = bytes[at];
    if (next === CLOSE_ARRAY) return { value: items, end: at + 1 };
    if (next !== COMMA) throw unexpected(bytes, at, `${path}[${items.length - 1}]`);
    at = skipSpace(bytes, at + 1);
  }
}

async function parseObject(
  parse: Parse,
  start: number,
  path: string,
  top: boolean,
): Promise<{ value: Record<string, unknown>; end: number }> {
  const { bytes } = parse;
  const object: Record<string, unknown> = {};
  let at = skipSpace(bytes, start + 1);
  if (bytes[at] === CLOSE_OBJECT) return { value: object, end: at + 1 };
  for (;;) {
    if (bytes[at] !== QUOTE) throw unexpected(bytes, at, path || 'the body');
    const keyEnd = endOfString(bytes, at);
    const key = parseLeaf(parse, at, keyEnd, path || 'the body') as string;
    at = skipSpace(bytes, keyEnd);
    if (bytes[at] !== COLON) throw unexpected(bytes, at, path || 'the body');
    at = skipSpace(bytes, at + 1);
    const where = path ? `${path}.${key}` : key;
    const member =
      top && key === 'problems' && bytes[at] === OPEN_ARRAY ? await parseArray(parse, at, where, true) : await parseValue(parse, at, where);
    // As JSON.parse does: an own property, also for "__proto__".
    Object.defineProperty(object, key, { value: member.value, enumerable: true, writable: true, configurable: true });
    await parse.slicer.maybeYield();
    at = skipSpace(bytes, member.end);
    const next = bytes[at];
    if (next === CLOSE_OBJECT) return { value: object, end: at + 1 };
    if (next !== COMMA) throw unexpected(bytes, at, where);
    at = skipSpace(bytes, at + 1);
  }
}

function parseLeaf(parse: Parse, start: number, end: number, path: string): unknown {
  const text = decode(parse.decoder, parse.bytes, start, end);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw malformed(`${echoInput((error as Error).message, QUOTED_MESSAGE_MAX_CHARS)}${path ? ` (in ${echoInput(path, 60)})` : ''}`);
  }
}

function malformed(detail: string): AppError {
  return new AppError(ErrorCode.INVALID_ARGUMENT, `malformed JSON body: ${detail}`);
}

function snippet(bytes: Uint8Array, at: number): string {
  return echoInput(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', at, Math.min(bytes.length, at + 20)));
}

function unexpected(bytes: Uint8Array, at: number, after: string): AppError {
  if (at >= bytes.length) return malformed(`unexpected end of JSON input (after ${echoInput(after, 60)})`);
  return malformed(`unexpected '${snippet(bytes, at)}' at position ${at} (after ${echoInput(after, 60)})`);
}

function skipSpace(bytes: Uint8Array, at: number): number {
  for (;;) {
    const c = bytes[at];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return at;
    at++;
  }
}

/** Just past the closing quote of the string starting at `start` (the end when unterminated). */
function endOfString(bytes: Uint8Array, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, from);
    if (quote < 0) return bytes.length;
    let backslashes = 0;
    while (bytes[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** Just past a number, true, false or null: up to the next delimiter (JSON.parse checks the token). */
function endOfScalar(bytes: Uint8Array, start: number): number {
  let at = start;
  for (;;) {
    const c = bytes[at];
    if (c === undefined || c === COMMA || c === CLOSE_ARRAY || c === CLOSE_OBJECT || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)
      return at;
    at++;
  }
}

/** Just past the array or object starting at `start` when it ends within `limit` bytes, else -1. */
function endOfContainer(bytes: Uint8Array, start: number, limit: number): number {
  const stop = Math.min(bytes.length, start + limit);
  let depth = 0;
  for (let at = start; at < stop; at++) {
    const c = bytes[at];
    if (c === QUOTE) at = endOfString(bytes, at) - 1;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) depth++;
    else if ((c === CLOSE_ARRAY || c === CLOSE_OBJECT) && --depth === 0) return at + 1;
  }
  return -1;
}
