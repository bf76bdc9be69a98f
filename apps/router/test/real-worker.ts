import type { WorkerDomain } from '@slm/contracts';
import { createLogger, type Logger } from '@slm/platform';
import { InstantEngine, missing, startWorker, type DomainPolicy, type RunningWorker } from '@slm/worker-runtime';

/** A minimal policy of `domain`: the router tests need a worker, not a domain's prompt and extraction. */
export function testPolicy(domain: WorkerDomain): DomainPolicy {
  return {
    domain,
    defaultModelId: 'none/none',
    systemPrompt: 'Answer briefly.',
    temperature: 0,
    topP: 1,
    maxNewTokens: 32,
    verifySamples: 5,
    systemPromptFor: (configured) => configured,
    extract: () => missing('not extracted in router tests'),
  };
}

/**
 * A real math worker (the shared worker runtime: Nest context, grpc-js with health and reflection)
 * on a free loopback port, hosting the benchmark engine: its answer has a reasoning part. Its log
 * goes to `logger` (silent by default); `env` adds to or overrides its variables.
 */
export function startInstantWorker(
  logger: Logger = createLogger('test', 'silent'),
  env: Record<string, string> = {},
): Promise<RunningWorker> {
  return startWorker(testPolicy('math'), {
    env: { MATH_WORKER_GRPC_PORT: '0', MATH_WORKER_GRPC_HOST: '127.0.0.1', MATH_WORKER_QUEUE: 'false', LOG_LEVEL: 'silent', ...env },
    logger,
    engineFactory: async () => new InstantEngine({ maxConcurrency: 4, maxQueue: 4 }),
  });
}
