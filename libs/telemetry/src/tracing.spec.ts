import { activeTraceId, inSpanSync, linkFrom, startHttpServerSpan, traceCarrier } from './spans';
import { httpServerSpansByHook, tracingRequested } from './tracing';

describe('tracingRequested', () => {
  it('is on only when an OTLP endpoint or an exporter is named, and OTEL_SDK_DISABLED does not say otherwise', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_SERVICE_NAME: 'x' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
    expect(tracingRequested({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
  });
});

describe('spans with no SDK started (tracing off)', () => {
  it('cost nothing visible: no trace id, no carrier, no link, the work still runs', () => {
    expect(inSpanSync('work', {}, () => activeTraceId())).toBeUndefined();
    expect(traceCarrier()).toEqual({});
    expect(linkFrom(undefined)).toEqual([]);
    expect(linkFrom({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })).toEqual([]);
  });

  it('leave no server span to open, and one opened anyway is a no-op that still runs the request', () => {
    expect(httpServerSpansByHook()).toBe(false);
    const span = startHttpServerSpan({ method: 'POST', route: '/v1/solve', path: '/v1/solve', headers: {} });
    expect(span.traceId).toBeUndefined();
    expect(span.run(() => 42)).toBe(42);
    expect(() => span.end(200)).not.toThrow();
  });
});
