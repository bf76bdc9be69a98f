import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from '@slm/platform';
import type { DomainPolicy } from './domain-policy';
import { createEngine, type EngineFactory } from './engine.factory';
import { ModelService } from './model.service';
import { SolveQueueConsumer } from './solve-queue.consumer';
import { SolveService } from './solve.service';
import { WorkerGrpcServer } from './worker-grpc.server';
import { WorkerLifecycle } from './worker-lifecycle.service';
import type { WorkerConfig } from './worker.config';
import { DOMAIN_POLICY, ENGINE_FACTORY, ROOT_LOGGER, WORKER_CONFIG } from './worker-runtime.tokens';

export interface WorkerRuntimeOptions {
  policy: DomainPolicy;
  config: WorkerConfig;
  logger: Logger;
  /** Builds the engine; default: the ONNX model of the config (or the instant benchmark engine). */
  engineFactory?: EngineFactory;
}

/** The worker's Nest module: one per process, configured by the domain's policy and config. */
@Module({})
export class WorkerRuntimeModule {
  static forRoot(options: WorkerRuntimeOptions): DynamicModule {
    return {
      module: WorkerRuntimeModule,
      providers: [
        { provide: WORKER_CONFIG, useValue: options.config },
        { provide: DOMAIN_POLICY, useValue: options.policy },
        { provide: ENGINE_FACTORY, useValue: options.engineFactory ?? createEngine },
        { provide: ROOT_LOGGER, useValue: options.logger },
        ModelService,
        SolveService,
        WorkerGrpcServer,
        SolveQueueConsumer,
        WorkerLifecycle,
      ],
      exports: [WorkerLifecycle, WorkerGrpcServer, ModelService, SolveService],
    };
  }
}
