import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AnswerCount as _slmrouter_v1_AnswerCount, AnswerCount__Output as _slmrouter_v1_AnswerCount__Output } from './slmrouter/v1/AnswerCount';
import type { BatchCounts as _slmrouter_v1_BatchCounts, BatchCounts__Output as _slmrouter_v1_BatchCounts__Output } from './slmrouter/v1/BatchCounts';
import type { BatchItem as _slmrouter_v1_BatchItem, BatchItem__Output as _slmrouter_v1_BatchItem__Output } from './slmrouter/v1/BatchItem';
import type { BatchStatus as _slmrouter_v1_BatchStatus, BatchStatus__Output as _slmrouter_v1_BatchStatus__Output } from './slmrouter/v1/BatchStatus';
import type { CancelBatchRequest as _slmrouter_v1_CancelBatchRequest, CancelBatchRequest__Output as _slmrouter_v1_CancelBatchRequest__Output } from './slmrouter/v1/CancelBatchRequest';
import type { CancelBatchResponse as _slmrouter_v1_CancelBatchResponse, CancelBatchResponse__Output as _slmrouter_v1_CancelBatchResponse__Output } from './slmrouter/v1/CancelBatchResponse';
import type { ChatMessage as _slmrouter_v1_ChatMessage, ChatMessage__Output as _slmrouter_v1_ChatMessage__Output } from './slmrouter/v1/ChatMessage';
import type { ClassScore as _slmrouter_v1_ClassScore, ClassScore__Output as _slmrouter_v1_ClassScore__Output } from './slmrouter/v1/ClassScore';
import type { ClassifyRequest as _slmrouter_v1_ClassifyRequest, ClassifyRequest__Output as _slmrouter_v1_ClassifyRequest__Output } from './slmrouter/v1/ClassifyRequest';
import type { ClassifyResponse as _slmrouter_v1_ClassifyResponse, ClassifyResponse__Output as _slmrouter_v1_ClassifyResponse__Output } from './slmrouter/v1/ClassifyResponse';
import type { Conversation as _slmrouter_v1_Conversation, Conversation__Output as _slmrouter_v1_Conversation__Output } from './slmrouter/v1/Conversation';
import type { DomainCounts as _slmrouter_v1_DomainCounts, DomainCounts__Output as _slmrouter_v1_DomainCounts__Output } from './slmrouter/v1/DomainCounts';
import type { ExampleCheck as _slmrouter_v1_ExampleCheck, ExampleCheck__Output as _slmrouter_v1_ExampleCheck__Output } from './slmrouter/v1/ExampleCheck';
import type { ExtractedAnswer as _slmrouter_v1_ExtractedAnswer, ExtractedAnswer__Output as _slmrouter_v1_ExtractedAnswer__Output } from './slmrouter/v1/ExtractedAnswer';
import type { GenerationOptions as _slmrouter_v1_GenerationOptions, GenerationOptions__Output as _slmrouter_v1_GenerationOptions__Output } from './slmrouter/v1/GenerationOptions';
import type { GetBatchRequest as _slmrouter_v1_GetBatchRequest, GetBatchRequest__Output as _slmrouter_v1_GetBatchRequest__Output } from './slmrouter/v1/GetBatchRequest';
import type { GetBatchResponse as _slmrouter_v1_GetBatchResponse, GetBatchResponse__Output as _slmrouter_v1_GetBatchResponse__Output } from './slmrouter/v1/GetBatchResponse';
import type { Problem as _slmrouter_v1_Problem, Problem__Output as _slmrouter_v1_Problem__Output } from './slmrouter/v1/Problem';
import type { Result as _slmrouter_v1_Result, Result__Output as _slmrouter_v1_Result__Output } from './slmrouter/v1/Result';
import type { RouteDecision as _slmrouter_v1_RouteDecision, RouteDecision__Output as _slmrouter_v1_RouteDecision__Output } from './slmrouter/v1/RouteDecision';
import type { RouterClient as _slmrouter_v1_RouterClient, RouterDefinition as _slmrouter_v1_RouterDefinition } from './slmrouter/v1/Router';
import type { SolveRequest as _slmrouter_v1_SolveRequest, SolveRequest__Output as _slmrouter_v1_SolveRequest__Output } from './slmrouter/v1/SolveRequest';
import type { SolveResponse as _slmrouter_v1_SolveResponse, SolveResponse__Output as _slmrouter_v1_SolveResponse__Output } from './slmrouter/v1/SolveResponse';
import type { SolveStreamRequest as _slmrouter_v1_SolveStreamRequest, SolveStreamRequest__Output as _slmrouter_v1_SolveStreamRequest__Output } from './slmrouter/v1/SolveStreamRequest';
import type { SolveStreamResponse as _slmrouter_v1_SolveStreamResponse, SolveStreamResponse__Output as _slmrouter_v1_SolveStreamResponse__Output } from './slmrouter/v1/SolveStreamResponse';
import type { SubmitBatchRequest as _slmrouter_v1_SubmitBatchRequest, SubmitBatchRequest__Output as _slmrouter_v1_SubmitBatchRequest__Output } from './slmrouter/v1/SubmitBatchRequest';
import type { SubmitBatchResponse as _slmrouter_v1_SubmitBatchResponse, SubmitBatchResponse__Output as _slmrouter_v1_SubmitBatchResponse__Output } from './slmrouter/v1/SubmitBatchResponse';
import type { Timing as _slmrouter_v1_Timing, Timing__Output as _slmrouter_v1_Timing__Output } from './slmrouter/v1/Timing';
import type { TokenDelta as _slmrouter_v1_TokenDelta, TokenDelta__Output as _slmrouter_v1_TokenDelta__Output } from './slmrouter/v1/TokenDelta';
import type { Usage as _slmrouter_v1_Usage, Usage__Output as _slmrouter_v1_Usage__Output } from './slmrouter/v1/Usage';
import type { Verification as _slmrouter_v1_Verification, Verification__Output as _slmrouter_v1_Verification__Output } from './slmrouter/v1/Verification';
import type { WatchBatchRequest as _slmrouter_v1_WatchBatchRequest, WatchBatchRequest__Output as _slmrouter_v1_WatchBatchRequest__Output } from './slmrouter/v1/WatchBatchRequest';
import type { WatchBatchResponse as _slmrouter_v1_WatchBatchResponse, WatchBatchResponse__Output as _slmrouter_v1_WatchBatchResponse__Output } from './slmrouter/v1/WatchBatchResponse';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  slmrouter: {
    v1: {
      AnswerCount: MessageTypeDefinition<_slmrouter_v1_AnswerCount, _slmrouter_v1_AnswerCount__Output>
      BatchCounts: MessageTypeDefinition<_slmrouter_v1_BatchCounts, _slmrouter_v1_BatchCounts__Output>
      BatchItem: MessageTypeDefinition<_slmrouter_v1_BatchItem, _slmrouter_v1_BatchItem__Output>
      BatchState: EnumTypeDefinition
      BatchStatus: MessageTypeDefinition<_slmrouter_v1_BatchStatus, _slmrouter_v1_BatchStatus__Output>
      CancelBatchRequest: MessageTypeDefinition<_slmrouter_v1_CancelBatchRequest, _slmrouter_v1_CancelBatchRequest__Output>
      CancelBatchResponse: MessageTypeDefinition<_slmrouter_v1_CancelBatchResponse, _slmrouter_v1_CancelBatchResponse__Output>
      Channel: EnumTypeDefinition
      ChatMessage: MessageTypeDefinition<_slmrouter_v1_ChatMessage, _slmrouter_v1_ChatMessage__Output>
      ClassScore: MessageTypeDefinition<_slmrouter_v1_ClassScore, _slmrouter_v1_ClassScore__Output>
      ClassifyRequest: MessageTypeDefinition<_slmrouter_v1_ClassifyRequest, _slmrouter_v1_ClassifyRequest__Output>
      ClassifyResponse: MessageTypeDefinition<_slmrouter_v1_ClassifyResponse, _slmrouter_v1_ClassifyResponse__Output>
      Conversation: MessageTypeDefinition<_slmrouter_v1_Conversation, _slmrouter_v1_Conversation__Output>
      Domain: EnumTypeDefinition
      DomainCounts: MessageTypeDefinition<_slmrouter_v1_DomainCounts, _slmrouter_v1_DomainCounts__Output>
      ExampleCheck: MessageTypeDefinition<_slmrouter_v1_ExampleCheck, _slmrouter_v1_ExampleCheck__Output>
      ExtractedAnswer: MessageTypeDefinition<_slmrouter_v1_ExtractedAnswer, _slmrouter_v1_ExtractedAnswer__Output>
      FinishReason: EnumTypeDefinition
      GenerationOptions: MessageTypeDefinition<_slmrouter_v1_GenerationOptions, _slmrouter_v1_GenerationOptions__Output>
      GetBatchRequest: MessageTypeDefinition<_slmrouter_v1_GetBatchRequest, _slmrouter_v1_GetBatchRequest__Output>
      GetBatchResponse: MessageTypeDefinition<_slmrouter_v1_GetBatchResponse, _slmrouter_v1_GetBatchResponse__Output>
      Problem: MessageTypeDefinition<_slmrouter_v1_Problem, _slmrouter_v1_Problem__Output>
      Result: MessageTypeDefinition<_slmrouter_v1_Result, _slmrouter_v1_Result__Output>
      RouteDecision: MessageTypeDefinition<_slmrouter_v1_RouteDecision, _slmrouter_v1_RouteDecision__Output>
      /**
       * Classifies problems and dispatches them to the domain workers.
       */
      Router: SubtypeConstructor<typeof grpc.Client, _slmrouter_v1_RouterClient> & { service: _slmrouter_v1_RouterDefinition }
      SolveRequest: MessageTypeDefinition<_slmrouter_v1_SolveRequest, _slmrouter_v1_SolveRequest__Output>
      SolveResponse: MessageTypeDefinition<_slmrouter_v1_SolveResponse, _slmrouter_v1_SolveResponse__Output>
      SolveStreamRequest: MessageTypeDefinition<_slmrouter_v1_SolveStreamRequest, _slmrouter_v1_SolveStreamRequest__Output>
      SolveStreamResponse: MessageTypeDefinition<_slmrouter_v1_SolveStreamResponse, _slmrouter_v1_SolveStreamResponse__Output>
      SubmitBatchRequest: MessageTypeDefinition<_slmrouter_v1_SubmitBatchRequest, _slmrouter_v1_SubmitBatchRequest__Output>
      SubmitBatchResponse: MessageTypeDefinition<_slmrouter_v1_SubmitBatchResponse, _slmrouter_v1_SubmitBatchResponse__Output>
      Timing: MessageTypeDefinition<_slmrouter_v1_Timing, _slmrouter_v1_Timing__Output>
      TokenDelta: MessageTypeDefinition<_slmrouter_v1_TokenDelta, _slmrouter_v1_TokenDelta__Output>
      Usage: MessageTypeDefinition<_slmrouter_v1_Usage, _slmrouter_v1_Usage__Output>
      Verification: MessageTypeDefinition<_slmrouter_v1_Verification, _slmrouter_v1_Verification__Output>
      WatchBatchRequest: MessageTypeDefinition<_slmrouter_v1_WatchBatchRequest, _slmrouter_v1_WatchBatchRequest__Output>
      WatchBatchResponse: MessageTypeDefinition<_slmrouter_v1_WatchBatchResponse, _slmrouter_v1_WatchBatchResponse__Output>
    }
  }
}

