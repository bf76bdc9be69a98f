import { z } from 'zod';
import { GENERATION_LIMITS, defaultGrpcPortOf, envPrefixOf, type WorkerDomain } from '@slm/contracts';
import {
  booleanSchema,
  checkCertKeyPair,
  loadConfig,
  pemFileSchema,
  portSchema,
  positiveIntSchema,
  redisUrlSchema,
  type ServerTls,
} from '@slm/platform';
import type { DomainPolicy } from './domain-policy';

/** Which engine a worker hosts: the ONNX model, or the benchmark engine that answers at once. */
export const EngineKind = { ONNX: 'onnx', INSTANT: 'instant' } as const;
export type EngineKind = (typeof EngineKind)[keyof typeof EngineKind];

/** A worker's validated, frozen configuration. */
export interface WorkerConfig {
  domain: WorkerDomain;
  /** Prefix of the domain's variables, e.g. `MATH_WORKER_`. */
  envPrefix: string;
  logLevel: string;
  grpc: {
    /** Interface to bind; default 127.0.0.1 (loopback only; containers set 0.0.0.0). */
    host: string;
    /** Port; default the domain's in the registry of @slm/contracts (math 50061, code 50062, science 50063); 0 picks a free one. */
    port: number;
    /** Whether to serve grpc.reflection; default true. */
    reflection: boolean;
    /**
     * TLS from WORKER_TLS_CERT_FILE / WORKER_TLS_KEY_FILE; with WORKER_TLS_CA_FILE, callers must
     * present a client certificate that CA signed (mutual TLS). Default: undefined (plaintext).
     */
    tls?: ServerTls;
  };
  model: {
    /** `<DOMAIN>_WORKER_MODEL` as given (a folder or a Hub id); undefined when unset. */
    configured: string | undefined;
    /** The policy's default Hub id, looked up inside `modelsDir`. */
    defaultId: string;
    /** Weight format (`q4`, `fp32`…); undefined lets the model folder decide. */
    dtype: string | undefined;
    /** Where pulled models and the synthetic fallback live; default ./models. */
    modelsDir: string;
    /** `onnx` (default) or `instant` (benchmark only: fixed text, no model). */
    engine: EngineKind;
  };
  engine: {
    /** Requests decoding at once (the engine's batch size); default 8. */
    maxConcurrency: number;
    /** Requests allowed to wait beyond those; default 16. More answer RESOURCE_EXHAUSTED. */
    maxQueue: number;
    /** onnxruntime intra-op threads; default: libs/inference's (the cores the prefill thread does not take). */
    intraOpThreads?: number;
    /** The engine's prefill thread (its intra-op threads; 0: none); default the engine's. */
    prefillThreads?: number;
    /** Memory of the prefill thread's prompt-prefix cache, MB (0: off); default the engine's. */
    prefixCacheMb?: number;
    /** Steps of at least this many rows run on the int8 graph (0: none, batch-invariant output); default the engine's. */
    int8MinRows?: number;
    /** Benchmark engine only: how long each `instant` answer takes, ms (a slow replica in `slm bench router`); default 0. */
    instantLatencyMs: number;
  };
  generation: {
    systemPrompt: string;
    temperature: number;
    topP: number;
    maxNewTokens: number;
  };
  verification: {
    /** Samples per problem when the caller sets neither `samples` nor `verify`; default 1. */
    samples: number;
    /** Whether a problem that leaves `verify` unset is verified; default false. */
    verify: boolean;
    /** Samples per problem asked to verify without a `samples` of its own; default the policy's. */
    verifySamples: number;
    /**
     * Execution checks of a policy that has them (code: run solutions against the problem's
     * examples in a sandbox); default false. `undefined` for policies without such checks.
     */
    execute?: { timeoutMs: number; memoryMb: number };
  };
  queue: {
    /** Whether to consume the domain's BullMQ queue; default true. */
    enabled: boolean;
    redisUrl: string;
    /** BullMQ key prefix; default `bull` (the router must use the same). */
    prefix: string;
    /** Jobs processed at once; undefined = the engine's maxConcurrency. */
    concurrency: number | undefined;
    /** How long a job's lock lives without renewal; default 30000 ms. */
    lockDurationMs: number;
    /** How often stalled jobs (of killed workers) are looked for; default 30000 ms. */
    stalledIntervalMs: number;
  };
  /** How long shutdown waits for in-flight work before handing jobs back; default 30000 ms. */
  shutdownGraceMs: number;
}

