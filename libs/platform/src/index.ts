export { AppError, ErrorCode, echoInput, errorCodeOf, publicMessageOf } from './app.errors';
export { errorCodeOfGrpcStatus, grpcErrorOf, grpcStatusOf, httpErrorBody, httpStatusOf } from './error-mapping';
export { ConfigError, booleanSchema, loadConfig, portSchema, positiveIntSchema } from './config';
export { createLogger, type Logger } from './logger';
export { freePort, startRedisServer, type RedisServerOptions, type RedisServerProcess } from './local-processes';
export { handleShutdown, openResources, type GracefulShutdownOptions } from './graceful-shutdown';
export { REQUEST_ID_PATTERN, REQUEST_ID_RULE, checkRequestId, requestIdSchema } from './request-id';
export { describeIssues } from './input-issues';
