import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Logger } from '@slm/platform';
import { LoggerModule } from 'nestjs-pino';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeysService } from './auth/api-keys.service';
import { BatchQueues } from './batches/batch-queues';
import { BatchStore } from './batches/batch-store';
import { BatchService } from './batches/batch.service';
import { RedisBatchStore } from './batches/redis-batch-store';
import { DashboardController } from './dashboard/dashboard.controller';
import { DashboardService } from './dashboard/dashboard.service';
import { ROUTER_CONFIG, type RouterConfig } from './config/router.config';
import { DispatchService } from './dispatch/dispatch.service';
import { WORKER_HOST_RESOLVER, type HostResolver } from './dispatch/host-resolver';
import { RouterGrpcController } from './grpc/router.grpc-controller';
import { ROUTER_LOGGER } from './grpc/request-tracing.interceptor';
import { BatchesController } from './http/batches.controller';
import { HealthController } from './http/health.controller';
import { OpenAiController } from './http/openai.controller';
import { SolveController } from './http/solve.controller';
import { ClientLimitsService } from './limits/client-limits.service';
import { MetricsSamplerService } from './metrics/metrics-sampler.service';
import { RouterMetricsService } from './metrics/router-metrics.service';
import { ROUTE_CLASSIFIER, type RouteClassifier } from './routing/route-classifier';
import { RoutingService } from './routing/routing.service';
import { SolveService } from './solve/solve.service';

/**
 * The router: HTTP controllers, the gRPC Router service, dispatch and batches. `logger` is the pino
 * root: nestjs-pino's Logger writes Nest's lines through it. Its per-request middleware is not
 * mounted (`forRoutes: []`): a line written while a request is served takes the request's id from
 * the request context (the root logger's mixin), so no second async context is entered per request.
 */
@Module({})
export class RouterModule {
  static forRoot(config: RouterConfig, classifier: RouteClassifier, logger: Logger, resolveWorkerHost?: HostResolver): DynamicModule {
    return {
      module: RouterModule,
      imports: [LoggerModule.forRoot({ pinoHttp: { logger }, useExisting: true, forRoutes: [] })],
      controllers: [SolveController, OpenAiController, BatchesController, HealthController, DashboardController],
      providers: [
        { provide: ROUTER_CONFIG, useValue: config },
        { provide: ROUTE_CLASSIFIER, useValue: classifier },
        { provide: ROUTER_LOGGER, useValue: logger },
        ...(resolveWorkerHost ? [{ provide: WORKER_HOST_RESOLVER, useValue: resolveWorkerHost }] : []),
        RoutingService,
        DispatchService,
        SolveService,
        { provide: BatchStore, useClass: RedisBatchStore },
        BatchQueues,
        BatchService,
        ApiKeysService,
        ClientLimitsService,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        RouterMetricsService,
        MetricsSamplerService,
        DashboardService,
        RouterGrpcController,
      ],
    };
  }
}
