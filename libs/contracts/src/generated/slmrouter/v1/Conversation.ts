// Original file: proto/slmrouter/v1/common.proto

import type { ChatMessage as _slmrouter_v1_ChatMessage, ChatMessage__Output as _slmrouter_v1_ChatMessage__Output } from '../../slmrouter/v1/ChatMessage';

/**
 * A conversation given instead of a single text.
 */
export interface Conversation {
  /**
   * The turns in order; the last one is normally the user's question.
   */
  'messages'?: (_slmrouter_v1_ChatMessage)[];
}

/**
 * A conversation given instead of a single text.
 */
export interface Conversation__Output {
  /**
   * The turns in order; the last one is normally the user's question.
   */
  'messages': (_slmrouter_v1_ChatMessage__Output)[];
}
