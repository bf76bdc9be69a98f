// Original file: proto/slmrouter/v1/common.proto


/**
 * Timings of one request, measured by the worker.
 */
export interface Timing {
  /**
   * From the request's arrival at the worker to its first generated token.
   */
  'timeToFirstTokenMs'?: (number | string);
  /**
   * From the request's arrival to its last token.
   */
  'totalMs'?: (number | string);
  /**
   * Generated tokens per second after the first one.
   */
  'decodeTokensPerSecond'?: (number | string);
}

/**
 * Timings of one request, measured by the worker.
 */
export interface Timing__Output {
  /**
   * From the request's arrival at the worker to its first generated token.
   */
  'timeToFirstTokenMs': (number);
  /**
   * From the request's arrival to its last token.
   */
  'totalMs': (number);
  /**
   * Generated tokens per second after the first one.
   */
  'decodeTokensPerSecond': (number);
}
