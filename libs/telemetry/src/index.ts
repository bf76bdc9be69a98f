export { startTracing, stopTracing, tracingRequested, httpServerSpansByHook } from './tracing';
export type { TracingOptions } from './tracing';
export {
  activeTraceId,
  epochMs,
  failSpan,
  inSpan,
  inSpanSync,
  linkFrom,
  recordSpan,
  startHttpServerSpan,
  startSpanIn,
  traceCarrier,
  tracer,
  untraced,
  type HttpServerSpan,
  type Span,
} from './spans';
