// Original file: proto/slmrouter/v1/common.proto


/**
 * The final answer extracted from the output by the domain's rules.
 */
export interface ExtractedAnswer {
  /**
   * The answer: a normalised \boxed{} value (math), the last code block (code), an option
   * letter or short answer (science). Empty when nothing could be extracted.
   */
  'value'?: (string);
  /**
   * How the value was found: "boxed", "code_block", "option_letter", "short_answer"; empty if none.
   */
  'kind'?: (string);
  /**
   * Programming language of a code block ("python", "cpp"...); empty otherwise.
   */
  'language'?: (string);
  /**
   * Why no answer could be extracted; empty when value is set.
   */
  'missingReason'?: (string);
}

/**
 * The final answer extracted from the output by the domain's rules.
 */
export interface ExtractedAnswer__Output {
  /**
   * The answer: a normalised \boxed{} value (math), the last code block (code), an option
   * letter or short answer (science). Empty when nothing could be extracted.
   */
  'value': (string);
  /**
   * How the value was found: "boxed", "code_block", "option_letter", "short_answer"; empty if none.
   */
  'kind': (string);
  /**
   * Programming language of a code block ("python", "cpp"...); empty otherwise.
   */
  'language': (string);
  /**
   * Why no answer could be extracted; empty when value is set.
   */
  'missingReason': (string);
}
