import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { ErrorCode, errorCodeOf, publicMessageOf } from './app.errors';

const GRPC_STATUS: Record<ErrorCode, GrpcStatus> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  INPUT_TOO_LONG: GrpcStatus.INVALID_ARGUMENT,
  PAYLOAD_TOO_LARGE: GrpcStatus.INVALID_ARGUMENT,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  CONFLICT: GrpcStatus.ALREADY_EXISTS,
  QUEUE_FULL: GrpcStatus.RESOURCE_EXHAUSTED,
  RATE_LIMITED: GrpcStatus.RESOURCE_EXHAUSTED,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
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
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
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
  [GrpcStatus.UNAUTHENTICATED, ErrorCode.UNAUTHENTICATED],
  [GrpcStatus.PERMISSION_DENIED, ErrorCode.PERMISSION_DENIED],
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

/**
 * Whole seconds a caller should wait before retrying, from an error's `details.retryAfterSeconds`
 * (RATE_LIMITED sets it); undefined when the error says nothing. The edges send it as the HTTP
 * `Retry-After` header and the gRPC `retry-after` trailing metadata.
 */
export function retryAfterSecondsOf(error: unknown): number | undefined {
  const seconds = (error as { details?: { retryAfterSeconds?: unknown } } | null)?.details?.retryAfterSeconds;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined;
}

/**
 * The gRPC error object a handler passes to its callback or `emit('error')`; with `retry-after`
 * trailing metadata when the error says when to retry.
 */
export function grpcErrorOf(error: unknown): { code: GrpcStatus; details: string; metadata?: Metadata } {
  const status = { code: grpcStatusOf(error), details: `${errorCodeOf(error)}: ${publicMessageOf(error)}` };
  const retryAfter = retryAfterSecondsOf(error);
  if (retryAfter === undefined) return status;
  const metadata = new Metadata();
  metadata.set('retry-after', String(retryAfter));
  return { ...status, metadata };
}

/** Our code for a gRPC status a downstream server answered (the router reading a worker's error). */
export function errorCodeOfGrpcStatus(code: number): ErrorCode {
  return CODE_OF_GRPC_STATUS.get(code) ?? ErrorCode.INTERNAL;
}
