// Original file: proto/slmrouter/v1/common.proto


/**
 * Sampling and stopping controls. Every field is optional: an unset field takes the
 * worker's domain default (see the README's configuration table).
 */
export interface GenerationOptions {
  /**
   * Upper bound on generated tokens, 1 to 32768 (the router may cap lower).
   */
  'maxNewTokens'?: (number);
  /**
   * Softmax temperature, 0 to 2; 0 means greedy decoding. NaN and infinities are refused.
   */
  'temperature'?: (number | string);
  /**
   * Nucleus sampling mass, in (0, 1].
   */
  'topP'?: (number | string);
  /**
   * Keep only the k most likely tokens, at most 128256; 0 disables the filter.
   */
  'topK'?: (number);
  /**
   * Seed for reproducible sampling; the same seed and request give the same tokens.
   */
  'seed'?: (number);
  /**
   * Generation stops when the output ends with one of these strings (not included in the text);
   * at most 16, each 1 to 256 characters.
   */
  'stop'?: (string)[];
  /**
   * Penalty in (0, 10]: above 1 discourages tokens already generated; 1 disables it.
   */
  'repetitionPenalty'?: (number | string);
  /**
   * Self-consistency: sample this many answers (1 to 16) in one engine batch and return the
   * majority answer with its vote share. Unset: the worker's default (1, or its verify default
   * when `verify` is true). Code problems use the samples to find one that passes the examples.
   */
  'samples'?: (number);
  /**
   * Verify the answer by the domain's method: math and science vote over `samples` answers (the
   * worker's verify default when `samples` is unset); code runs the solution against the examples
   * the problem gives, where the code worker allows execution. Unset: the worker's default.
   */
  'verify'?: (boolean);
  '_maxNewTokens'?: "maxNewTokens";
  '_temperature'?: "temperature";
  '_topP'?: "topP";
  '_topK'?: "topK";
  '_seed'?: "seed";
  '_repetitionPenalty'?: "repetitionPenalty";
  '_samples'?: "samples";
  '_verify'?: "verify";
}

/**
 * Sampling and stopping controls. Every field is optional: an unset field takes the
 * worker's domain default (see the README's configuration table).
 */
export interface GenerationOptions__Output {
  /**
   * Upper bound on generated tokens, 1 to 32768 (the router may cap lower).
   */
  'maxNewTokens'?: (number);
  /**
   * Softmax temperature, 0 to 2; 0 means greedy decoding. NaN and infinities are refused.
   */
  'temperature'?: (number);
  /**
   * Nucleus sampling mass, in (0, 1].
   */
  'topP'?: (number);
  /**
   * Keep only the k most likely tokens, at most 128256; 0 disables the filter.
   */
  'topK'?: (number);
  /**
   * Seed for reproducible sampling; the same seed and request give the same tokens.
   */
  'seed'?: (number);
  /**
   * Generation stops when the output ends with one of these strings (not included in the text);
   * at most 16, each 1 to 256 characters.
   */
  'stop': (string)[];
  /**
   * Penalty in (0, 10]: above 1 discourages tokens already generated; 1 disables it.
   */
  'repetitionPenalty'?: (number);
  /**
   * Self-consistency: sample this many answers (1 to 16) in one engine batch and return the
   * majority answer with its vote share. Unset: the worker's default (1, or its verify default
   * when `verify` is true). Code problems use the samples to find one that passes the examples.
   */
  'samples'?: (number);
  /**
   * Verify the answer by the domain's method: math and science vote over `samples` answers (the
   * worker's verify default when `samples` is unset); code runs the solution against the examples
   * the problem gives, where the code worker allows execution. Unset: the worker's default.
   */
  'verify'?: (boolean);
  '_maxNewTokens'?: "maxNewTokens";
  '_temperature'?: "temperature";
  '_topP'?: "topP";
  '_topK'?: "topK";
  '_seed'?: "seed";
  '_repetitionPenalty'?: "repetitionPenalty";
  '_samples'?: "samples";
  '_verify'?: "verify";
}
