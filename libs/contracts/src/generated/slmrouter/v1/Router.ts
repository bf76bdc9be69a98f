// Original file: proto/slmrouter/v1/router.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CancelBatchRequest as _slmrouter_v1_CancelBatchRequest, CancelBatchRequest__Output as _slmrouter_v1_CancelBatchRequest__Output } from '../../slmrouter/v1/CancelBatchRequest';
import type { CancelBatchResponse as _slmrouter_v1_CancelBatchResponse, CancelBatchResponse__Output as _slmrouter_v1_CancelBatchResponse__Output } from '../../slmrouter/v1/CancelBatchResponse';
import type { ClassifyRequest as _slmrouter_v1_ClassifyRequest, ClassifyRequest__Output as _slmrouter_v1_ClassifyRequest__Output } from '../../slmrouter/v1/ClassifyRequest';
import type { ClassifyResponse as _slmrouter_v1_ClassifyResponse, ClassifyResponse__Output as _slmrouter_v1_ClassifyResponse__Output } from '../../slmrouter/v1/ClassifyResponse';
import type { GetBatchRequest as _slmrouter_v1_GetBatchRequest, GetBatchRequest__Output as _slmrouter_v1_GetBatchRequest__Output } from '../../slmrouter/v1/GetBatchRequest';
import type { GetBatchResponse as _slmrouter_v1_GetBatchResponse, GetBatchResponse__Output as _slmrouter_v1_GetBatchResponse__Output } from '../../slmrouter/v1/GetBatchResponse';
import type { SolveRequest as _slmrouter_v1_SolveRequest, SolveRequest__Output as _slmrouter_v1_SolveRequest__Output } from '../../slmrouter/v1/SolveRequest';
import type { SolveResponse as _slmrouter_v1_SolveResponse, SolveResponse__Output as _slmrouter_v1_SolveResponse__Output } from '../../slmrouter/v1/SolveResponse';
import type { SolveStreamRequest as _slmrouter_v1_SolveStreamRequest, SolveStreamRequest__Output as _slmrouter_v1_SolveStreamRequest__Output } from '../../slmrouter/v1/SolveStreamRequest';
import type { SolveStreamResponse as _slmrouter_v1_SolveStreamResponse, SolveStreamResponse__Output as _slmrouter_v1_SolveStreamResponse__Output } from '../../slmrouter/v1/SolveStreamResponse';
import type { SubmitBatchRequest as _slmrouter_v1_SubmitBatchRequest, SubmitBatchRequest__Output as _slmrouter_v1_SubmitBatchRequest__Output } from '../../slmrouter/v1/SubmitBatchRequest';
import type { SubmitBatchResponse as _slmrouter_v1_SubmitBatchResponse, SubmitBatchResponse__Output as _slmrouter_v1_SubmitBatchResponse__Output } from '../../slmrouter/v1/SubmitBatchResponse';
import type { WatchBatchRequest as _slmrouter_v1_WatchBatchRequest, WatchBatchRequest__Output as _slmrouter_v1_WatchBatchRequest__Output } from '../../slmrouter/v1/WatchBatchRequest';
import type { WatchBatchResponse as _slmrouter_v1_WatchBatchResponse, WatchBatchResponse__Output as _slmrouter_v1_WatchBatchResponse__Output } from '../../slmrouter/v1/WatchBatchResponse';

/**
 * Classifies problems and dispatches them to the domain workers.
 */
