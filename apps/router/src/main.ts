import 'reflect-metadata';
import { DomainClassifier } from '@slm/classifier';
import { ConfigError, createLogger } from '@slm/platform';
import { loadRouterConfig } from './config/router.config';
import { startRouter } from './router.app';

/**
 * The router process: validates its configuration before anything starts (one message listing
 * every bad variable), loads the committed classifier, serves HTTP and gRPC, and shuts down
 * gracefully on SIGINT/SIGTERM (in-flight requests finish, queues and channels close).
 */
async function main(): Promise<void> {
  const logger = createLogger('router');
  let config;
  try {
    config = loadRouterConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.fatal(error.message);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  const classifier = DomainClassifier.load(undefined, { maxInputChars: config.limits.maxProblemChars * 4 });
  const router = await startRouter(config, classifier);
  logger.info({ http: router.httpPort, grpc: router.grpcPort }, 'router ready');
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    router.close().then(
      () => (process.exitCode = 0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  createLogger('router').fatal({ err: error }, 'router failed to start');
  // Half-started servers and Redis reconnects would keep the process alive: leave now.
  process.exit(1);
});
