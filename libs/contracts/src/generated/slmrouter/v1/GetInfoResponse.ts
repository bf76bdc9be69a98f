// Original file: proto/slmrouter/v1/worker.proto

import type { Domain as _slmrouter_v1_Domain, Domain__Output as _slmrouter_v1_Domain__Output } from '../../slmrouter/v1/Domain';
import type { LoadState as _slmrouter_v1_LoadState, LoadState__Output as _slmrouter_v1_LoadState__Output } from '../../slmrouter/v1/LoadState';
import type { Long } from '@grpc/proto-loader';

/**
 * Response of Worker.GetInfo.
 */
export interface GetInfoResponse {
  /**
   * Model id (Hub id or folder name).
   */
  'modelId'?: (string);
  /**
   * Number of parameters, computed from the model's geometry.
   */
  'parameterCount'?: (number | string | Long);
  /**
   * Weight format of the loaded graph ("q4", "fp32"...).
   */
  'dtype'?: (string);
  /**
   * Maximum prompt plus output tokens.
   */
  'contextLength'?: (number);
  /**
   * The domain this worker serves.
   */
  'domain'?: (_slmrouter_v1_Domain);
  /**
   * Whether the model is ready.
   */
  'loadState'?: (_slmrouter_v1_LoadState);
  /**
   * Why loading failed; empty otherwise.
   */
  'loadError'?: (string);
  /**
   * True when the weights are random (a synthetic model): answers are meaningless.
   */
  'syntheticWeights'?: (boolean);
  /**
   * How many requests the engine runs at once.
   */
  'maxConcurrency'?: (number);
  /**
   * How many more requests may wait before the worker answers RESOURCE_EXHAUSTED.
   */
  'maxQueue'?: (number);
  /**
   * Tokens the engine's KV cache budget holds (0: the engine reports none).
   */
  'kvCacheTokens'?: (number);
  /**
   * Tokens of that budget the running requests reserve now (prompt + max_new_tokens each, capped by the context).
   */
  'kvCacheReservedTokens'?: (number);
}

/**
 * Response of Worker.GetInfo.
 */
export interface GetInfoResponse__Output {
  /**
   * Model id (Hub id or folder name).
   */
  'modelId': (string);
  /**
   * Number of parameters, computed from the model's geometry.
   */
  'parameterCount': (string);
  /**
   * Weight format of the loaded graph ("q4", "fp32"...).
   */
  'dtype': (string);
  /**
   * Maximum prompt plus output tokens.
   */
  'contextLength': (number);
  /**
   * The domain this worker serves.
   */
  'domain': (_slmrouter_v1_Domain__Output);
  /**
   * Whether the model is ready.
   */
  'loadState': (_slmrouter_v1_LoadState__Output);
  /**
   * Why loading failed; empty otherwise.
   */
  'loadError': (string);
  /**
   * True when the weights are random (a synthetic model): answers are meaningless.
   */
  'syntheticWeights': (boolean);
  /**
   * How many requests the engine runs at once.
   */
  'maxConcurrency': (number);
  /**
   * How many more requests may wait before the worker answers RESOURCE_EXHAUSTED.
   */
  'maxQueue': (number);
  /**
   * Tokens the engine's KV cache budget holds (0: the engine reports none).
   */
  'kvCacheTokens': (number);
  /**
   * Tokens of that budget the running requests reserve now (prompt + max_new_tokens each, capped by the context).
   */
  'kvCacheReservedTokens': (number);
}
