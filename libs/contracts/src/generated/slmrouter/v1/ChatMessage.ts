// Original file: proto/slmrouter/v1/common.proto


/**
 * One turn of a conversation, OpenAI-style.
 */
export interface ChatMessage {
  /**
   * "system", "user" or "assistant".
   */
  'role'?: (string);
  /**
   * The turn's text.
   */
  'content'?: (string);
}

/**
 * One turn of a conversation, OpenAI-style.
 */
export interface ChatMessage__Output {
  /**
   * "system", "user" or "assistant".
   */
  'role': (string);
  /**
   * The turn's text.
   */
  'content': (string);
}
