import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { AppError, ErrorCode, echoInput } from '@slm/platform';
import { tooManyProblems } from '../batches/batch.schemas';
import { TimeSlicer } from '../batches/time-slicer';
import type { HttpRequest } from './http.types';
import { QUOTED_MESSAGE_MAX_CHARS, notUtf8, parseJsonInSlices, parseJsonLinesInSlices } from './sliced-json';

// Other edges quote caller input with the same bound.
export { QUOTED_MESSAGE_MAX_CHARS };

const JSON_TYPES = /^application\/(json|[\w.+-]+\+json)\b/i;
const LINES_TYPES = /^(application\/(jsonl|x-ndjson|ndjson|x-jsonlines)|text\/plain)\b/i;

/** Bodies from this size on are decoded and parsed in slices (one JSON.parse of 1 MiB takes a few ms). */
const SLICED_BODY_BYTES = 1024 * 1024;
/** Bytes decoded per slice. */
const DECODE_CHUNK_BYTES = 1024 * 1024;

/** Limits of {@link registerBodyParsers}. */
export interface BodyLimits {
  /** Largest body in bytes (ROUTER_MAX_BODY_BYTES). */
  maxBodyBytes: number;
  /** Most problems in a batch submission, counted while its body is parsed (ROUTER_MAX_BATCH_SIZE). */
  maxBatchSize: number;
}

type Done = (error: Error | null, body?: unknown) => void;

/**
 * Replaces Fastify's body parsers with the router's, one content-type parser for every type, so
 * that every failure is one of our errors with our JSON body: oversize → 413 PAYLOAD_TOO_LARGE
 * (checked against Content-Length first, then while reading), bytes that are not UTF-8 or
 * malformed JSON → 400 INVALID_ARGUMENT. JSON bodies become objects; JSONL/plain-text uploads stay
 * strings, except batch submissions, whose JSONL lines become an array. A leading byte-order mark
 * is dropped.
 *
 * Big bodies (a batch of 100,000 problems is some 50 MB) are decoded and parsed in slices, so
 * that the router goes on answering (health checks included) while it takes one in. A batch
 * submission's problems are counted as they are parsed: one problem over ROUTER_MAX_BATCH_SIZE is
 * a 413 at once, before any problem is checked.
 */
export function registerBodyParsers(fastify: FastifyInstance, limits: BodyLimits): void {
  fastify.removeAllContentTypeParsers();
  // The body's events come from the socket; Fastify's `done` goes back to the async context the
  // request had when its body was asked for, so hooks, guard and handler run in the request's.
  fastify.addContentTypeParser('*', (request, payload, done) => readBody(request as HttpRequest, payload, limits, done as Done));
}

function readBody(req: HttpRequest, payload: IncomingMessage, limits: BodyLimits, done: Done): void {
  const { maxBodyBytes: maxBytes } = limits;
  if (req.method === 'DELETE' || req.method === 'OPTIONS') {
    payload.resume();
    return done(null, undefined);
  }
  const type = String(req.headers['content-type'] ?? '');
  const fail = (error: AppError) => {
    payload.resume();
    done(error);
  };
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) return fail(tooLarge(maxBytes));
  const chunks: Buffer[] = [];
  // With a Content-Length the body is copied into one buffer as it arrives: joining 50 MB of
  // chunks at the end would be one long copy.
  let whole = Number.isSafeInteger(declared) && declared > SLICED_BODY_BYTES ? Buffer.allocUnsafe(declared) : undefined;
  let size = 0;
  let failed = false;
  const onData = (chunk: Buffer) => {
    if (failed) return;
    // (Node's parser never delivers more than the Content-Length: the buffer cannot overflow.)
    if (size + chunk.length > (whole?.length ?? maxBytes)) {
      failed = true;
      return fail(tooLarge(maxBytes));
    }
    if (whole) chunk.copy(whole, size);
    else chunks.push(chunk);
    size += chunk.length;
  };
  payload.on('data', onData);
  payload.on('error', (error) => {
    if (failed) return;
    failed = true;
    done(error);
  });
  payload.on('end', () => {
    payload.off('data', onData);
    if (failed) return;
    const bytes = whole ? whole.subarray(0, size) : chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    // The listeners live as long as the request: they must not keep the body alive after it is parsed.
    whole = undefined;
    chunks.length = 0;
    if (bytes.length === 0) return done(null, undefined);
    const lines = LINES_TYPES.test(type);
    if (!lines && type && !JSON_TYPES.test(type)) {
      return done(
        new AppError(
          ErrorCode.INVALID_ARGUMENT,
          `unsupported Content-Type ${echoInput(type)}: send application/json (or application/jsonl for batch uploads)`,
        ),
      );
    }
    const batch = isBatchSubmission(req) ? limits.maxBatchSize : undefined;
    if (bytes.length < SLICED_BODY_BYTES && batch === undefined) return parseAtOnce(bytes, lines, done);
    parseInSlices(bytes, lines, batch).then(
      (body) => done(null, body),
      (error: unknown) => done(error as Error),
    );
  });
}

function isBatchSubmission(req: HttpRequest): boolean {
  return req.method === 'POST' && req.routeOptions.url === '/v1/batches';
}

/** A small body: decoded and parsed in one go. */
function parseAtOnce(bytes: Buffer, lines: boolean, done: Done): void {
  const text = decodeUtf8(bytes);
  if (text === undefined) return done(notUtf8());
  if (lines) return done(null, text);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return done(
      new AppError(ErrorCode.INVALID_ARGUMENT, `malformed JSON body: ${echoInput((error as Error).message, QUOTED_MESSAGE_MAX_CHARS)}`),
    );
  }
  done(null, body);
}

/** A big body or a batch submission: parsed in slices from its bytes; a batch's problems counted. */
async function parseInSlices(bytes: Buffer, lines: boolean, maxItems: number | undefined): Promise<unknown> {
  const slicer = new TimeSlicer();
  const options = { slicer, maxItems, tooMany: tooManyProblems };
  if (!lines) return parseJsonInSlices(bytes, options);
  if (maxItems !== undefined) return parseJsonLinesInSlices(bytes, options);
  const text = await decodeUtf8InSlices(bytes, slicer);
  if (text === undefined) throw notUtf8();
  return text;
}

/** As {@link decodeUtf8}, a megabyte at a time. */
async function decodeUtf8InSlices(bytes: Buffer, slicer: TimeSlicer): Promise<string | undefined> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let text = '';
  try {
    for (let start = 0; start < bytes.length; start += DECODE_CHUNK_BYTES) {
      text += decoder.decode(bytes.subarray(start, start + DECODE_CHUNK_BYTES), { stream: true });
      await slicer.maybeYield();
    }
    return text + decoder.decode();
  } catch {
    return undefined;
  }
}

/**
 * The body as text, or undefined when it is not UTF-8. JSON is UTF-8 (RFC 8259), and a body that
 * is not was meant as something else: decoding it leniently would hand the models U+FFFD where the
 * caller's characters were, and answer a question nobody asked.
 */
function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function tooLarge(maxBytes: number): AppError {
  return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `request body larger than ${maxBytes} bytes (ROUTER_MAX_BODY_BYTES)`);
}
