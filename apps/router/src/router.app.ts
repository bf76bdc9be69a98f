import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, LogLevel, NestApplicationOptions } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { checkRedisCredentials, createLogger, type Logger, type ServerTls } from '@slm/platform';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import type { RouterConfig } from './config/router.config';
import { ApiKeysService } from './auth/api-keys.service';
import { serveDashboard } from './dashboard/dashboard-page';
import type { HostResolver } from './dispatch/host-resolver';
import { RouterGrpcController } from './grpc/router.grpc-controller';
import { registerBodyParsers } from './http/body-parsers';
import { drainOnClose } from './http/drain-on-close';
import { authenticateEarly } from './http/early-authentication';
import { HttpErrorsFilter } from './http/http-errors.filter';
import { serveApiDocs } from './http/openapi';
import { requestIdOf, requestTracing } from './http/request-tracing';
import { countRequests } from './metrics/request-metrics';
import { RouterMetricsService } from './metrics/router-metrics.service';
import type { RouteClassifier } from './routing/route-classifier';
import { RouterModule } from './router.module';

/** A started router: its app, and the ports it actually bound (they differ from config when 0). */
export interface RunningRouter {
  app: INestApplication;
  httpPort: number;
  grpcPort: number;
  close(): Promise<void>;
}

/** Options of {@link startRouter}. */
export interface StartRouterOptions {
  /** Nest's log levels; the least severe one given becomes the pino level (tests keep warn and error). Default: LOG_LEVEL. */
  logLevels?: LogLevel[];
  /** The root pino logger (tests pass one writing to a stream they read). Default: JSON lines on stdout. */
  logger?: Logger;
  /** Resolves the names of `dns:///name:port` worker addresses (tests move replicas with it). Default: the system resolver. */
  resolveWorkerHost?: HostResolver;
}

const PINO_LEVEL_OF: Record<LogLevel, string> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};
const NEST_LEVELS: readonly LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];

function pinoLevelOf(levels: LogLevel[] | undefined): string | undefined {
  const least = NEST_LEVELS.find((level) => levels?.includes(level));
  return least && PINO_LEVEL_OF[least];
}

/** Longest path parameter (a batch id) Fastify matches: as long as Node lets a request line be (16 KiB of headers), so an unknown id is a 404 from the handler, never a 414. */
const MAX_PARAM_LENGTH = 16 * 1024;

/** Builds and starts the router (HTTP and gRPC) from a validated config and a classifier. */
export async function startRouter(
  config: RouterConfig,
  classifier: RouteClassifier,
  options: StartRouterOptions = {},
): Promise<RunningRouter> {
  // A wrong Redis password stops the start with a clear message; an unreachable Redis does not.
  await checkRedisCredentials(config.redis.url);
  const logger = options.logger ?? createLogger('router', pinoLevelOf(options.logLevels));
  const adapter = new FastifyAdapter({
    ...(config.tls ? { https: httpsOptionsOf(config.tls) } : {}),
    // The correlation id: the caller's x-request-id (checked by the tracing hook), else a UUID.
    genReqId: requestIdOf,
    // As Express matched them: /v1/solve/ and /V1/Solve are /v1/solve.
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false, maxParamLength: MAX_PARAM_LENGTH },
  });
  // A declared field keeps every request object the same shape.
  adapter.getInstance().decorateRequest('receivedAt', 0);
  // Tracing first, so that a body refused by the parser still has its request id and access line.
  // Fastify sends no X-Powered-By: a caller learns nothing of the framework.
  adapter.getInstance().addHook('onRequest', requestTracing(logger));
  const app = await NestFactory.create<NestFastifyApplication>(
    RouterModule.forRoot(config, classifier, logger, options.resolveWorkerHost),
    adapter,
    {
      bodyParser: false,
      bufferLogs: true,
    },
  );
  // Nest's own lines and every `new Logger(Class.name)` go through nestjs-pino to the same pino root.
  app.useLogger(app.get(NestPinoLogger));
  const fastify = app.getHttpAdapter().getInstance();
  // Counted from the tracing on (refusals included); authentication before the body is read.
  fastify.addHook('onRequest', countRequests(app.get(RouterMetricsService)));
  fastify.addHook('onRequest', authenticateEarly(app.get(ApiKeysService)));
  registerBodyParsers(fastify, config.limits);
  drainOnClose(fastify);
  app.useGlobalFilters(new HttpErrorsFilter());
  serveApiDocs(app);
  serveDashboard(app);
  // A refused start (no API key on an exposed host, …) closes what the modules opened.
  await app.listen({ port: config.http.port, host: config.http.host }).catch(async (error: unknown) => {
    await app.close().catch(() => undefined);
    throw error;
  });
  const address = app.getHttpServer().address() as AddressInfo;
  const grpcPort = app.get(RouterGrpcController).port;
  return { app, httpPort: address.port, grpcPort, close: () => app.close() };
}

/** HTTPS from ROUTER_TLS_*: with a CA, only callers with a client certificate it signed get through. */
function httpsOptionsOf(tls: ServerTls): NonNullable<NestApplicationOptions['httpsOptions']> {
  if (!tls.ca) return { cert: tls.cert, key: tls.key };
  return { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true };
}
