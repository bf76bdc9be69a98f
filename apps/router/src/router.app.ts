import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, LogLevel } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { checkRedisCredentials, createLogger, type Logger } from '@slm/platform';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import type { RouterConfig } from './config/router.config';
import { RouterGrpcController } from './grpc/router.grpc-controller';
import { bodyReader } from './http/body-reader.middleware';
import { HttpErrorsFilter } from './http/http-errors.filter';
import { serveApiDocs } from './http/openapi';
import { bindRequestContext, requestTracing } from './http/request-tracing.middleware';
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
}

const PINO_LEVEL_OF: Record<LogLevel, string> = { verbose: 'trace', debug: 'debug', log: 'info', warn: 'warn', error: 'error', fatal: 'fatal' };
const NEST_LEVELS: readonly LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];

function pinoLevelOf(levels: LogLevel[] | undefined): string | undefined {
  const least = NEST_LEVELS.find((level) => levels?.includes(level));
  return least && PINO_LEVEL_OF[least];
}

/** Builds and starts the router (HTTP and gRPC) from a validated config and a classifier. */
export async function startRouter(config: RouterConfig, classifier: RouteClassifier, options: StartRouterOptions = {}): Promise<RunningRouter> {
  // A wrong Redis password stops the start with a clear message; an unreachable Redis does not.
  await checkRedisCredentials(config.redis.url);
  const logger = options.logger ?? createLogger('router', pinoLevelOf(options.logLevels));
  const app = await NestFactory.create<NestExpressApplication>(RouterModule.forRoot(config, classifier, logger), { bodyParser: false, bufferLogs: true });
  // Nest's own lines and every `new Logger(Class.name)` go through nestjs-pino to the same pino root.
  app.useLogger(app.get(NestPinoLogger));
  // Naming the framework tells a scanner what to try and a caller nothing.
  app.disable('x-powered-by');
  // Tracing first, so that a body refused by the reader still has its request id and access line.
  app.use(requestTracing(logger));
  app.use(bodyReader(config.limits));
  app.use(bindRequestContext);
  app.useGlobalFilters(new HttpErrorsFilter());
  serveApiDocs(app);
  await app.listen(config.http.port, config.http.host);
  const address = app.getHttpServer().address() as AddressInfo;
  const grpcPort = app.get(RouterGrpcController).port;
  return { app, httpPort: address.port, grpcPort, close: () => app.close() };
}
