import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { ConfigError, checkRedisCredentials, createLogger, handleShutdown, type Logger } from '@slm/platform';
import { stopTracing } from '@slm/telemetry';
import type { DomainPolicy } from './domain-policy';
import type { EngineFactory } from './engine.factory';
import { WorkerGrpcServer } from './worker-grpc.server';
import { WorkerLifecycle } from './worker-lifecycle.service';
import { WorkerRuntimeModule } from './worker-runtime.module';
import { loadWorkerConfig, type WorkerConfig } from './worker.config';

/** A started worker, for in-process use (tests, embedding). */
export interface RunningWorker {
  app: INestApplicationContext;
  config: WorkerConfig;
  grpcPort: number;
  /** Graceful stop: stop taking jobs, finish or hand back running ones, close gRPC and the engine. */
  close(): Promise<void>;
}

/** Creates and starts a worker in this process (no signal handling, no process.exit). */
export async function startWorker(
  policy: DomainPolicy,
  options: { env?: Record<string, string | undefined>; engineFactory?: EngineFactory; logger?: Logger } = {},
): Promise<RunningWorker> {
  const config = loadWorkerConfig(policy, options.env ?? process.env);
  // A wrong Redis password stops the start with a clear message; an unreachable Redis does not.
  if (config.queue.enabled) await checkRedisCredentials(config.queue.redisUrl);
  const logger = options.logger ?? createLogger(`${policy.domain}-worker`, config.logLevel);
  const app = await NestFactory.createApplicationContext(
    WorkerRuntimeModule.forRoot({ policy, config, logger, ...(options.engineFactory ? { engineFactory: options.engineFactory } : {}) }),
    { logger: ['error', 'warn'], abortOnError: false },
  );
  const lifecycle = app.get(WorkerLifecycle);
  try {
    await lifecycle.start();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return { app, config, grpcPort: app.get(WorkerGrpcServer).port, close: () => app.close() };
}

/**
 * Time a worker's shutdown gets on top of its grace period, for handing jobs still running at the
 * end of the grace period back to the queue and closing the engine; past it the process exits 1.
 */
export const HAND_BACK_MS = 10_000;

/**
 * The `main` of a domain worker: validates the config (a bad one exits 2, as the router does, with one
 * message listing every problem), starts the worker, and on SIGTERM/SIGINT (or when the `slm` process that started
 * it dies) shuts down gracefully and exits 0, at the latest SHUTDOWN_GRACE_MS + {@link HAND_BACK_MS}
 * after the signal. Signals are handled here rather than with Nest's enableShutdownHooks because
 * that re-raises the signal after the hooks, so the process would end by signal instead of with
 * exit code 0. `options.engineFactory` replaces the engine the config names (default: `createEngine`),
 * e.g. for a test that needs a slower engine in a real worker process.
 */
export async function bootstrapWorker(policy: DomainPolicy, options: { engineFactory?: EngineFactory } = {}): Promise<void> {
  const stderr = (line: string) => process.stderr.write(`${line}\n`);
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig(policy);
  } catch (error) {
    stderr(`${policy.domain}-worker: ${error instanceof ConfigError ? error.message : String(error)}`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  const logger = createLogger(`${policy.domain}-worker`, config.logLevel);
  let worker: RunningWorker | undefined;
  // A signal during start-up exits at once: nothing runs yet that could be handed back.
  handleShutdown({
    logger,
    graceMs: config.shutdownGraceMs + HAND_BACK_MS,
    // Spans still buffered are exported before the exit.
    close: async () => {
      await worker?.close();
      await stopTracing();
    },
  });
  try {
    worker = await startWorker(policy, { logger, ...options });
  } catch (error) {
    logger.fatal({ err: error }, 'worker failed to start');
    process.exit(1);
  }
}
