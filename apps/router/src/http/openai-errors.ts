import { z } from 'zod';
import { ErrorCode, errorCodeOf, httpStatusOf, publicMessageOf, unexpectedErrorMessage } from '@slm/platform';

/** True for the OpenAI-compatible paths, whose errors take OpenAI's shape. */
export function isOpenAiPath(url: string): boolean {
  return url.startsWith('/v1/chat/') || url.startsWith('/v1/models');
}

/** OpenAI's error body; `code` carries the router's code. */
export const openAiErrorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.enum(['invalid_request_error', 'authentication_error', 'permission_error', 'rate_limit_error', 'server_error']),
    param: z.null(),
    code: z.enum(ErrorCode).describe("the router's error code"),
  }),
});
export type OpenAiErrorBody = z.output<typeof openAiErrorBodySchema>;

/**
 * OpenAI's error body: `{error: {message, type, param, code}}`; `code` carries ours. An unexpected
 * error's message names the request id to quote when `requestId` is given.
 */
export function openAiErrorBody(error: unknown, requestId?: string): OpenAiErrorBody {
  const code = errorCodeOf(error);
  const status = httpStatusOf(error);
  const type =
    code === ErrorCode.RATE_LIMITED || code === ErrorCode.QUEUE_FULL
      ? 'rate_limit_error'
      : code === ErrorCode.UNAUTHENTICATED
        ? 'authentication_error'
        : code === ErrorCode.PERMISSION_DENIED
          ? 'permission_error'
          : status < 500
            ? 'invalid_request_error'
            : 'server_error';
  const message = code === ErrorCode.INTERNAL && requestId ? unexpectedErrorMessage(requestId) : publicMessageOf(error);
  return { error: { message, type, param: null, code } };
}
