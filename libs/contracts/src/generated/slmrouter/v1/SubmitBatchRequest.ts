// Original file: proto/slmrouter/v1/router.proto

import type { Problem as _slmrouter_v1_Problem, Problem__Output as _slmrouter_v1_Problem__Output } from '../../slmrouter/v1/Problem';

/**
 * Request of Router.SubmitBatch.
 */
export interface SubmitBatchRequest {
  /**
   * The problems, at most the configured batch size; their order is the results' order.
   */
  'problems'?: (_slmrouter_v1_Problem)[];
  /**
   * Idempotency key, per tenant: a second submission with the same key and the same problems,
   * priority and metadata returns the first batch; with anything different it is ALREADY_EXISTS.
   * Empty for none; else 1 to 128 characters from A-Z a-z 0-9 . _ : - (as Problem.request_id),
   * or INVALID_ARGUMENT.
   */
  'idempotencyKey'?: (string);
  /**
   * Queue priority of every problem of the batch: 1 is the highest, 0 the default (lowest).
   */
  'priority'?: (number);
  /**
   * Free-form key/value pairs kept with the batch.
   */
  'metadata'?: ({[key: string]: string});
  /**
   * Defaults for every problem that leaves options.samples / options.verify unset (same bounds).
   */
  'samples'?: (number);
  'verify'?: (boolean);
  '_samples'?: "samples";
  '_verify'?: "verify";
}

/**
 * Request of Router.SubmitBatch.
 */
export interface SubmitBatchRequest__Output {
  /**
   * The problems, at most the configured batch size; their order is the results' order.
   */
  'problems': (_slmrouter_v1_Problem__Output)[];
  /**
   * Idempotency key, per tenant: a second submission with the same key and the same problems,
   * priority and metadata returns the first batch; with anything different it is ALREADY_EXISTS.
   * Empty for none; else 1 to 128 characters from A-Z a-z 0-9 . _ : - (as Problem.request_id),
   * or INVALID_ARGUMENT.
   */
  'idempotencyKey': (string);
  /**
   * Queue priority of every problem of the batch: 1 is the highest, 0 the default (lowest).
   */
  'priority': (number);
  /**
   * Free-form key/value pairs kept with the batch.
   */
  'metadata': ({[key: string]: string});
  /**
   * Defaults for every problem that leaves options.samples / options.verify unset (same bounds).
   */
  'samples'?: (number);
  'verify'?: (boolean);
  '_samples'?: "samples";
  '_verify'?: "verify";
}
