import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from '@slm/platform';
import { ModelService } from './model.service';
import { SolveQueueConsumer } from './solve-queue.consumer';
import { WorkerGrpcServer } from './worker-grpc.server';
import type { WorkerConfig } from './worker.config';
import { ROOT_LOGGER, WORKER_CONFIG } from './worker-runtime.tokens';

/**
 * Starts and stops the worker's parts in the one order that loses nothing. Start: gRPC binds
 * (health NOT_SERVING, GetInfo says LOADING), the model loads and warms up, health turns SERVING,
 * then the queue is consumed. Stop: health NOT_SERVING, the queue stops taking jobs and running
 * ones finish (or go back to the queue after the grace period), gRPC drains for what is left of
 * that same grace period, the engine closes.
 */
@Injectable()
export class WorkerLifecycle implements OnApplicationShutdown {
  private readonly log: Logger;
  private stopping: Promise<void> | undefined;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly grpcServer: WorkerGrpcServer,
    private readonly model: ModelService,
    private readonly consumer: SolveQueueConsumer,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: WorkerLifecycle.name, domain: config.domain });
  }

  async start(): Promise<void> {
    await this.grpcServer.start();
    const engine = await this.model.load();
    this.grpcServer.setServing(true);
    if (this.config.queue.enabled) await this.consumer.start(this.config.queue.concurrency ?? engine.capacity.maxConcurrency);
    this.log.info({ grpcPort: this.grpcServer.port, queue: this.config.queue.enabled ? this.consumer.queueName : 'off' }, 'worker ready');
  }

  /** Idempotent: signals and Nest's shutdown hook may both call it. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  private async doStop(): Promise<void> {
    const grace = this.config.shutdownGraceMs;
    this.log.info({ graceMs: grace }, 'shutting down');
    this.grpcServer.setServing(false);
    // One grace period for both: gRPC calls keep running while the queue drains, and get what is left.
    const graceEnds = Date.now() + grace;
    await this.consumer.stop(grace);
    await this.grpcServer.stop(Math.max(0, graceEnds - Date.now()));
    await this.model.close();
    this.log.info('stopped');
  }
}
