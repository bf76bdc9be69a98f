// Original file: proto/slmrouter/v1/common.proto


/**
 * One example of a code problem run against the returned solution.
 */
export interface ExampleCheck {
  /**
   * Which example ("Example 1", a doctest or an assert line).
   */
  'label'?: (string);
  'passed'?: (boolean);
  /**
   * The expected value as the problem gives it, and what the solution produced (truncated).
   */
  'expected'?: (string);
  'actual'?: (string);
  /**
   * Why it failed when it did not just return another value: timeout, exception, memory.
   */
  'error'?: (string);
}

/**
 * One example of a code problem run against the returned solution.
 */
export interface ExampleCheck__Output {
  /**
   * Which example ("Example 1", a doctest or an assert line).
   */
  'label': (string);
  'passed': (boolean);
  /**
   * The expected value as the problem gives it, and what the solution produced (truncated).
   */
  'expected': (string);
  'actual': (string);
  /**
   * Why it failed when it did not just return another value: timeout, exception, memory.
   */
  'error': (string);
}