const unitInterval = z.coerce.number().gt(0, 'must be in (0, 1]').max(1, 'must be in (0, 1]');
const nonNegative = z.coerce.number().min(0, 'must be >= 0');
const nonNegativeInt = z.coerce.number().int().min(0);

/** The schema of one domain's variables (prefixed `<DOMAIN>_WORKER_`) and the shared ones. */
export function workerConfigSchema(policy: DomainPolicy): z.ZodType<WorkerConfig, Record<string, string | undefined>> {
  const p = envPrefixOf(policy.domain);
  const shape = {
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    REDIS_URL: redisUrlSchema.default('redis://127.0.0.1:6379'),
    MODELS_DIR: z.string().min(1).default('./models'),
    QUEUE_PREFIX: z.string().min(1).default('bull'),
    WORKER_TLS_CERT_FILE: pemFileSchema('certificate'),
    WORKER_TLS_KEY_FILE: pemFileSchema('private key'),
    WORKER_TLS_CA_FILE: pemFileSchema('certificate'),
    [`${p}GRPC_HOST`]: z.string().min(1).default('127.0.0.1'),
    [`${p}GRPC_REFLECTION`]: booleanSchema.default(true),
    [`${p}GRPC_PORT`]: portSchema.default(defaultGrpcPortOf(policy.domain)),
    [`${p}MODEL`]: z.string().min(1).optional(),
    [`${p}DTYPE`]: z
      .string()
      .regex(/^[a-z0-9]+$/, 'must be a dtype such as q4, fp32, fp16, q4f16, int8')
      .optional(),
    [`${p}ENGINE`]: z.enum(['onnx', 'instant']).default('onnx'),
    [`${p}MAX_CONCURRENCY`]: positiveIntSchema.default(8),
    [`${p}MAX_QUEUE`]: nonNegativeInt.default(16),
    [`${p}THREADS`]: positiveIntSchema.optional(),
    [`${p}PREFILL_THREADS`]: nonNegativeInt.optional(),
    [`${p}PREFIX_CACHE_MB`]: nonNegativeInt.optional(),
    [`${p}INT8_MIN_ROWS`]: nonNegativeInt.optional(),
    [`${p}INSTANT_LATENCY_MS`]: nonNegativeInt.max(60_000).default(0),
    [`${p}QUEUE`]: booleanSchema.default(true),
    [`${p}QUEUE_CONCURRENCY`]: positiveIntSchema.optional(),
    [`${p}SYSTEM_PROMPT`]: z.string().default(policy.systemPrompt),
    // A domain default obeys the bounds callers do (one schema of generation options).
    [`${p}TEMPERATURE`]: nonNegative.max(GENERATION_LIMITS.temperature).default(policy.temperature),
    [`${p}TOP_P`]: unitInterval.default(policy.topP),
    [`${p}MAX_NEW_TOKENS`]: positiveIntSchema.max(GENERATION_LIMITS.maxNewTokens).default(policy.maxNewTokens),
    [`${p}SAMPLES`]: positiveIntSchema.max(GENERATION_LIMITS.samples).default(1),
    [`${p}VERIFY`]: booleanSchema.default(false),
    [`${p}VERIFY_SAMPLES`]: positiveIntSchema.max(GENERATION_LIMITS.samples).default(policy.verifySamples),
    // Only a policy that can run answers has these: MATH_WORKER_EXECUTE would promise nothing.
    ...(policy.createChecker
      ? {
          [`${p}EXECUTE`]: booleanSchema.default(false),
          [`${p}EXECUTE_TIMEOUT_MS`]: positiveIntSchema.max(60_000).default(5_000),
          [`${p}EXECUTE_MEMORY_MB`]: positiveIntSchema.max(4_096).default(256),
        }
      : {}),
    [`${p}LOCK_DURATION_MS`]: positiveIntSchema.default(30_000),
    [`${p}STALLED_INTERVAL_MS`]: positiveIntSchema.default(30_000),
    [`${p}SHUTDOWN_GRACE_MS`]: nonNegativeInt.default(30_000),
  };
  return z.object(shape).transform((raw, ctx): WorkerConfig => {
    // zod has checked each value against its schema above; the casts only restore the types the
    // computed (prefixed) keys lose.
    const v = raw as Record<string, unknown>;
    const get = <T>(name: string) => v[`${p}${name}`] as T;
    checkWorkerTls(ctx, v);
    checkInstantLatency(ctx, p, v);
    return {
      domain: policy.domain,
      envPrefix: p,
      logLevel: v['LOG_LEVEL'] as string,
      grpc: {
        host: get<string>('GRPC_HOST'),
        port: get<number>('GRPC_PORT'),
        reflection: get<boolean>('GRPC_REFLECTION'),
        tls: serverTlsOf(v),
      },
      model: {
        configured: get<string | undefined>('MODEL'),
        defaultId: policy.defaultModelId,
        dtype: get<string | undefined>('DTYPE'),
        modelsDir: v['MODELS_DIR'] as string,
        engine: get<EngineKind>('ENGINE'),
      },
      engine: {
        maxConcurrency: get<number>('MAX_CONCURRENCY'),
        maxQueue: get<number>('MAX_QUEUE'),
        intraOpThreads: get<number | undefined>('THREADS'),
        prefillThreads: get<number | undefined>('PREFILL_THREADS'),
        prefixCacheMb: get<number | undefined>('PREFIX_CACHE_MB'),
        int8MinRows: get<number | undefined>('INT8_MIN_ROWS'),
        instantLatencyMs: get<number>('INSTANT_LATENCY_MS'),
      },
      generation: {
        systemPrompt: get<string>('SYSTEM_PROMPT'),
        temperature: get<number>('TEMPERATURE'),
        topP: get<number>('TOP_P'),
        maxNewTokens: get<number>('MAX_NEW_TOKENS'),
      },
      verification: {
        samples: get<number>('SAMPLES'),
        verify: get<boolean>('VERIFY'),
        verifySamples: get<number>('VERIFY_SAMPLES'),
        execute: get<boolean | undefined>('EXECUTE')
          ? { timeoutMs: get<number>('EXECUTE_TIMEOUT_MS'), memoryMb: get<number>('EXECUTE_MEMORY_MB') }
          : undefined,
      },
      queue: {
        enabled: get<boolean>('QUEUE'),
        redisUrl: v['REDIS_URL'] as string,
        prefix: v['QUEUE_PREFIX'] as string,
        concurrency: get<number | undefined>('QUEUE_CONCURRENCY'),
        lockDurationMs: get<number>('LOCK_DURATION_MS'),
        stalledIntervalMs: get<number>('STALLED_INTERVAL_MS'),
      },
      shutdownGraceMs: get<number>('SHUTDOWN_GRACE_MS'),
    };
  }) as unknown as z.ZodType<WorkerConfig, Record<string, string | undefined>>;
}

