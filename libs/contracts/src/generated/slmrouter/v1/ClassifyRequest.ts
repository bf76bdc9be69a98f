// Original file: proto/slmrouter/v1/router.proto


/**
 * Request of Router.Classify.
 */
export interface ClassifyRequest {
  /**
   * The text to classify (for a conversation, send its last user message).
   */
  'text'?: (string);
}

/**
 * Request of Router.Classify.
 */
export interface ClassifyRequest__Output {
  /**
   * The text to classify (for a conversation, send its last user message).
   */
  'text': (string);
}
