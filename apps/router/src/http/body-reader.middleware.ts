import { AppError, ErrorCode, echoInput, httpErrorBody, httpStatusOf } from '@slm/platform';
import type { HttpRequest, HttpResponse, NextFunction } from './http.types';
import { isOpenAiPath, openAiErrorBody } from './openai-errors';

const JSON_TYPES = /^application\/(json|[\w.+-]+\+json)\b/i;
const LINES_TYPES = /^(application\/(jsonl|x-ndjson|ndjson|x-jsonlines)|text\/plain)\b/i;

/**
 * Bound on another library's message that quotes caller input (the JSON parser's snippet of the
 * body, Express's undecodable path parameter), passed on through echoInput.
 */
export const QUOTED_MESSAGE_MAX_CHARS = 160;

/**
 * Reads request bodies itself instead of Express's body-parser so that every failure is one of
 * our errors with our JSON body: oversize → 413 PAYLOAD_TOO_LARGE (checked against
 * Content-Length first, then while reading), bytes that are not UTF-8 or malformed JSON → 400
 * INVALID_ARGUMENT. JSON bodies become `req.body` objects; JSONL/plain-text uploads stay strings.
 * A leading byte-order mark is dropped.
 */
export function bodyReader(maxBytes: number) {
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
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        return fail(tooLarge(maxBytes));
      }
      chunks.push(chunk);
    });
    req.on('error', (error) => {
      if (!failed) next(error);
    });
    req.on('end', () => {
      if (failed) return;
      const bytes = Buffer.concat(chunks);
      if (bytes.length === 0) {
        req.body = undefined;
        return next();
      }
      const lines = LINES_TYPES.test(type);
      if (!lines && type && !JSON_TYPES.test(type)) {
        return sendError(req, res, new AppError(ErrorCode.INVALID_ARGUMENT, `unsupported Content-Type ${echoInput(type)}: send application/json (or application/jsonl for batch uploads)`));
      }
      const text = decodeUtf8(bytes);
      if (text === undefined) return sendError(req, res, new AppError(ErrorCode.INVALID_ARGUMENT, 'body is not valid UTF-8'));
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
    });
  };
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

/** Answers an error in our JSON shape (OpenAI's on the OpenAI-compatible paths). */
export function sendError(req: HttpRequest, res: HttpResponse, error: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const status = httpStatusOf(error);
  res.status(status).setHeader('connection', status === 413 ? 'close' : 'keep-alive');
  res.json(isOpenAiPath(req.url ?? '') ? openAiErrorBody(error) : httpErrorBody(error));
}
