// Original file: proto/slmrouter/v1/common.proto

import type { AnswerCount as _slmrouter_v1_AnswerCount, AnswerCount__Output as _slmrouter_v1_AnswerCount__Output } from '../../slmrouter/v1/AnswerCount';
import type { ExampleCheck as _slmrouter_v1_ExampleCheck, ExampleCheck__Output as _slmrouter_v1_ExampleCheck__Output } from '../../slmrouter/v1/ExampleCheck';

/**
 * How an answer was verified: a vote over samples, a run against the problem's examples, or both.
 */
export interface Verification {
  /**
   * "self-consistency", "examples", "self-consistency+examples", or "none" when a requested
   * check could not run (see skipped_reason) and one sample was taken.
   */
  'method'?: (string);
  /**
   * Samples that finished (fewer than requested when the vote was decided early).
   */
  'samples'?: (number);
  /**
   * Samples requested.
   */
  'samplesRequested'?: (number);
  /**
   * Share of the finished samples that reached the returned answer (0 when none had one).
   */
  'voteShare'?: (number | string);
  /**
   * The distinct answers, most votes first.
   */
  'answers'?: (_slmrouter_v1_AnswerCount)[];
  /**
   * True when two or more answers share the top count (the first one reached is returned).
   */
  'tie'?: (boolean);
  /**
   * Samples with no extractable answer.
   */
  'noAnswer'?: (number);
  /**
   * True when the remaining samples were cancelled because they could no longer change the result.
   */
  'earlyStopped'?: (boolean);
  /**
   * Code: examples the returned solution passed, out of the examples the problem gives.
   */
  'examplesPassed'?: (number);
  'examplesTotal'?: (number);
  'examples'?: (_slmrouter_v1_ExampleCheck)[];
  /**
   * Why a requested check did not run (execution disabled, no examples, language not executed).
   */
  'skippedReason'?: (string);
}

/**
 * How an answer was verified: a vote over samples, a run against the problem's examples, or both.
 */
export interface Verification__Output {
  /**
   * "self-consistency", "examples", "self-consistency+examples", or "none" when a requested
   * check could not run (see skipped_reason) and one sample was taken.
   */
  'method': (string);
  /**
   * Samples that finished (fewer than requested when the vote was decided early).
   */
  'samples': (number);
  /**
   * Samples requested.
   */
  'samplesRequested': (number);
  /**
   * Share of the finished samples that reached the returned answer (0 when none had one).
   */
  'voteShare': (number);
  /**
   * The distinct answers, most votes first.
   */
  'answers': (_slmrouter_v1_AnswerCount__Output)[];
  /**
   * True when two or more answers share the top count (the first one reached is returned).
   */
  'tie': (boolean);
  /**
   * Samples with no extractable answer.
   */
  'noAnswer': (number);
  /**
   * True when the remaining samples were cancelled because they could no longer change the result.
   */
  'earlyStopped': (boolean);
  /**
   * Code: examples the returned solution passed, out of the examples the problem gives.
   */
  'examplesPassed': (number);
  'examplesTotal': (number);
  'examples': (_slmrouter_v1_ExampleCheck__Output)[];
  /**
   * Why a requested check did not run (execution disabled, no examples, language not executed).
   */
  'skippedReason': (string);
}
