// Original file: proto/slmrouter/v1/common.proto

/**
 * Which part of the output a streamed piece of text belongs to.
 */
export const Channel = {
  /**
   * Not set.
   */
  CHANNEL_UNSPECIFIED: 'CHANNEL_UNSPECIFIED',
  /**
   * Inside the model's <think>...</think> block.
   */
  CHANNEL_REASONING: 'CHANNEL_REASONING',
  /**
   * After the reasoning: the answer shown to the user.
   */
  CHANNEL_ANSWER: 'CHANNEL_ANSWER',
} as const;

/**
 * Which part of the output a streamed piece of text belongs to.
 */
export type Channel =
  /**
   * Not set.
   */
  | 'CHANNEL_UNSPECIFIED'
  | 0
  /**
   * Inside the model's <think>...</think> block.
   */
  | 'CHANNEL_REASONING'
  | 1
  /**
   * After the reasoning: the answer shown to the user.
   */
  | 'CHANNEL_ANSWER'
  | 2

/**
 * Which part of the output a streamed piece of text belongs to.
 */
export type Channel__Output = typeof Channel[keyof typeof Channel]
