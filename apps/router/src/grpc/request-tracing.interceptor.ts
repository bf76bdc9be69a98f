import * as grpc from '@grpc/grpc-js';
import { REQUEST_ID_METADATA_KEY } from '@slm/contracts';
import { AppError, ErrorCode, correlationIdOf, toGrpcStatus, type Logger, type RequestContext } from '@slm/platform';
import { activeTraceId } from '@slm/telemetry';

/** The router's root pino logger, for what runs outside Nest's Logger (the gRPC access lines). */
export const ROUTER_LOGGER = Symbol('ROUTER_LOGGER');

/** Services polled by probes and tools: their access lines are written at debug, not info. */
const QUIET_PREFIXES = ['/grpc.health.v1.Health/', '/grpc.reflection.'];

/** Each call's context, keyed by its request metadata: grpc-js hands the handler the object the interceptor passed on. */
const contexts = new WeakMap<grpc.Metadata, RequestContext>();

/** The context the interceptor made for a call (its correlation id; the solve service notes the domain on it). */
export function requestContextOf(call: { metadata: grpc.Metadata }): RequestContext | undefined {
  return contexts.get(call.metadata);
}

/**
 * The gRPC twin of the HTTP request tracing: takes the caller's `x-request-id` metadata or
 * generates a UUID (an invalid one is INVALID_ARGUMENT before the handler runs), keeps it as the
 * call's context for the handler ({@link requestContextOf}: the worker call passes it on),
 * returns it in the trailing metadata `x-request-id` of every status (with the OpenTelemetry trace
 * id in `x-trace-id` when tracing is on), and writes one access line
 * per call: method, status code name, ms, domain and client.
 */
export function requestTracingInterceptor(logger: Logger): grpc.ServerInterceptor {
  return (method, call) => {
    const started = performance.now();
    let context: RequestContext | undefined;
    const client = `ip:${call.getPeer().replace(/:\d+$/, '')}`;
    let finished = false;
    // A refused call's handler never runs: its message and half-close stop here.
    let refused = false;
    const finish = (code: grpc.status) => {
      if (finished) return;
      finished = true;
      const level = QUIET_PREFIXES.some((prefix) => method.path.startsWith(prefix)) ? 'debug' : 'info';
      logger[level](
        {
          requestId: context?.requestId,
          method: method.path,
          status: grpc.status[code],
          ms: Math.round(performance.now() - started),
          domain: context?.domain,
          client,
        },
        'request completed',
      );
    };
    const traced: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, next) => {
            const values = metadata.get(REQUEST_ID_METADATA_KEY).map(String);
            const { requestId, problem } = correlationIdOf(values.length > 1 ? values : values[0]);
            context = { requestId };
            contexts.set(metadata, context);
            if (problem) {
              refused = true;
              return traced.sendStatus(toGrpcStatus(new AppError(ErrorCode.INVALID_ARGUMENT, `x-request-id metadata: ${problem}`)));
            }
            next(metadata);
          },
          onReceiveMessage: (message, next) => {
            if (!refused) next(message);
          },
          onReceiveHalfClose: (next) => {
            if (!refused) next();
          },
          onCancel: () => finish(grpc.status.CANCELLED),
        }),
      sendStatus: (status, next) => {
        const metadata = status.metadata?.clone() ?? new grpc.Metadata();
        if (context) metadata.set(REQUEST_ID_METADATA_KEY, context.requestId);
        // Sent from the handler's continuation, where the gRPC instrumentation's server span is active.
        const traceId = activeTraceId();
        if (traceId) metadata.set('x-trace-id', traceId);
        finish(status.code);
        next({ ...status, metadata });
      },
    });
    return traced;
  };
}
