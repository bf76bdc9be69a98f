// Original file: proto/slmrouter/v1/worker.proto

/**
 * Whether the worker's model can serve requests.
 */
export const LoadState = {
  /**
   * Not set.
   */
  LOAD_STATE_UNSPECIFIED: 'LOAD_STATE_UNSPECIFIED',
  /**
   * The model is being loaded or warmed up.
   */
  LOAD_STATE_LOADING: 'LOAD_STATE_LOADING',
  /**
   * The model is loaded and warmed up.
   */
  LOAD_STATE_READY: 'LOAD_STATE_READY',
  /**
   * Loading failed; see load_error.
   */
  LOAD_STATE_FAILED: 'LOAD_STATE_FAILED',
} as const;

/**
 * Whether the worker's model can serve requests.
 */
export type LoadState =
  /**
   * Not set.
   */
  | 'LOAD_STATE_UNSPECIFIED'
  | 0
  /**
   * The model is being loaded or warmed up.
   */
  | 'LOAD_STATE_LOADING'
  | 1
  /**
   * The model is loaded and warmed up.
   */
  | 'LOAD_STATE_READY'
  | 2
  /**
   * Loading failed; see load_error.
   */
  | 'LOAD_STATE_FAILED'
  | 3

/**
 * Whether the worker's model can serve requests.
 */
export type LoadState__Output = typeof LoadState[keyof typeof LoadState]
