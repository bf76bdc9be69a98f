import { z } from 'zod';
import {
  booleanSchema,
  checkCertKeyPair,
  loadConfig,
  pemFileSchema,
  portSchema,
  positiveIntSchema,
  redisUrlSchema,
  type ClientTls,
  type ServerTls,
} from '@slm/platform';
import {
  DOMAIN_REGISTRY,
  GENERATION_LIMITS,
  WORKER_DOMAINS,
  addressesVariableOf,
  isWorkerDomain,
  mapWorkerDomains,
  thresholdVariableOf,
  type DomainRegistry,
  type WorkerDomain,
} from '@slm/contracts';
import { DEFAULT_ROUTE_POLICY, defaultOtherFallback, otherFallbackSchema, routeFallbackSchema, type RouteFallback } from '@slm/classifier';

/** A comma-separated list of `host:port` addresses, or one `dns:///name:port` target. */
const addressListSchema = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.string().regex(/^(dns:\/\/\/[^\s]+:\d+|[^\s:/]+:\d+|\[[0-9a-fA-F:]+\]:\d+)$/, 'expected host:port or dns:///name:port'))
      .min(1, 'at least one address'),
  );

const thresholdSchema = z.coerce.number().min(0).max(1);
const unavailableFallbackSchema = z.enum([...WORKER_DOMAINS, 'reject'], { message: `expected ${WORKER_DOMAINS.join(', ')} or reject` });

/**
 * The router's variables of each worker domain of `registry`: `<DOMAIN>_WORKER_ADDRESSES` (default
 * `127.0.0.1:<the domain's default port>`) and `ROUTER_THRESHOLD_<DOMAIN>` (default 0.5), e.g.
 * MATH_WORKER_ADDRESSES and ROUTER_THRESHOLD_MATH.
 */
export function workerVariablesShape<W extends string>(
  registry: DomainRegistry<string, W, string>,
  threshold: (domain: W) => number = () => 0.5,
) {
  const addresses = registry.workerDomains.map(
    (d) => [registry.addressesVariableOf(d), addressListSchema.default([`127.0.0.1:${registry.defaultGrpcPortOf(d)}`])] as const,
  );
  const thresholds = registry.workerDomains.map((d) => [registry.thresholdVariableOf(d), thresholdSchema.default(threshold(d))] as const);
  return Object.fromEntries([...addresses, ...thresholds]) as Record<`${Uppercase<W>}_WORKER_ADDRESSES`, (typeof addresses)[number][1]> &
    Record<`ROUTER_THRESHOLD_${Uppercase<W>}`, (typeof thresholds)[number][1]>;
}

/**
 * Every variable the router reads, with its default. Validated once, before Nest boots;
 * a bad value stops the process with one message listing every problem.
 */
