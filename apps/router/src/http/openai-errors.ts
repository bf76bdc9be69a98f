import { ErrorCode, errorCodeOf, httpStatusOf, publicMessageOf } from '@slm/platform';

/** True for the OpenAI-compatible paths, whose errors take OpenAI's shape. */
export function isOpenAiPath(url: string): boolean {
  return url.startsWith('/v1/chat/') || url.startsWith('/v1/models');
}

/** OpenAI's error body: `{error: {message, type, param, code}}`; `code` carries ours. */
export function openAiErrorBody(error: unknown): { error: { message: string; type: string; param: null; code: string } } {
  const code = errorCodeOf(error);
  const status = httpStatusOf(error);
  const type = code === ErrorCode.RATE_LIMITED || code === ErrorCode.QUEUE_FULL ? 'rate_limit_error' : status < 500 ? 'invalid_request_error' : 'server_error';
  return { error: { message: publicMessageOf(error), type, param: null, code } };
}
