export { AppError, ErrorCode, echoInput, errorCodeOf, isErrorCode, publicMessageOf } from './app.errors';
export {
  ERROR_CODE_METADATA_KEY,
  appErrorOfGrpc,
  errorCodeOfGrpcStatus,
  grpcStatusOf,
  httpErrorBody,
  httpStatusOf,
  retryAfterSecondsOf,
  toGrpcStatus,
  type GrpcCallError,
  type GrpcErrorStatus,
} from './error-mapping';
export { jobFailureOf, jobFailureReason, type JobFailure } from './job-failure';
export { ConfigError, booleanSchema, loadConfig, portSchema, positiveIntSchema } from './config';
export { createLogger, type DestinationStream, type Logger } from './logger';
export { correlationIdOf, type RequestContext } from './request-context';
export { logUnexpectedError, unexpectedErrorMessage, type ErrorLogger } from './unexpected-errors';
export {
  freePort,
  startRedisCluster,
  startRedisServer,
  type RedisClusterProcess,
  type RedisServerOptions,
  type RedisServerProcess,
} from './local-processes';
export { handleShutdown, openResources, type GracefulShutdownOptions } from './graceful-shutdown';
export { REQUEST_ID_PATTERN, REQUEST_ID_RULE, checkRequestId, requestIdSchema } from './request-id';
export { describeIssues } from './input-issues';
export { RedisAuthError, checkRedisCredentials, redactRedisPassword, redactRedisUrl, redisUrlSchema } from './redis-url';
export {
  createRedisConnection,
  isRedisCluster,
  parseRedisTarget,
  queueKeyPrefix,
  type RedisConnection,
  type RedisNode,
  type RedisTarget,
} from './redis-connection';
export { checkCertKeyPair, pemFileSchema, type ClientTls, type PemKind, type ServerTls } from './tls-files';
export {
  API_KEY_SCOPES,
  ApiKeyStore,
  generateApiKey,
  hashApiKeySecret,
  parseApiKey,
  parseScopes,
  verifyApiKeySecret,
  type ApiKeyInfo,
  type ApiKeyLimits,
  type ApiKeyRecord,
  type ApiKeyScope,
  type CreateApiKeyOptions,
} from './api-keys';
export { DEV_CERT_FILES, writeDevCertificates, type DevCertFile, type DevCertificateOptions } from './dev-certificates';
export { REDIS_TLS_CA_PARAM, redisTlsOf, splitRedisTlsCa } from './redis-tls';
export { availableCores, memoryLimitBytes } from './host-resources';
