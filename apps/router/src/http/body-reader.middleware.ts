import { AppError, ErrorCode, echoInput, httpStatusOf, retryAfterSecondsOf } from '@slm/platform';
import { tooManyProblems } from '../batches/batch.schemas';
import { TimeSlicer } from '../batches/time-slicer';
import { errorBodyOf } from './error-body';
import type { HttpRequest, HttpResponse, NextFunction } from './http.types';
import { QUOTED_MESSAGE_MAX_CHARS, notUtf8, parseJsonInSlices, parseJsonLinesInSlices } from './sliced-json';

// Other edges quote caller input with the same bound.
export { QUOTED_MESSAGE_MAX_CHARS };

const JSON_TYPES = /^application\/(json|[\w.+-]+\+json)\b/i;
const LINES_TYPES = /^(application\/(jsonl|x-ndjson|ndjson|x-jsonlines)|text\/plain)\b/i;

/** Bodies from this size on are decoded and parsed in slices (one JSON.parse of 1 MiB takes a few ms). */
const SLICED_BODY_BYTES = 1024 * 1024;
/** Bytes decoded per slice. */
const DECODE_CHUNK_BYTES = 1024 * 1024;

/** Limits of {@link bodyReader}. */
export interface BodyLimits {
  /** Largest body in bytes (ROUTER_MAX_BODY_BYTES). */
  maxBodyBytes: number;
  /** Most problems in a batch submission, counted while its body is parsed (ROUTER_MAX_BATCH_SIZE). */
  maxBatchSize: number;
}

/**
 * Reads request bodies itself instead of Express's body-parser so that every failure is one of
 * our errors with our JSON body: oversize → 413 PAYLOAD_TOO_LARGE (checked against
 * Content-Length first, then while reading), bytes that are not UTF-8 or malformed JSON → 400
 * INVALID_ARGUMENT. JSON bodies become `req.body` objects; JSONL/plain-text uploads stay strings,
 * except batch submissions, whose JSONL lines become an array. A leading byte-order mark is dropped.
 *
 * Big bodies (a batch of 100,000 problems is some 50 MB) are decoded and parsed in slices, so
 * that the router goes on answering (health checks included) while it takes one in. A batch
 * submission's problems are counted as they are parsed: one problem over ROUTER_MAX_BATCH_SIZE is
 * a 413 at once, before any problem is checked.
 */
export function bodyReader(limits: BodyLimits) {
  const { maxBodyBytes: maxBytes } = limits;
  return (req: HttpRequest, res: HttpResponse, next: NextFunction): void => {
    req.receivedAt = performance.now();
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE' || req.method === 'OPTIONS') return next();
    const type = String(req.headers['content-type'] ?? '');
    const fail = (error: AppError) => {
      req.unpipe?.();
      req.resume();
      sendError(req, res, error);
    };
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > maxBytes) return fail(tooLarge(maxBytes));
    const chunks: Buffer[] = [];
    // With a Content-Length the body is copied into one buffer as it arrives: joining 50 MB of
    // chunks at the end would be one long copy.
    let whole = Number.isSafeInteger(declared) && declared > SLICED_BODY_BYTES ? Buffer.allocUnsafe(declared) : undefined;
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      // (Node's parser never delivers more than the Content-Length: the buffer cannot overflow.)
      if (size + chunk.length > (whole?.length ?? maxBytes)) {
        failed = true;
        return fail(tooLarge(maxBytes));
      }
      if (whole) chunk.copy(whole, size);
      else chunks.push(chunk);
      size += chunk.length;
    });
    req.on('error', (error) => {
      if (!failed) next(error);
    });
    req.on('end', () => {
      if (failed) return;
      const bytes = whole ? whole.subarray(0, size) : chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      // The listeners live as long as the request: they must not keep the body alive after it is parsed.
      whole = undefined;
      chunks.length = 0;
      if (bytes.length === 0) {
        req.body = undefined;
        return next();
      }
      const lines = LINES_TYPES.test(type);
      if (!lines && type && !JSON_TYPES.test(type)) {
        return sendError(req, res, new AppError(ErrorCode.INVALID_ARGUMENT, `unsupported Content-Type ${echoInput(type)}: send application/json (or application/jsonl for batch uploads)`));
      }
      const batch = isBatchSubmission(req) ? limits.maxBatchSize : undefined;
      if (bytes.length < SLICED_BODY_BYTES && batch === undefined) return parseAtOnce(req, res, next, bytes, lines);
      parseInSlices(req, bytes, lines, batch).then(
        () => next(),
        (error: unknown) => sendError(req, res, error),
      );
    });
  };
}

function isBatchSubmission(req: HttpRequest): boolean {
  return req.method === 'POST' && (req.path ?? req.url ?? '').replace(/[?#].*$/, '').replace(/\/+$/, '') === '/v1/batches';
}

/** A small body: decoded and parsed in one go. */
function parseAtOnce(req: HttpRequest, res: HttpResponse, next: NextFunction, bytes: Buffer, lines: boolean): void {
  const text = decodeUtf8(bytes);
  if (text === undefined) return sendError(req, res, notUtf8());
  if (lines) {
    req.body = text;
    return next();
  }
  try {
    req.body = JSON.parse(text);
  } catch (error) {
    return sendError(req, res, new AppError(ErrorCode.INVALID_ARGUMENT, `malformed JSON body: ${echoInput((error as Error).message, QUOTED_MESSAGE_MAX_CHARS)}`));
  }
  next();
}

/** A big body or a batch submission: parsed in slices from its bytes; a batch's problems counted. */
async function parseInSlices(req: HttpRequest, bytes: Buffer, lines: boolean, maxItems: number | undefined): Promise<void> {
  const slicer = new TimeSlicer();
  const options = { slicer, maxItems, tooMany: tooManyProblems };
  if (!lines) {
    req.body = await parseJsonInSlices(bytes, options);
    return;
  }
  if (maxItems !== undefined) {
    req.body = await parseJsonLinesInSlices(bytes, options);
    return;
  }
  const text = await decodeUtf8InSlices(bytes, slicer);
  if (text === undefined) throw notUtf8();
  req.body = text;
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

/** Answers an error in our JSON shape (OpenAI's on the OpenAI-compatible paths); see {@link errorBodyOf}. */
export function sendError(req: HttpRequest, res: HttpResponse, error: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const status = httpStatusOf(error);
  res.status(status).setHeader('connection', status === 413 ? 'close' : 'keep-alive');
  const retryAfter = retryAfterSecondsOf(error);
  if (retryAfter !== undefined) res.setHeader('retry-after', String(retryAfter));
  if (status === 401) res.setHeader('www-authenticate', 'Bearer');
  res.json(errorBodyOf(req, error));
}
