export { startTracing, stopTracing, tracingRequested } from './tracing';
export {
  activeTraceId,
  epochMs,
  failSpan,
  inSpan,
  inSpanSync,
  linkFrom,
  recordSpan,
  startSpanIn,
  traceCarrier,
  tracer,
  untraced,
  type Span,
} from './spans';