export const routerConfigSchema = z
  .object({
    /** HTTP port (REST and OpenAI-compatible). Default 8080. */
    ROUTER_HTTP_PORT: portSchema.default(8080),
    /** gRPC port of the Router service. Default 50051. */
    ROUTER_GRPC_PORT: portSchema.default(50051),
    /**
     * On SIGTERM/SIGINT: how long in-flight requests may finish and connections close, ms; past it
     * the router exits with code 1 and logs what was still open. Default 25000 (under Kubernetes'
     * 30 s terminationGracePeriodSeconds of deploy/k8s/router.yaml).
     */
    ROUTER_SHUTDOWN_GRACE_MS: positiveIntSchema.default(25_000),
    /** Host both servers bind to. Default 127.0.0.1 (loopback only); containers set 0.0.0.0. */
    ROUTER_HOST: z.string().min(1).default('127.0.0.1'),
    /** Whether the gRPC port serves grpc.reflection (what grpcurl and Postman list services with). Default true. */
    ROUTER_GRPC_REFLECTION: booleanSchema.default(true),
    /** Whether `/readyz?verbose=true` may show each replica's address, capacity and in-flight calls. Default false. */
    ROUTER_READYZ_DETAILS: booleanSchema.default(false),
    /** PEM certificate (chain) of HTTPS and gRPC TLS; with ROUTER_TLS_KEY_FILE. Default: none (plaintext). */
    ROUTER_TLS_CERT_FILE: pemFileSchema('certificate'),
    /** PEM private key of ROUTER_TLS_CERT_FILE. Default: none. */
    ROUTER_TLS_KEY_FILE: pemFileSchema('private key'),
    /** PEM CA bundle: when set (with TLS on), callers must present a client certificate it signed. Default: none. */
    ROUTER_TLS_CA_FILE: pemFileSchema('certificate'),
    /** PEM CA the workers' certificates must chain to; setting it turns on TLS to the workers. Default: none (plaintext). */
    ROUTER_WORKER_TLS_CA_FILE: pemFileSchema('certificate'),
    /** PEM client certificate the router presents to workers (mutual TLS); with ROUTER_WORKER_TLS_KEY_FILE. Default: none. */
    ROUTER_WORKER_TLS_CERT_FILE: pemFileSchema('certificate'),
    /** PEM private key of ROUTER_WORKER_TLS_CERT_FILE. Default: none. */
    ROUTER_WORKER_TLS_KEY_FILE: pemFileSchema('private key'),
    /** Redis of the batch queues: redis://[user:password@]host:port[/db], rediss:// for TLS. Default redis://127.0.0.1:6379. */
    REDIS_URL: redisUrlSchema.default('redis://127.0.0.1:6379'),
    /** Key prefix of the BullMQ queues and batch records. Default bull (BullMQ's own default). */
    QUEUE_PREFIX: z.string().min(1).default('bull'),
    /**
     * Per worker domain: `<DOMAIN>_WORKER_ADDRESSES` (MATH_WORKER_ADDRESSES…), its replicas (default
     * 127.0.0.1 on the domain's default port); `ROUTER_THRESHOLD_<DOMAIN>`, the confidence below which
     * the classifier's choice gives way to the fallback (default 0.5).
     */
    ...workerVariablesShape(DOMAIN_REGISTRY, (d) => DEFAULT_ROUTE_POLICY.thresholds[d]),
    /** How often each replica's grpc.health.v1 status is checked, ms. Default 2000. */
    ROUTER_HEALTH_INTERVAL_MS: positiveIntSchema.default(2000),
    /** How often a `dns:///name:port` worker address is resolved again (replicas that came or went), ms. Default 5000. */
    ROUTER_WORKER_RESOLVE_INTERVAL_MS: positiveIntSchema.default(5000),
    /** Largest accepted request body (JSON or JSONL upload), bytes. Default 64 MiB. */
    ROUTER_MAX_BODY_BYTES: positiveIntSchema.default(64 * 1024 * 1024),
    /** Longest accepted problem text (all messages of a conversation together), characters. Default 32000. */
    ROUTER_MAX_PROBLEM_CHARS: positiveIntSchema.default(32_000),
    /** Most problems in one batch. Default 100000. */
    ROUTER_MAX_BATCH_SIZE: positiveIntSchema.default(100_000),
    /** Upper bound a request may ask for in maxNewTokens. Default 8192. */
    ROUTER_MAX_NEW_TOKENS_LIMIT: positiveIntSchema.max(GENERATION_LIMITS.maxNewTokens).default(8192),
    /** Synchronous requests one caller (its API key; anonymous: its address) may have in flight, across replicas; a key's --concurrency overrides it. Default 64. */
    ROUTER_MAX_CONCURRENT_PER_CLIENT: positiveIntSchema.default(64),
    /** Requests per minute of one caller (key or address) when its key sets none; 0: unlimited. Default 0. */
    ROUTER_RATE_LIMIT_RPM: z.coerce.number().int().min(0).default(0),
    /** Generated tokens per minute of one caller when its key sets none; 0: unlimited. Default 0. */
    ROUTER_TOKENS_PER_MINUTE: z.coerce.number().int().min(0).default(0),
    /**
     * How often each replica merges its per-caller counts (requests, tokens, in flight) with the
     * other replicas' through Redis, ms: a caller spread over several replicas can pass a limit by
     * what they admit within one interval; on one replica the limits are exact. Default 100.
     */
    ROUTER_LIMITS_SYNC_MS: positiveIntSchema.max(10_000).default(100),
    /** Problems of unfinished batches one caller may have when its key sets none; 0: unlimited. Default 0. */
    ROUTER_MAX_BATCH_PROBLEMS_IN_FLIGHT: z.coerce.number().int().min(0).default(0),
    /** Start on a non-loopback ROUTER_HOST although no API key exists (anyone who reaches the port may use it). Default false. */
    ROUTER_ALLOW_ANONYMOUS: booleanSchema.default(false),
    /** How often each replica reloads the API keys from Redis (a revocation takes effect within it), ms. Default 2000. */
    ROUTER_API_KEYS_REFRESH_MS: positiveIntSchema.default(2000),
    /** Deadline of a synchronous request when the caller sets none, ms. Default 300000. */
    ROUTER_REQUEST_TIMEOUT_MS: positiveIntSchema.default(300_000),
    /** How long batch records and results are kept after submission, seconds. Default 86400. */
    ROUTER_RESULT_TTL_SECONDS: positiveIntSchema.default(86_400),
    /** Attempts per batch problem before it counts as failed. Default 3. */
    ROUTER_JOB_ATTEMPTS: positiveIntSchema.default(3),
    /** Below-threshold problems: route (to the top class, flagged lowConfidence), reject (HTTP 422), domain:<worker domain> (domain:math), or worker:NAME. Default route. */
    ROUTER_FALLBACK: routeFallbackSchema.default(DEFAULT_ROUTE_POLICY.fallback),
    /** Problems classified `other`: reject, domain:… or worker:…. Default: ROUTER_FALLBACK unless that is route, else reject. */
    ROUTER_FALLBACK_OTHER: z.preprocess((v) => (v === '' ? undefined : v), otherFallbackSchema.optional()),
    /** Where a problem goes when its domain has no healthy replica: another domain, or reject (503). Default reject. */
    ROUTER_UNAVAILABLE_FALLBACK: unavailableFallbackSchema.default('reject'),
    /** Model ids accepted by /v1/chat/completions besides auto and the worker domains, as id=domain pairs. */
    ROUTER_MODEL_ALIASES: z
      .string()
      .default('')
      .transform((value, ctx) => {
        const aliases: Record<string, WorkerDomain> = {};
        for (const pair of value
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean)) {
          const [id, domain] = pair.split('=').map((p) => p?.trim() ?? '');
          if (!id || !isWorkerDomain(domain)) {
            ctx.addIssue({ code: 'custom', message: `"${pair}" is not id=${WORKER_DOMAINS.join('|')}` });
            continue;
          }
          aliases[id] = domain;
        }
        return aliases;
      }),
  })
  .superRefine((env, ctx) => {
    checkCertKeyPair(
      ctx,
      { cert: env.ROUTER_TLS_CERT_FILE, key: env.ROUTER_TLS_KEY_FILE },
      { cert: 'ROUTER_TLS_CERT_FILE', key: 'ROUTER_TLS_KEY_FILE' },
    );
    if (env.ROUTER_TLS_CA_FILE !== undefined && env.ROUTER_TLS_CERT_FILE === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ROUTER_TLS_CA_FILE'],
        message: 'client certificates need TLS: set ROUTER_TLS_CERT_FILE and ROUTER_TLS_KEY_FILE too',
      });
    }
    checkCertKeyPair(
      ctx,
      { cert: env.ROUTER_WORKER_TLS_CERT_FILE, key: env.ROUTER_WORKER_TLS_KEY_FILE },
      { cert: 'ROUTER_WORKER_TLS_CERT_FILE', key: 'ROUTER_WORKER_TLS_KEY_FILE' },
    );
    if (env.ROUTER_WORKER_TLS_CERT_FILE !== undefined && env.ROUTER_WORKER_TLS_CA_FILE === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ROUTER_WORKER_TLS_CA_FILE'],
        message: 'a client certificate for the workers needs TLS to them: set ROUTER_WORKER_TLS_CA_FILE too',
      });
    }
    // A worker:NAME fallback names a domain or a model alias; anything else could never be served.
    for (const key of ['ROUTER_FALLBACK', 'ROUTER_FALLBACK_OTHER'] as const) {
      const fallback: RouteFallback | undefined = env[key];
      if (fallback?.kind === 'worker' && !isWorkerDomain(fallback.name) && !env.ROUTER_MODEL_ALIASES[fallback.name]) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `worker:${fallback.name} is neither ${WORKER_DOMAINS.join(', ')} nor a ROUTER_MODEL_ALIASES id`,
        });
      }
    }
  })
  .transform((env) => ({
    http: { port: env.ROUTER_HTTP_PORT, host: env.ROUTER_HOST },
    grpc: { port: env.ROUTER_GRPC_PORT, host: env.ROUTER_HOST, reflection: env.ROUTER_GRPC_REFLECTION },
    readyzDetails: env.ROUTER_READYZ_DETAILS,
    auth: { allowAnonymous: env.ROUTER_ALLOW_ANONYMOUS, refreshMs: env.ROUTER_API_KEYS_REFRESH_MS },
    /** TLS of the HTTP and gRPC servers; undefined: plaintext. */
    tls: serverTlsOf(env.ROUTER_TLS_CERT_FILE, env.ROUTER_TLS_KEY_FILE, env.ROUTER_TLS_CA_FILE),
    redis: { url: env.REDIS_URL, prefix: env.QUEUE_PREFIX },
    workers: {
      addresses: mapWorkerDomains((d) => env[addressesVariableOf(d)]),
      healthIntervalMs: env.ROUTER_HEALTH_INTERVAL_MS,
      /** How often `dns:///` addresses are resolved again, ms. */
      resolveIntervalMs: env.ROUTER_WORKER_RESOLVE_INTERVAL_MS,
      unavailableFallback: env.ROUTER_UNAVAILABLE_FALLBACK,
      /** TLS to the workers; undefined: plaintext. */
      tls: clientTlsOf(env.ROUTER_WORKER_TLS_CA_FILE, env.ROUTER_WORKER_TLS_CERT_FILE, env.ROUTER_WORKER_TLS_KEY_FILE),
    },
    limits: {
      maxBodyBytes: env.ROUTER_MAX_BODY_BYTES,
      maxProblemChars: env.ROUTER_MAX_PROBLEM_CHARS,
      maxBatchSize: env.ROUTER_MAX_BATCH_SIZE,
      maxNewTokensLimit: env.ROUTER_MAX_NEW_TOKENS_LIMIT,
      maxConcurrentPerClient: env.ROUTER_MAX_CONCURRENT_PER_CLIENT,
      requestsPerMinute: env.ROUTER_RATE_LIMIT_RPM,
      tokensPerMinute: env.ROUTER_TOKENS_PER_MINUTE,
      batchProblemsInFlight: env.ROUTER_MAX_BATCH_PROBLEMS_IN_FLIGHT,
      syncMs: env.ROUTER_LIMITS_SYNC_MS,
      requestTimeoutMs: env.ROUTER_REQUEST_TIMEOUT_MS,
    },
    batches: { resultTtlSeconds: env.ROUTER_RESULT_TTL_SECONDS, attempts: env.ROUTER_JOB_ATTEMPTS },
    shutdown: { graceMs: env.ROUTER_SHUTDOWN_GRACE_MS },
    policy: {
      thresholds: mapWorkerDomains((d) => env[thresholdVariableOf(d)]),
      fallback: env.ROUTER_FALLBACK,
      otherFallback: defaultOtherFallback(env.ROUTER_FALLBACK_OTHER, env.ROUTER_FALLBACK),
    },
    modelAliases: env.ROUTER_MODEL_ALIASES,
  }));

export type RouterConfig = z.output<typeof routerConfigSchema>;

function serverTlsOf(cert: string | undefined, key: string | undefined, ca: string | undefined): ServerTls | undefined {
  if (cert === undefined || key === undefined) return undefined;
  return ca === undefined ? { cert, key } : { cert, key, ca };
}

function clientTlsOf(ca: string | undefined, cert: string | undefined, key: string | undefined): ClientTls | undefined {
  if (ca === undefined) return undefined;
  return cert === undefined || key === undefined ? { ca } : { ca, cert, key };
}

/** Reads and validates the router's configuration (the only place process.env is read). */
export function loadRouterConfig(env: Record<string, string | undefined> = process.env): Readonly<RouterConfig> {
  return loadConfig(routerConfigSchema, env);
}

/** Nest injection token of the {@link RouterConfig}. */
export const ROUTER_CONFIG = Symbol('ROUTER_CONFIG');
