// Original file: proto/slmrouter/v1/common.proto

import type { Channel as _slmrouter_v1_Channel, Channel__Output as _slmrouter_v1_Channel__Output } from '../../slmrouter/v1/Channel';

/**
 * A piece of generated text, streamed as soon as it is decoded.
 */
export interface TokenDelta {
  /**
   * Newly decoded text; never splits a multi-byte character. The <think> markers are not sent and
   * each channel is trimmed at its ends: the reasoning deltas join to Result.reasoning, the answer
   * deltas to Result.answer.
   */
  'text'?: (string);
  /**
   * Whether the text is reasoning or answer.
   */
  'channel'?: (_slmrouter_v1_Channel);
  /**
   * The token ids the text was decoded from.
   */
  'tokenIds'?: (number)[];
}

/**
 * A piece of generated text, streamed as soon as it is decoded.
 */
export interface TokenDelta__Output {
  /**
   * Newly decoded text; never splits a multi-byte character. The <think> markers are not sent and
   * each channel is trimmed at its ends: the reasoning deltas join to Result.reasoning, the answer
   * deltas to Result.answer.
   */
  'text': (string);
  /**
   * Whether the text is reasoning or answer.
   */
  'channel': (_slmrouter_v1_Channel__Output);
  /**
   * The token ids the text was decoded from.
   */
  'tokenIds': (number)[];
}