/** INSTANT_LATENCY_MS slows the benchmark engine only: with the ONNX engine it would promise nothing. */
function checkInstantLatency(ctx: z.RefinementCtx, p: string, v: Record<string, unknown>): void {
  if (Number(v[`${p}INSTANT_LATENCY_MS`]) > 0 && v[`${p}ENGINE`] !== EngineKind.INSTANT) {
    ctx.addIssue({
      code: 'custom',
      path: [`${p}INSTANT_LATENCY_MS`],
      message: `slows the benchmark engine only: set ${p}ENGINE=instant too`,
    });
  }
}

function checkWorkerTls(ctx: z.RefinementCtx, v: Record<string, unknown>): void {
  const [cert, key, ca] = (['WORKER_TLS_CERT_FILE', 'WORKER_TLS_KEY_FILE', 'WORKER_TLS_CA_FILE'] as const).map(
    (name) => v[name] as string | undefined,
  );
  checkCertKeyPair(ctx, { cert, key }, { cert: 'WORKER_TLS_CERT_FILE', key: 'WORKER_TLS_KEY_FILE' });
  if (ca !== undefined && cert === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['WORKER_TLS_CA_FILE'],
      message: 'client certificates need TLS: set WORKER_TLS_CERT_FILE and WORKER_TLS_KEY_FILE too',
    });
  }
}

function serverTlsOf(v: Record<string, unknown>): ServerTls | undefined {
  const cert = v['WORKER_TLS_CERT_FILE'] as string | undefined;
  const key = v['WORKER_TLS_KEY_FILE'] as string | undefined;
  const ca = v['WORKER_TLS_CA_FILE'] as string | undefined;
  if (cert === undefined || key === undefined) return undefined;
  return ca === undefined ? { cert, key } : { cert, key, ca };
}

/**
 * Validates a worker's configuration once, before Nest boots. Empty variables count as unset
 * (a blank line in .env must not turn a temperature into 0). Throws ConfigError listing every
 * bad variable.
 */
export function loadWorkerConfig(policy: DomainPolicy, env: Record<string, string | undefined> = process.env): Readonly<WorkerConfig> {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  return loadConfig(workerConfigSchema(policy), present);
}
