import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createLogger } from '@slm/platform';
import type { RouterConfig } from './config/router.config';
import { RouterGrpcController } from './grpc/router.grpc-controller';
import { bodyReader } from './http/body-reader.middleware';
import { HttpErrorsFilter } from './http/http-errors.filter';
import type { HttpRequest, HttpResponse } from './http/http.types';
import type { RouteClassifier } from './routing/route-classifier';
import { RouterModule } from './router.module';

/** A started router: its app, and the ports it actually bound (they differ from config when 0). */
export interface RunningRouter {
  app: INestApplication;
  httpPort: number;
  grpcPort: number;
  close(): Promise<void>;
}

/** Nest's log lines through pino (JSON in production). */
class PinoNestLogger implements LoggerService {
  private readonly pino = createLogger('router');
  log(message: unknown, context?: string) {
    this.pino.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.pino.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.pino.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.pino.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.pino.trace({ context }, String(message));
  }
}

/** Options of {@link startRouter}. */
export interface StartRouterOptions {
  /** Nest's log levels (tests keep warn and error); default: everything, through pino. */
  logLevels?: LogLevel[];
}

/** Builds and starts the router (HTTP and gRPC) from a validated config and a classifier. */
export async function startRouter(config: RouterConfig, classifier: RouteClassifier, options: StartRouterOptions = {}): Promise<RunningRouter> {
  const app = await NestFactory.create<NestExpressApplication>(RouterModule.forRoot(config, classifier), { bodyParser: false, logger: options.logLevels ?? new PinoNestLogger() });
  // Naming the framework tells a scanner what to try and a caller nothing.
  app.disable('x-powered-by');
  app.use(bodyReader(config.limits.maxBodyBytes));
  app.useGlobalFilters(new HttpErrorsFilter());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('slm-router')
      .setDescription('Routes math, code and science problems to specialised small language models.')
      .setVersion('1')
      .build(),
  );
  const http = app.getHttpAdapter();
  http.get('/openapi.json', (_req: HttpRequest, res: HttpResponse) => res.json(document));
  await app.listen(config.http.port, config.http.host);
  const address = app.getHttpServer().address() as AddressInfo;
  const grpcPort = app.get(RouterGrpcController).port;
  return { app, httpPort: address.port, grpcPort, close: () => app.close() };
}
