import { z } from 'zod';
import { booleanSchema, checkCertKeyPair, loadConfig, pemFileSchema, portSchema, positiveIntSchema, redisUrlSchema, type ClientTls, type ServerTls } from '@slm/platform';
import { GENERATION_LIMITS, WorkerDomain } from '@slm/contracts';
import { DEFAULT_ROUTE_POLICY, defaultOtherFallback, otherFallbackSchema, routeFallbackSchema, type RouteFallback } from '@slm/classifier';

/** A comma-separated list of `host:port` addresses, or one `dns:///name:port` target. */
const addressListSchema = z
  .string()
  .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean))
  .pipe(
    z
      .array(z.string().regex(/^(dns:\/\/\/[^\s]+:\d+|[^\s:/]+:\d+|\[[0-9a-fA-F:]+\]:\d+)$/, 'expected host:port or dns:///name:port'))
      .min(1, 'at least one address'),
  );

const thresholdSchema = z.coerce.number().min(0).max(1);
const unavailableFallbackSchema = z.enum(['math', 'code', 'science', 'reject'], { message: 'expected math, code, science or reject' });

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
    MATH_WORKER_ADDRESSES: addressListSchema.default(['127.0.0.1:50061']),
    CODE_WORKER_ADDRESSES: addressListSchema.default(['127.0.0.1:50062']),
    SCIENCE_WORKER_ADDRESSES: addressListSchema.default(['127.0.0.1:50063']),
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
    /** Confidence below which the classifier's choice gives way to the fallback, per domain. Default 0.5. */
    ROUTER_THRESHOLD_MATH: thresholdSchema.default(DEFAULT_ROUTE_POLICY.thresholds.math),
    ROUTER_THRESHOLD_CODE: thresholdSchema.default(DEFAULT_ROUTE_POLICY.thresholds.code),
    ROUTER_THRESHOLD_SCIENCE: thresholdSchema.default(DEFAULT_ROUTE_POLICY.thresholds.science),
    /** Below-threshold problems: route (to the top class, flagged lowConfidence), reject (HTTP 422), domain:math|code|science, or worker:NAME. Default route. */
    ROUTER_FALLBACK: routeFallbackSchema.default(DEFAULT_ROUTE_POLICY.fallback),
    /** Problems classified `other`: reject, domain:… or worker:…. Default: ROUTER_FALLBACK unless that is route, else reject. */
    ROUTER_FALLBACK_OTHER: z.preprocess((v) => (v === '' ? undefined : v), otherFallbackSchema.optional()),
    /** Where a problem goes when its domain has no healthy replica: another domain, or reject (503). Default reject. */
    ROUTER_UNAVAILABLE_FALLBACK: unavailableFallbackSchema.default('reject'),
    /** Model ids accepted by /v1/chat/completions besides auto|math|code|science, as id=domain pairs. */
    ROUTER_MODEL_ALIASES: z
      .string()
      .default('')
      .transform((value, ctx) => {
        const aliases: Record<string, WorkerDomain> = {};
        for (const pair of value.split(',').map((p) => p.trim()).filter(Boolean)) {
          const [id, domain] = pair.split('=').map((p) => p?.trim() ?? '');
          if (!id || !isWorkerDomain(domain)) {
            ctx.addIssue({ code: 'custom', message: `"${pair}" is not id=math|code|science` });
            continue;
          }
          aliases[id] = domain;
        }
        return aliases;
      }),
  })
  .superRefine((env, ctx) => {
    checkCertKeyPair(ctx, { cert: env.ROUTER_TLS_CERT_FILE, key: env.ROUTER_TLS_KEY_FILE }, { cert: 'ROUTER_TLS_CERT_FILE', key: 'ROUTER_TLS_KEY_FILE' });
    if (env.ROUTER_TLS_CA_FILE !== undefined && env.ROUTER_TLS_CERT_FILE === undefined) {
      ctx.addIssue({ code: 'custom', path: ['ROUTER_TLS_CA_FILE'], message: 'client certificates need TLS: set ROUTER_TLS_CERT_FILE and ROUTER_TLS_KEY_FILE too' });
    }
    checkCertKeyPair(ctx, { cert: env.ROUTER_WORKER_TLS_CERT_FILE, key: env.ROUTER_WORKER_TLS_KEY_FILE }, { cert: 'ROUTER_WORKER_TLS_CERT_FILE', key: 'ROUTER_WORKER_TLS_KEY_FILE' });
    if (env.ROUTER_WORKER_TLS_CERT_FILE !== undefined && env.ROUTER_WORKER_TLS_CA_FILE === undefined) {
      ctx.addIssue({ code: 'custom', path: ['ROUTER_WORKER_TLS_CA_FILE'], message: 'a client certificate for the workers needs TLS to them: set ROUTER_WORKER_TLS_CA_FILE too' });
    }
    // A worker:NAME fallback names a domain or a model alias; anything else could never be served.
    for (const key of ['ROUTER_FALLBACK', 'ROUTER_FALLBACK_OTHER'] as const) {
      const fallback: RouteFallback | undefined = env[key];
      if (fallback?.kind === 'worker' && !isWorkerDomain(fallback.name) && !env.ROUTER_MODEL_ALIASES[fallback.name]) {
        ctx.addIssue({ code: 'custom', path: [key], message: `worker:${fallback.name} is neither math, code, science nor a ROUTER_MODEL_ALIASES id` });
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
      addresses: { math: env.MATH_WORKER_ADDRESSES, code: env.CODE_WORKER_ADDRESSES, science: env.SCIENCE_WORKER_ADDRESSES } as Record<WorkerDomain, string[]>,
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
      requestTimeoutMs: env.ROUTER_REQUEST_TIMEOUT_MS,
    },
    batches: { resultTtlSeconds: env.ROUTER_RESULT_TTL_SECONDS, attempts: env.ROUTER_JOB_ATTEMPTS },
    shutdown: { graceMs: env.ROUTER_SHUTDOWN_GRACE_MS },
    policy: {
      thresholds: { math: env.ROUTER_THRESHOLD_MATH, code: env.ROUTER_THRESHOLD_CODE, science: env.ROUTER_THRESHOLD_SCIENCE } as Record<WorkerDomain, number>,
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

export const WORKER_DOMAINS: readonly WorkerDomain[] = [WorkerDomain.MATH, WorkerDomain.CODE, WorkerDomain.SCIENCE];

export function isWorkerDomain(value: unknown): value is WorkerDomain {
  return typeof value === 'string' && (WORKER_DOMAINS as readonly string[]).includes(value);
}

/** Nest injection token of the {@link RouterConfig}. */
export const ROUTER_CONFIG = Symbol('ROUTER_CONFIG');
