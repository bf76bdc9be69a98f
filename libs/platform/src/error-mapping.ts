import { status as GrpcStatus } from '@grpc/grpc-js';
import { ErrorCode, errorCodeOf, publicMessageOf } from './app.errors';

const GRPC_STATUS: Record<ErrorCode, GrpcStatus> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  INPUT_TOO_LONG: GrpcStatus.INVALID_ARGUMENT,
  PAYLOAD_TOO_LARGE: GrpcStatus.INVALID_ARGUMENT,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  CONFLICT: GrpcStatus.ALREADY_EXISTS,
  QUEUE_FULL: GrpcStatus.RESOURCE_EXHAUSTED,
  RATE_LIMITED: GrpcStatus.RESOURCE_EXHAUSTED,
  DEADLINE_EXCEEDED: GrpcStatus.DEADLINE_EXCEEDED,
  CANCELLED: GrpcStatus.CANCELLED,
  ROUTE_REJECTED: GrpcStatus.FAILED_PRECONDITION,
  NO_HEALTHY_REPLICA: GrpcStatus.UNAVAILABLE,
  REDIS_UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  MODEL_NOT_READY: GrpcStatus.UNAVAILABLE,
  MODEL_LOAD_FAILED: GrpcStatus.UNAVAILABLE,
  INTERNAL: GrpcStatus.INTERNAL,
};

const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  INPUT_TOO_LONG: 400,
  PAYLOAD_TOO_LARGE: 413,
  NOT_FOUND: 404,
  CONFLICT: 409,
  QUEUE_FULL: 429,
  RATE_LIMITED: 429,
  DEADLINE_EXCEEDED: 504,
  CANCELLED: 499,
  ROUTE_REJECTED: 422,
  NO_HEALTHY_REPLICA: 503,
  REDIS_UNAVAILABLE: 503,
  MODEL_NOT_READY: 503,
  MODEL_LOAD_FAILED: 503,
  INTERNAL: 500,
};

const CODE_OF_GRPC_STATUS = new Map<number, ErrorCode>([
  [GrpcStatus.INVALID_ARGUMENT, ErrorCode.INVALID_ARGUMENT],
  [GrpcStatus.NOT_FOUND, ErrorCode.NOT_FOUND],
  [GrpcStatus.ALREADY_EXISTS, ErrorCode.CONFLICT],
  [GrpcStatus.RESOURCE_EXHAUSTED, ErrorCode.QUEUE_FULL],
  [GrpcStatus.DEADLINE_EXCEEDED, ErrorCode.DEADLINE_EXCEEDED],
  [GrpcStatus.CANCELLED, ErrorCode.CANCELLED],
  [GrpcStatus.FAILED_PRECONDITION, ErrorCode.ROUTE_REJECTED],
  [GrpcStatus.UNAVAILABLE, ErrorCode.NO_HEALTHY_REPLICA],
]);

/** gRPC status for an error's code. */
export function grpcStatusOf(error: unknown): GrpcStatus {
  return GRPC_STATUS[errorCodeOf(error)];
}

/** HTTP status for an error's code. */
export function httpStatusOf(error: unknown): number {
  return HTTP_STATUS[errorCodeOf(error)];
}

/** The JSON body of an HTTP error: `{ error: { code, message } }`. */
export function httpErrorBody(error: unknown): { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
  const details = (error as { details?: unknown } | null)?.details;
  return {
    error: {
      code: errorCodeOf(error),
      message: publicMessageOf(error),
      ...(details && typeof details === 'object' ? { details: details as Record<string, unknown> } : {}),
    },
  };
}

/** The gRPC error object a handler passes to its callback or `emit('error')`. */
export function grpcErrorOf(error: unknown): { code: GrpcStatus; details: string } {
  return { code: grpcStatusOf(error), details: `${errorCodeOf(error)}: ${publicMessageOf(error)}` };
}

/** Our code for a gRPC status a downstream server answered (the router reading a worker's error). */
export function errorCodeOfGrpcStatus(code: number): ErrorCode {
  return CODE_OF_GRPC_STATUS.get(code) ?? ErrorCode.INTERNAL;
}
