// Original file: proto/slmrouter/v1/common.proto


/**
 * Token counts of one request.
 */
export interface Usage {
  /**
   * Tokens in the rendered prompt (chat template and special tokens included).
   */
  'promptTokens'?: (number);
  /**
   * Tokens generated.
   */
  'completionTokens'?: (number);
}

/**
 * Token counts of one request.
 */
export interface Usage__Output {
  /**
   * Tokens in the rendered prompt (chat template and special tokens included).
   */
  'promptTokens': (number);
  /**
   * Tokens generated.
   */
  'completionTokens': (number);
}
