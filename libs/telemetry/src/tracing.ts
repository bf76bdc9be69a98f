import type { NodeSDK } from '@opentelemetry/sdk-node';

let sdk: NodeSDK | undefined;
/** Set by {@link startTracing}: see {@link httpServerSpansByHook}. */
let serverSpansByHook = false;

/**
 * Whether the standard variables ask for traces: an OTLP endpoint or an explicit exporter, and the
 * SDK not disabled. Unset, nothing is loaded and every span below is the API's no-op.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['OTEL_SDK_DISABLED']?.toLowerCase() === 'true') return false;
  const exporter = env['OTEL_TRACES_EXPORTER']?.trim();
  if (exporter) return exporter !== 'none';
  return Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
}

/** Options of {@link startTracing}. */
export interface TracingOptions {
  /**
   * Whether the HTTP instrumentation opens a span for each incoming request. Default true; the router
   * turns it off and opens its server spans in its own first Fastify hook (`startHttpServerSpan`), which
   * costs less. Outgoing HTTP requests are traced either way.
   */
  incomingHttp?: boolean;
}

/**
 * Whether the process's own HTTP hook opens the server spans of incoming requests: tracing started with
 * `incomingHttp: false`, and `http` not among OTEL_NODE_DISABLED_INSTRUMENTATIONS (which turns them off
 * as it would the instrumentation's).
 */
export function httpServerSpansByHook(): boolean {
  return sdk !== undefined && serverSpansByHook;
}

/**
 * Starts the OpenTelemetry SDK for this process when {@link tracingRequested}: exporter, protocol,
 * endpoint, sampler and resource come from the standard OTEL_* variables (the SDK reads them), the
 * service name from OTEL_SERVICE_NAME or `serviceName`. Instruments HTTP, gRPC (server and client:
 * W3C `traceparent` is read from callers and sent on to workers) and ioredis.
 *
 * Call it before anything loads `http`, `@grpc/grpc-js` or `ioredis`: the instrumentations patch
 * modules as they are required. Each app does so from a `tracing.ts` that its `main.ts` imports first.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env, options: TracingOptions = {}): boolean {
  if (sdk || !tracingRequested(env)) return false;
  // Loaded only when asked for: the SDK and its exporters cost start-up time a process without traces should not pay.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { GrpcInstrumentation } = require('@opentelemetry/instrumentation-grpc') as typeof import('@opentelemetry/instrumentation-grpc');
  const { IORedisInstrumentation } =
    require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
  /* eslint-enable @typescript-eslint/no-require-imports */
  // The variable auto-instrumentations-node reads, with the same names: `http`, `grpc`, `ioredis`.
  const disabled = new Set((env['OTEL_NODE_DISABLED_INSTRUMENTATIONS'] ?? '').split(',').map((name) => name.trim()));
  serverSpansByHook = options.incomingHttp === false && !disabled.has('http');
  sdk = new NodeSDK({
    serviceName: env['OTEL_SERVICE_NAME'] || serviceName,
    // Traces only: metrics are Prometheus's (/metrics), logs are JSON lines on stdout that carry the trace id.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      // Probes and scrapes would be most of the traces: /healthz, /readyz and /metrics are not traced.
      disabled.has('http')
        ? []
        : new HttpInstrumentation({
            disableIncomingRequestInstrumentation: options.incomingHttp === false,
            ignoreIncomingRequestHook: (request) => /^\/(healthz|readyz|metrics)\b/.test(request.url ?? ''),
          }),
      disabled.has('grpc') ? [] : new GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch'] }),
      // Redis commands only inside a traced request or job: BullMQ's polling would otherwise fill the exporter.
      disabled.has('ioredis') ? [] : new IORedisInstrumentation({ requireParentSpan: true }),
    ].flat(),
  });
  sdk.start();
  return true;
}

/** Flushes and stops the SDK (spans still buffered are exported); a no-op when tracing is off. */
export async function stopTracing(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  await running?.shutdown().catch(() => undefined);
}
