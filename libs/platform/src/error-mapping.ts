import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { AppError, ErrorCode, errorCodeOf, isErrorCode, publicMessageOf } from './app.errors';

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
 * The trailing metadata key that carries our error code on every failed gRPC status, beside the
 * gRPC status code (which several codes share: QUEUE_FULL and RATE_LIMITED are both
 * RESOURCE_EXHAUSTED). Part of the wire contract (proto/slmrouter/v1/*.proto, README "gRPC"): a
 * client reads the code here, never out of the details text, which is the message alone.
 */
export const ERROR_CODE_METADATA_KEY = 'slm-error-code';

/** A failed gRPC status as a handler passes it to its callback or `emit('error')`. */
export interface GrpcErrorStatus {
  code: GrpcStatus;
  /** The message alone, for people. */
  details: string;
  /** Trailing metadata: `slm-error-code` always, `retry-after` when the error says when to retry. */
  metadata: Metadata;
}

/**
 * The gRPC status of an error: the mapped status code, the public message as details, and the
 * error code in the `slm-error-code` trailing metadata (with `retry-after` when the error has one).
 */
export function toGrpcStatus(error: unknown): GrpcErrorStatus {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, errorCodeOf(error));
  const retryAfter = retryAfterSecondsOf(error);
  if (retryAfter !== undefined) metadata.set('retry-after', String(retryAfter));
  return { code: grpcStatusOf(error), details: publicMessageOf(error), metadata };
}

/** Our code for a gRPC status a downstream server answered without a typed code. */
export function errorCodeOfGrpcStatus(code: number): ErrorCode {
  return CODE_OF_GRPC_STATUS.get(code) ?? ErrorCode.INTERNAL;
}

/** A failed call as grpc-js reports it to a client. */
export interface GrpcCallError {
  code: number;
  details?: string;
  message?: string;
  metadata?: Metadata;
}

/**
 * Our error for a failed gRPC call: the code from the `slm-error-code` trailing metadata and the
 * details as the message, so the server's code survives the hop. A status without that key (a
 * transport failure, a server of another kind) maps by its gRPC status code; its message then names
 * `peer` when the peer was unavailable (e.g. "worker 10.0.0.7:50051 unavailable: …").
 */
export function appErrorOfGrpc(error: GrpcCallError, peer?: string): AppError {
  const typed = String(error.metadata?.get(ERROR_CODE_METADATA_KEY)[0] ?? '');
  if (isErrorCode(typed)) return new AppError(typed, error.details ?? '', undefined, { cause: error });
  const code = errorCodeOfGrpcStatus(error.code);
  const details = error.details || error.message || '';
  const message = code === ErrorCode.NO_HEALTHY_REPLICA && peer ? `${peer} unavailable: ${details}` : details;
  return new AppError(code, message, undefined, { cause: error });
}