export interface RouterClient extends grpc.Client {
  /**
   * Cancels a batch: queued problems are removed, running ones stopped.
   */
  CancelBatch(argument: _slmrouter_v1_CancelBatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_CancelBatchResponse__Output>): grpc.ClientUnaryCall;
  CancelBatch(argument: _slmrouter_v1_CancelBatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_slmrouter_v1_CancelBatchResponse__Output>): grpc.ClientUnaryCall;
  CancelBatch(argument: _slmrouter_v1_CancelBatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_CancelBatchResponse__Output>): grpc.ClientUnaryCall;
  CancelBatch(argument: _slmrouter_v1_CancelBatchRequest, callback: grpc.requestCallback<_slmrouter_v1_CancelBatchResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Cancels a batch: queued problems are removed, running ones stopped.
   */
  cancelBatch(argument: _slmrouter_v1_CancelBatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_CancelBatchResponse__Output>): grpc.ClientUnaryCall;
  cancelBatch(argument: _slmrouter_v1_CancelBatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_slmrouter_v1_CancelBatchResponse__Output>): grpc.ClientUnaryCall;
  cancelBatch(argument: _slmrouter_v1_CancelBatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_CancelBatchResponse__Output>): grpc.ClientUnaryCall;
  cancelBatch(argument: _slmrouter_v1_CancelBatchRequest, callback: grpc.requestCallback<_slmrouter_v1_CancelBatchResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Classifies a problem without solving it.
   */
  Classify(argument: _slmrouter_v1_ClassifyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_ClassifyResponse__Output>): grpc.ClientUnaryCall;
  Classify(argument: _slmrouter_v1_ClassifyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_slmrouter_v1_ClassifyResponse__Output>): grpc.ClientUnaryCall;
  Classify(argument: _slmrouter_v1_ClassifyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_ClassifyResponse__Output>): grpc.ClientUnaryCall;
  Classify(argument: _slmrouter_v1_ClassifyRequest, callback: grpc.requestCallback<_slmrouter_v1_ClassifyResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Classifies a problem without solving it.
   */
  classify(argument: _slmrouter_v1_ClassifyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_ClassifyResponse__Output>): grpc.ClientUnaryCall;
  classify(argument: _slmrouter_v1_ClassifyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_slmrouter_v1_ClassifyResponse__Output>): grpc.ClientUnaryCall;
  classify(argument: _slmrouter_v1_ClassifyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_ClassifyResponse__Output>): grpc.ClientUnaryCall;
  classify(argument: _slmrouter_v1_ClassifyRequest, callback: grpc.requestCallback<_slmrouter_v1_ClassifyResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Reports a batch's state and progress.
   */
  GetBatch(argument: _slmrouter_v1_GetBatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_GetBatchResponse__Output>): grpc.ClientUnaryCall;
  GetBatch(argument: _slmrouter_v1_GetBatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_slmrouter_v1_GetBatchResponse__Output>): grpc.ClientUnaryCall;
  GetBatch(argument: _slmrouter_v1_GetBatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_GetBatchResponse__Output>): grpc.ClientUnaryCall;
  GetBatch(argument: _slmrouter_v1_GetBatchRequest, callback: grpc.requestCallback<_slmrouter_v1_GetBatchResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Reports a batch's state and progress.
   */
  getBatch(argument: _slmrouter_v1_GetBatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_GetBatchResponse__Output>): grpc.ClientUnaryCall;
  getBatch(argument: _slmrouter_v1_GetBatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_slmrouter_v1_GetBatchResponse__Output>): grpc.ClientUnaryCall;
  getBatch(argument: _slmrouter_v1_GetBatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_GetBatchResponse__Output>): grpc.ClientUnaryCall;
  getBatch(argument: _slmrouter_v1_GetBatchRequest, callback: grpc.requestCallback<_slmrouter_v1_GetBatchResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Classifies and solves one problem; answers when generation has finished.
   */
  Solve(argument: _slmrouter_v1_SolveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_SolveResponse__Output>): grpc.ClientUnaryCall;
  Solve(argument: _slmrouter_v1_SolveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_slmrouter_v1_SolveResponse__Output>): grpc.ClientUnaryCall;
  Solve(argument: _slmrouter_v1_SolveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_SolveResponse__Output>): grpc.ClientUnaryCall;
  Solve(argument: _slmrouter_v1_SolveRequest, callback: grpc.requestCallback<_slmrouter_v1_SolveResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Classifies and solves one problem; answers when generation has finished.
   */
  solve(argument: _slmrouter_v1_SolveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_SolveResponse__Output>): grpc.ClientUnaryCall;
  solve(argument: _slmrouter_v1_SolveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_slmrouter_v1_SolveResponse__Output>): grpc.ClientUnaryCall;
  solve(argument: _slmrouter_v1_SolveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_SolveResponse__Output>): grpc.ClientUnaryCall;
  solve(argument: _slmrouter_v1_SolveRequest, callback: grpc.requestCallback<_slmrouter_v1_SolveResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Classifies and solves one problem, streaming the route, the text and the result.
   */
  SolveStream(argument: _slmrouter_v1_SolveStreamRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_slmrouter_v1_SolveStreamResponse__Output>;
  SolveStream(argument: _slmrouter_v1_SolveStreamRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_slmrouter_v1_SolveStreamResponse__Output>;
  /**
   * Classifies and solves one problem, streaming the route, the text and the result.
   */
  solveStream(argument: _slmrouter_v1_SolveStreamRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_slmrouter_v1_SolveStreamResponse__Output>;
  solveStream(argument: _slmrouter_v1_SolveStreamRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_slmrouter_v1_SolveStreamResponse__Output>;
  
  /**
   * Queues many problems for asynchronous solving.
   */
  SubmitBatch(argument: _slmrouter_v1_SubmitBatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_SubmitBatchResponse__Output>): grpc.ClientUnaryCall;
  SubmitBatch(argument: _slmrouter_v1_SubmitBatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_slmrouter_v1_SubmitBatchResponse__Output>): grpc.ClientUnaryCall;
  SubmitBatch(argument: _slmrouter_v1_SubmitBatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_SubmitBatchResponse__Output>): grpc.ClientUnaryCall;
  SubmitBatch(argument: _slmrouter_v1_SubmitBatchRequest, callback: grpc.requestCallback<_slmrouter_v1_SubmitBatchResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Queues many problems for asynchronous solving.
   */
  submitBatch(argument: _slmrouter_v1_SubmitBatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_SubmitBatchResponse__Output>): grpc.ClientUnaryCall;
  submitBatch(argument: _slmrouter_v1_SubmitBatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_slmrouter_v1_SubmitBatchResponse__Output>): grpc.ClientUnaryCall;
  submitBatch(argument: _slmrouter_v1_SubmitBatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_SubmitBatchResponse__Output>): grpc.ClientUnaryCall;
  submitBatch(argument: _slmrouter_v1_SubmitBatchRequest, callback: grpc.requestCallback<_slmrouter_v1_SubmitBatchResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Streams a batch's progress and each result as it completes, until the batch ends.
   */
  WatchBatch(argument: _slmrouter_v1_WatchBatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_slmrouter_v1_WatchBatchResponse__Output>;
  WatchBatch(argument: _slmrouter_v1_WatchBatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_slmrouter_v1_WatchBatchResponse__Output>;
  /**
   * Streams a batch's progress and each result as it completes, until the batch ends.
   */
  watchBatch(argument: _slmrouter_v1_WatchBatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_slmrouter_v1_WatchBatchResponse__Output>;
  watchBatch(argument: _slmrouter_v1_WatchBatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_slmrouter_v1_WatchBatchResponse__Output>;
  
}

/**
 * Classifies problems and dispatches them to the domain workers.
 */
export interface RouterHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Cancels a batch: queued problems are removed, running ones stopped.
   */
  CancelBatch: grpc.handleUnaryCall<_slmrouter_v1_CancelBatchRequest__Output, _slmrouter_v1_CancelBatchResponse>;
  
  /**
   * Classifies a problem without solving it.
   */
  Classify: grpc.handleUnaryCall<_slmrouter_v1_ClassifyRequest__Output, _slmrouter_v1_ClassifyResponse>;
  
  /**
   * Reports a batch's state and progress.
   */
  GetBatch: grpc.handleUnaryCall<_slmrouter_v1_GetBatchRequest__Output, _slmrouter_v1_GetBatchResponse>;
  
  /**
   * Classifies and solves one problem; answers when generation has finished.
   */
  Solve: grpc.handleUnaryCall<_slmrouter_v1_SolveRequest__Output, _slmrouter_v1_SolveResponse>;
  
  /**
   * Classifies and solves one problem, streaming the route, the text and the result.
   */
  SolveStream: grpc.handleServerStreamingCall<_slmrouter_v1_SolveStreamRequest__Output, _slmrouter_v1_SolveStreamResponse>;
  
  /**
   * Queues many problems for asynchronous solving.
   */
  SubmitBatch: grpc.handleUnaryCall<_slmrouter_v1_SubmitBatchRequest__Output, _slmrouter_v1_SubmitBatchResponse>;
  
  /**
   * Streams a batch's progress and each result as it completes, until the batch ends.
   */
  WatchBatch: grpc.handleServerStreamingCall<_slmrouter_v1_WatchBatchRequest__Output, _slmrouter_v1_WatchBatchResponse>;
  
}

export interface RouterDefinition extends grpc.ServiceDefinition {
  CancelBatch: MethodDefinition<_slmrouter_v1_CancelBatchRequest, _slmrouter_v1_CancelBatchResponse, _slmrouter_v1_CancelBatchRequest__Output, _slmrouter_v1_CancelBatchResponse__Output>
  Classify: MethodDefinition<_slmrouter_v1_ClassifyRequest, _slmrouter_v1_ClassifyResponse, _slmrouter_v1_ClassifyRequest__Output, _slmrouter_v1_ClassifyResponse__Output>
  GetBatch: MethodDefinition<_slmrouter_v1_GetBatchRequest, _slmrouter_v1_GetBatchResponse, _slmrouter_v1_GetBatchRequest__Output, _slmrouter_v1_GetBatchResponse__Output>
  Solve: MethodDefinition<_slmrouter_v1_SolveRequest, _slmrouter_v1_SolveResponse, _slmrouter_v1_SolveRequest__Output, _slmrouter_v1_SolveResponse__Output>
  SolveStream: MethodDefinition<_slmrouter_v1_SolveStreamRequest, _slmrouter_v1_SolveStreamResponse, _slmrouter_v1_SolveStreamRequest__Output, _slmrouter_v1_SolveStreamResponse__Output>
  SubmitBatch: MethodDefinition<_slmrouter_v1_SubmitBatchRequest, _slmrouter_v1_SubmitBatchResponse, _slmrouter_v1_SubmitBatchRequest__Output, _slmrouter_v1_SubmitBatchResponse__Output>
  WatchBatch: MethodDefinition<_slmrouter_v1_WatchBatchRequest, _slmrouter_v1_WatchBatchResponse, _slmrouter_v1_WatchBatchRequest__Output, _slmrouter_v1_WatchBatchResponse__Output>
}
