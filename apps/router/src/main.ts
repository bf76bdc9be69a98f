import './tracing';
import 'reflect-metadata';
import { DomainClassifier } from '@slm/classifier';
import { ConfigError, createLogger, handleShutdown } from '@slm/platform';
import { stopTracing } from '@slm/telemetry';
import { RouterConfig, loadRouterConfig } from './config/router.config';
import { ApiKeysService } from './auth/api-keys.service';
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
  const anonymous = router.app.get(ApiKeysService).anonymous;
  logger.info(
    {
      http: router.httpPort,
      grpc: router.grpcPort,
      auth: anonymous ? 'anonymous' : 'api-keys',
      tls: tlsOf(config),
      workerTls: workerTlsOf(config),
    },
    // Exactly 'router ready' (launchers wait for it); the ApiKeysService line before it says why anonymous.
    'router ready',
  );
  handleShutdown({
    logger,
    graceMs: config.shutdown.graceMs,
    // Spans still buffered are exported before the exit.
    close: async () => {
      await router.close();
      await stopTracing();
    },
  });
}

/** What the start-up line says of the callers' TLS: off, on, or mutual (client certificates required). */
function tlsOf(config: RouterConfig): 'off' | 'on' | 'mutual' {
  if (!config.tls) return 'off';
  return config.tls.ca ? 'mutual' : 'on';
}

/** The same for the router's calls to the workers. */
function workerTlsOf(config: RouterConfig): 'off' | 'on' | 'mutual' {
  if (!config.workers.tls) return 'off';
  return config.workers.tls.cert ? 'mutual' : 'on';
}

main().catch((error: unknown) => {
  createLogger('router').fatal({ err: error }, 'router failed to start');
  // Half-started servers and Redis reconnects would keep the process alive: leave now.
  process.exit(1);
});
