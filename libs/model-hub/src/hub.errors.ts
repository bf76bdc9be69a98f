/**
 * Codes of the Hub client's errors. `NOT_FOUND` and `INVALID_ARGUMENT` are the same strings as
 * @slm/platform's ErrorCode so the edges map them without this lib depending on platform.
 */
export const HubErrorCode = {
  /** Bad input: an unknown dtype, a malformed repo id or revision. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** The repo, the revision or a file does not exist (or is private and no token was sent). */
  NOT_FOUND: 'NOT_FOUND',
  /** 401: the repo is gated or private and no valid token was sent. */
  HUB_UNAUTHORIZED: 'HUB_UNAUTHORIZED',
  /** 403: the token is valid but its account has not been granted access (licence not accepted). */
  HUB_FORBIDDEN: 'HUB_FORBIDDEN',
  /** The network failed (or the Hub answered 5xx / 429) on every attempt. */
  HUB_NETWORK: 'HUB_NETWORK',
  /** A downloaded file's size or checksum differs from what the Hub announced. */
  HUB_INTEGRITY: 'HUB_INTEGRITY',
  /** The Hub answered something this client does not understand. */
  HUB_BAD_RESPONSE: 'HUB_BAD_RESPONSE',
} as const;
export type HubErrorCode = (typeof HubErrorCode)[keyof typeof HubErrorCode];

/** Every failure of the Hub client: a stable code and a message that tells the user what to do. */
export class HubError extends Error {
  constructor(
    readonly code: HubErrorCode,
    message: string,
    /** HTTP status of the answer that caused it, when there was one. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HubError';
  }
}
