// Original file: proto/slmrouter/v1/worker.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GenerateRequest as _slmrouter_v1_GenerateRequest, GenerateRequest__Output as _slmrouter_v1_GenerateRequest__Output } from '../../slmrouter/v1/GenerateRequest';
import type { GenerateResponse as _slmrouter_v1_GenerateResponse, GenerateResponse__Output as _slmrouter_v1_GenerateResponse__Output } from '../../slmrouter/v1/GenerateResponse';
import type { GenerateStreamRequest as _slmrouter_v1_GenerateStreamRequest, GenerateStreamRequest__Output as _slmrouter_v1_GenerateStreamRequest__Output } from '../../slmrouter/v1/GenerateStreamRequest';
import type { GenerateStreamResponse as _slmrouter_v1_GenerateStreamResponse, GenerateStreamResponse__Output as _slmrouter_v1_GenerateStreamResponse__Output } from '../../slmrouter/v1/GenerateStreamResponse';
import type { GetInfoRequest as _slmrouter_v1_GetInfoRequest, GetInfoRequest__Output as _slmrouter_v1_GetInfoRequest__Output } from '../../slmrouter/v1/GetInfoRequest';
import type { GetInfoResponse as _slmrouter_v1_GetInfoResponse, GetInfoResponse__Output as _slmrouter_v1_GetInfoResponse__Output } from '../../slmrouter/v1/GetInfoResponse';

/**
 * Generates text with the one model a worker hosts.
 */
export interface WorkerClient extends grpc.Client {
  /**
   * Solves one problem and answers when generation has finished.
   */
  Generate(argument: _slmrouter_v1_GenerateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_GenerateResponse__Output>): grpc.ClientUnaryCall;
  Generate(argument: _slmrouter_v1_GenerateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_slmrouter_v1_GenerateResponse__Output>): grpc.ClientUnaryCall;
  Generate(argument: _slmrouter_v1_GenerateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_GenerateResponse__Output>): grpc.ClientUnaryCall;
  Generate(argument: _slmrouter_v1_GenerateRequest, callback: grpc.requestCallback<_slmrouter_v1_GenerateResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Solves one problem and answers when generation has finished.
   */
  generate(argument: _slmrouter_v1_GenerateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_GenerateResponse__Output>): grpc.ClientUnaryCall;
  generate(argument: _slmrouter_v1_GenerateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_slmrouter_v1_GenerateResponse__Output>): grpc.ClientUnaryCall;
  generate(argument: _slmrouter_v1_GenerateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_GenerateResponse__Output>): grpc.ClientUnaryCall;
  generate(argument: _slmrouter_v1_GenerateRequest, callback: grpc.requestCallback<_slmrouter_v1_GenerateResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Solves one problem, streaming text as it is generated, then the result.
   */
  GenerateStream(argument: _slmrouter_v1_GenerateStreamRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_slmrouter_v1_GenerateStreamResponse__Output>;
  GenerateStream(argument: _slmrouter_v1_GenerateStreamRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_slmrouter_v1_GenerateStreamResponse__Output>;
  /**
   * Solves one problem, streaming text as it is generated, then the result.
   */
  generateStream(argument: _slmrouter_v1_GenerateStreamRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_slmrouter_v1_GenerateStreamResponse__Output>;
  generateStream(argument: _slmrouter_v1_GenerateStreamRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_slmrouter_v1_GenerateStreamResponse__Output>;
  
  /**
   * Describes the hosted model and whether it is ready.
   */
  GetInfo(argument: _slmrouter_v1_GetInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_GetInfoResponse__Output>): grpc.ClientUnaryCall;
  GetInfo(argument: _slmrouter_v1_GetInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_slmrouter_v1_GetInfoResponse__Output>): grpc.ClientUnaryCall;
  GetInfo(argument: _slmrouter_v1_GetInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_GetInfoResponse__Output>): grpc.ClientUnaryCall;
  GetInfo(argument: _slmrouter_v1_GetInfoRequest, callback: grpc.requestCallback<_slmrouter_v1_GetInfoResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Describes the hosted model and whether it is ready.
   */
  getInfo(argument: _slmrouter_v1_GetInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_GetInfoResponse__Output>): grpc.ClientUnaryCall;
  getInfo(argument: _slmrouter_v1_GetInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_slmrouter_v1_GetInfoResponse__Output>): grpc.ClientUnaryCall;
  getInfo(argument: _slmrouter_v1_GetInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_slmrouter_v1_GetInfoResponse__Output>): grpc.ClientUnaryCall;
  getInfo(argument: _slmrouter_v1_GetInfoRequest, callback: grpc.requestCallback<_slmrouter_v1_GetInfoResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Generates text with the one model a worker hosts.
 */
export interface WorkerHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Solves one problem and answers when generation has finished.
   */
  Generate: grpc.handleUnaryCall<_slmrouter_v1_GenerateRequest__Output, _slmrouter_v1_GenerateResponse>;
  
  /**
   * Solves one problem, streaming text as it is generated, then the result.
   */
  GenerateStream: grpc.handleServerStreamingCall<_slmrouter_v1_GenerateStreamRequest__Output, _slmrouter_v1_GenerateStreamResponse>;
  
  /**
   * Describes the hosted model and whether it is ready.
   */
  GetInfo: grpc.handleUnaryCall<_slmrouter_v1_GetInfoRequest__Output, _slmrouter_v1_GetInfoResponse>;
  
}

export interface WorkerDefinition extends grpc.ServiceDefinition {
  Generate: MethodDefinition<_slmrouter_v1_GenerateRequest, _slmrouter_v1_GenerateResponse, _slmrouter_v1_GenerateRequest__Output, _slmrouter_v1_GenerateResponse__Output>
  GenerateStream: MethodDefinition<_slmrouter_v1_GenerateStreamRequest, _slmrouter_v1_GenerateStreamResponse, _slmrouter_v1_GenerateStreamRequest__Output, _slmrouter_v1_GenerateStreamResponse__Output>
  GetInfo: MethodDefinition<_slmrouter_v1_GetInfoRequest, _slmrouter_v1_GetInfoResponse, _slmrouter_v1_GetInfoRequest__Output, _slmrouter_v1_GetInfoResponse__Output>
}
