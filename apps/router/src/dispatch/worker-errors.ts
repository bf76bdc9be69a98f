import * as grpc from '@grpc/grpc-js';
import { AppError, ErrorCode, errorCodeOfGrpcStatus } from '@slm/platform';

const KNOWN = new Set<string>(Object.values(ErrorCode));

/**
 * Our error for a worker's gRPC failure. Workers send `CODE: message` details (grpcErrorOf), so
 * their own code survives the hop; otherwise the status decides.
 */
export function appErrorOfWorker(error: grpc.ServiceError, address: string): AppError {
  const match = /^([A-Z_]+): ([\s\S]*)$/.exec(error.details ?? '');
  if (match?.[1] && KNOWN.has(match[1])) return new AppError(match[1] as ErrorCode, match[2] ?? '', undefined, { cause: error });
  const code = errorCodeOfGrpcStatus(error.code);
  const message = code === ErrorCode.NO_HEALTHY_REPLICA ? `worker ${address} unavailable: ${error.details}` : error.details || error.message;
  return new AppError(code, message, undefined, { cause: error });
}
