// Original file: proto/slmrouter/v1/common.proto

import type { Conversation as _slmrouter_v1_Conversation, Conversation__Output as _slmrouter_v1_Conversation__Output } from '../../slmrouter/v1/Conversation';
import type { Domain as _slmrouter_v1_Domain, Domain__Output as _slmrouter_v1_Domain__Output } from '../../slmrouter/v1/Domain';
import type { GenerationOptions as _slmrouter_v1_GenerationOptions, GenerationOptions__Output as _slmrouter_v1_GenerationOptions__Output } from '../../slmrouter/v1/GenerationOptions';

/**
 * A problem to solve, as sent by a client.
 */
export interface Problem {
  /**
   * The problem as one user message.
   */
  'text'?: (string);
  /**
   * The problem as a conversation (system prompts included are kept).
   */
  'conversation'?: (_slmrouter_v1_Conversation | null);
  /**
   * Force this domain instead of classifying; DOMAIN_UNSPECIFIED lets the router decide.
   */
  'domainOverride'?: (_slmrouter_v1_Domain);
  /**
   * Sampling and stopping controls.
   */
  'options'?: (_slmrouter_v1_GenerationOptions | null);
  /**
   * Caller-chosen id, echoed in the result and logs; also the idempotency key in batches (per
   * tenant: the same id with a different problem fails that batch item with CONFLICT).
   * 1 to 128 characters from A-Z a-z 0-9 . _ : - (the regex [A-Za-z0-9._:-]{1,128});
   * empty lets the router generate one; anything else is INVALID_ARGUMENT.
   */
  'requestId'?: (string);
  /**
   * Free-form key/value pairs carried through to the result untouched.
   */
  'metadata'?: ({[key: string]: string});
  /**
   * The problem: either a plain text or a conversation.
   */
  'input'?: "text"|"conversation";
}

/**
 * A problem to solve, as sent by a client.
 */
export interface Problem__Output {
  /**
   * The problem as one user message.
   */
  'text'?: (string);
  /**
   * The problem as a conversation (system prompts included are kept).
   */
  'conversation'?: (_slmrouter_v1_Conversation__Output | null);
  /**
   * Force this domain instead of classifying; DOMAIN_UNSPECIFIED lets the router decide.
   */
  'domainOverride': (_slmrouter_v1_Domain__Output);
  /**
   * Sampling and stopping controls.
   */
  'options': (_slmrouter_v1_GenerationOptions__Output | null);
  /**
   * Caller-chosen id, echoed in the result and logs; also the idempotency key in batches (per
   * tenant: the same id with a different problem fails that batch item with CONFLICT).
   * 1 to 128 characters from A-Z a-z 0-9 . _ : - (the regex [A-Za-z0-9._:-]{1,128});
   * empty lets the router generate one; anything else is INVALID_ARGUMENT.
   */
  'requestId': (string);
  /**
   * Free-form key/value pairs carried through to the result untouched.
   */
  'metadata': ({[key: string]: string});
  /**
   * The problem: either a plain text or a conversation.
   */
  'input'?: "text"|"conversation";
}
