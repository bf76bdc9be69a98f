import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AnswerCount as _slmrouter_v1_AnswerCount, AnswerCount__Output as _slmrouter_v1_AnswerCount__Output } from './slmrouter/v1/AnswerCount';
import type { ChatMessage as _slmrouter_v1_ChatMessage, ChatMessage__Output as _slmrouter_v1_ChatMessage__Output } from './slmrouter/v1/ChatMessage';
import type { ClassScore as _slmrouter_v1_ClassScore, ClassScore__Output as _slmrouter_v1_ClassScore__Output } from './slmrouter/v1/ClassScore';
import type { Conversation as _slmrouter_v1_Conversation, Conversation__Output as _slmrouter_v1_Conversation__Output } from './slmrouter/v1/Conversation';
import type { ExampleCheck as _slmrouter_v1_ExampleCheck, ExampleCheck__Output as _slmrouter_v1_ExampleCheck__Output } from './slmrouter/v1/ExampleCheck';
import type { ExtractedAnswer as _slmrouter_v1_ExtractedAnswer, ExtractedAnswer__Output as _slmrouter_v1_ExtractedAnswer__Output } from './slmrouter/v1/ExtractedAnswer';
import type { GenerateRequest as _slmrouter_v1_GenerateRequest, GenerateRequest__Output as _slmrouter_v1_GenerateRequest__Output } from './slmrouter/v1/GenerateRequest';
import type { GenerateResponse as _slmrouter_v1_GenerateResponse, GenerateResponse__Output as _slmrouter_v1_GenerateResponse__Output } from './slmrouter/v1/GenerateResponse';
import type { GenerateStreamRequest as _slmrouter_v1_GenerateStreamRequest, GenerateStreamRequest__Output as _slmrouter_v1_GenerateStreamRequest__Output } from './slmrouter/v1/GenerateStreamRequest';
import type { GenerateStreamResponse as _slmrouter_v1_GenerateStreamResponse, GenerateStreamResponse__Output as _slmrouter_v1_GenerateStreamResponse__Output } from './slmrouter/v1/GenerateStreamResponse';
import type { GenerationOptions as _slmrouter_v1_GenerationOptions, GenerationOptions__Output as _slmrouter_v1_GenerationOptions__Output } from './slmrouter/v1/GenerationOptions';
import type { GetInfoRequest as _slmrouter_v1_GetInfoRequest, GetInfoRequest__Output as _slmrouter_v1_GetInfoRequest__Output } from './slmrouter/v1/GetInfoRequest';
import type { GetInfoResponse as _slmrouter_v1_GetInfoResponse, GetInfoResponse__Output as _slmrouter_v1_GetInfoResponse__Output } from './slmrouter/v1/GetInfoResponse';
import type { Problem as _slmrouter_v1_Problem, Problem__Output as _slmrouter_v1_Problem__Output } from './slmrouter/v1/Problem';
import type { Result as _slmrouter_v1_Result, Result__Output as _slmrouter_v1_Result__Output } from './slmrouter/v1/Result';
import type { RouteDecision as _slmrouter_v1_RouteDecision, RouteDecision__Output as _slmrouter_v1_RouteDecision__Output } from './slmrouter/v1/RouteDecision';
import type { Timing as _slmrouter_v1_Timing, Timing__Output as _slmrouter_v1_Timing__Output } from './slmrouter/v1/Timing';
import type { TokenDelta as _slmrouter_v1_TokenDelta, TokenDelta__Output as _slmrouter_v1_TokenDelta__Output } from './slmrouter/v1/TokenDelta';
import type { Usage as _slmrouter_v1_Usage, Usage__Output as _slmrouter_v1_Usage__Output } from './slmrouter/v1/Usage';
import type { Verification as _slmrouter_v1_Verification, Verification__Output as _slmrouter_v1_Verification__Output } from './slmrouter/v1/Verification';
import type { WorkerClient as _slmrouter_v1_WorkerClient, WorkerDefinition as _slmrouter_v1_WorkerDefinition } from './slmrouter/v1/Worker';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  slmrouter: {
    v1: {
      AnswerCount: MessageTypeDefinition<_slmrouter_v1_AnswerCount, _slmrouter_v1_AnswerCount__Output>
      Channel: EnumTypeDefinition
      ChatMessage: MessageTypeDefinition<_slmrouter_v1_ChatMessage, _slmrouter_v1_ChatMessage__Output>
      ClassScore: MessageTypeDefinition<_slmrouter_v1_ClassScore, _slmrouter_v1_ClassScore__Output>
      Conversation: MessageTypeDefinition<_slmrouter_v1_Conversation, _slmrouter_v1_Conversation__Output>
      Domain: EnumTypeDefinition
      ExampleCheck: MessageTypeDefinition<_slmrouter_v1_ExampleCheck, _slmrouter_v1_ExampleCheck__Output>
      ExtractedAnswer: MessageTypeDefinition<_slmrouter_v1_ExtractedAnswer, _slmrouter_v1_ExtractedAnswer__Output>
      FinishReason: EnumTypeDefinition
      GenerateRequest: MessageTypeDefinition<_slmrouter_v1_GenerateRequest, _slmrouter_v1_GenerateRequest__Output>
      GenerateResponse: MessageTypeDefinition<_slmrouter_v1_GenerateResponse, _slmrouter_v1_GenerateResponse__Output>
      GenerateStreamRequest: MessageTypeDefinition<_slmrouter_v1_GenerateStreamRequest, _slmrouter_v1_GenerateStreamRequest__Output>
      GenerateStreamResponse: MessageTypeDefinition<_slmrouter_v1_GenerateStreamResponse, _slmrouter_v1_GenerateStreamResponse__Output>
      GenerationOptions: MessageTypeDefinition<_slmrouter_v1_GenerationOptions, _slmrouter_v1_GenerationOptions__Output>
      GetInfoRequest: MessageTypeDefinition<_slmrouter_v1_GetInfoRequest, _slmrouter_v1_GetInfoRequest__Output>
      GetInfoResponse: MessageTypeDefinition<_slmrouter_v1_GetInfoResponse, _slmrouter_v1_GetInfoResponse__Output>
      LoadState: EnumTypeDefinition
      Problem: MessageTypeDefinition<_slmrouter_v1_Problem, _slmrouter_v1_Problem__Output>
      Result: MessageTypeDefinition<_slmrouter_v1_Result, _slmrouter_v1_Result__Output>
      RouteDecision: MessageTypeDefinition<_slmrouter_v1_RouteDecision, _slmrouter_v1_RouteDecision__Output>
      Timing: MessageTypeDefinition<_slmrouter_v1_Timing, _slmrouter_v1_Timing__Output>
      TokenDelta: MessageTypeDefinition<_slmrouter_v1_TokenDelta, _slmrouter_v1_TokenDelta__Output>
      Usage: MessageTypeDefinition<_slmrouter_v1_Usage, _slmrouter_v1_Usage__Output>
      Verification: MessageTypeDefinition<_slmrouter_v1_Verification, _slmrouter_v1_Verification__Output>
      /**
       * Generates text with the one model a worker hosts.
       */
      Worker: SubtypeConstructor<typeof grpc.Client, _slmrouter_v1_WorkerClient> & { service: _slmrouter_v1_WorkerDefinition }
    }
  }
}

