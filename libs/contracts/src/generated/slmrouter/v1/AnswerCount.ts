// Original file: proto/slmrouter/v1/common.proto


/**
 * One distinct answer among the samples, with how many samples reached it.
 */
export interface AnswerCount {
  /**
   * The answer as the first sample that reached it spelled it.
   */
  'value'?: (string);
  /**
   * Samples whose answer is equivalent to it (1/2, 0.5 and \frac{1}{2} count as one).
   */
  'count'?: (number);
  /**
   * Samples of it whose code passed every example (code checks only).
   */
  'passed'?: (number);
}

/**
 * One distinct answer among the samples, with how many samples reached it.
 */
export interface AnswerCount__Output {
  /**
   * The answer as the first sample that reached it spelled it.
   */
  'value': (string);
  /**
   * Samples whose answer is equivalent to it (1/2, 0.5 and \frac{1}{2} count as one).
   */
  'count': (number);
  /**
   * Samples of it whose code passed every example (code checks only).
   */
  'passed': (number);
}
