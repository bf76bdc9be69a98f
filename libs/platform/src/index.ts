export { AppError, ErrorCode, errorCodeOf, publicMessageOf } from './app.errors';
export { errorCodeOfGrpcStatus, grpcErrorOf, grpcStatusOf, httpErrorBody, httpStatusOf } from './error-mapping';
export { ConfigError, booleanSchema, loadConfig, portSchema, positiveIntSchema } from './config';
export { createLogger, type Logger } from './logger';
export { freePort, startRedisServer, type RedisServerOptions, type RedisServerProcess } from './local-processes';
