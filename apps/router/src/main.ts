import 'reflect-metadata';
import { DomainClassifier } from '@slm/classifier';
import { ConfigError, createLogger, handleShutdown } from '@slm/platform';
import { RouterConfig, loadRouterConfig } from './config/router.config';
import { startRouter } from './router.app';

/**
 * The router process: validates its configuration before anything starts (one message listing
 * every bad variable), loads the committed classifier, serves HTTP and gRPC, and shuts down
 * gracefully on SIGINT/SIGTERM (in-flight requests finish, queues and channels close) within
 * ROUTER_SHUTDOWN_GRACE_MS: past it, it logs what was still open and exits with code 1.
 */
async function main(): Promise<void> {
  const logger = createLogger('router');
  let config: RouterConfig;
  try {
    config = loadRouterConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logger.fatal(error.message);
    process.exitCode = 2;
    return;
  }
  const classifier = DomainClassifier.load(undefined, { maxInputChars: config.limits.maxProblemChars * 4 });
  const router = await startRouter(config, classifier);
  logger.info({ http: router.httpPort, grpc: router.grpcPort }, 'router ready');
  handleShutdown({ logger, graceMs: config.shutdown.graceMs, close: () => router.close() });
}

main().catch((error: unknown) => {
  createLogger('router').fatal({ err: error }, 'router failed to start');
  // Half-started servers and Redis reconnects would keep the process alive: leave now.
  process.exit(1);
});
