import * as grpc from '@grpc/grpc-js';
import { findingOf, methodOf } from './fuzz-bench';
import { leaksInternals } from './fuzz-requests';

// The detectors of `slm bench fuzz`: a fuzzer whose detectors never fire cannot find anything.
describe('fuzz detectors', () => {
  const deadlineMs = 1000;
  const http = (status: number, body: string) => findingOf({ kind: 'http', status, body, ms: 5 }, deadlineMs);

  it('finds a stack trace or a server path in a body, whatever the status', () => {
    const stack = JSON.stringify({
      error: {
        code: 'INVALID_ARGUMENT',
        message: 'Error: boom\n    at SolveController.solve (/app/dist/apps/router/src/http/solve.controller.js:42:13)',
      },
    });
    expect(leaksInternals(stack)).toBe(true);
    expect(http(400, stack)).toMatch(/leaks a stack trace/);
    expect(http(200, '{"path":"/work/main/apps/router/src/main.ts"}')).toMatch(/leaks/);
    expect(http(404, 'Cannot find module node_modules/x')).toMatch(/leaks/);
    expect(leaksInternals('{"error":{"code":"INVALID_ARGUMENT","message":"text: expected string, received number"}}')).toBe(false);
  });

  it('finds a 500 and an undocumented 5xx, and lets the documented 503/504 refusals through', () => {
    expect(http(500, '{"error":{"code":"INTERNAL","message":"internal error"}}')).toMatch(/HTTP 500/);
    expect(http(502, 'Bad Gateway')).toMatch(/HTTP 502/);
    expect(http(503, '{"error":{"code":"QUEUE_FULL","message":"x"}}')).toMatch(/HTTP 503/);
    expect(http(503, '{"error":{"code":"NO_HEALTHY_REPLICA","message":"no healthy worker replica for math"}}')).toBeUndefined();
    expect(http(504, '{"error":{"code":"DEADLINE_EXCEEDED","message":"deadline passed"}}')).toBeUndefined();
    expect(http(400, '{"error":{"code":"INVALID_ARGUMENT","message":"bad"}}')).toBeUndefined();
    // A stream that broke after its 200 headers.
    expect(http(200, 'event: error\ndata: {"code":"INTERNAL","message":"x"}\n\n')).toMatch(/INTERNAL/);
  });

  it('finds gRPC INTERNAL and UNKNOWN, and an answer past the deadline', () => {
    const rpc = (code: grpc.status, ms = 5) => findingOf({ kind: 'grpc', code, details: 'x', ms }, deadlineMs);
    expect(rpc(grpc.status.INTERNAL)).toMatch(/INTERNAL/);
    expect(rpc(grpc.status.UNKNOWN)).toMatch(/UNKNOWN/);
    expect(rpc(grpc.status.INVALID_ARGUMENT)).toBeUndefined();
    expect(rpc(grpc.status.UNAVAILABLE)).toBeUndefined();
    expect(rpc(grpc.status.DEADLINE_EXCEEDED, deadlineMs)).toMatch(/deadline/);
    expect(findingOf({ kind: 'timeout', ms: deadlineMs }, deadlineMs)).toMatch(/deadline/);
    // Never sent: grpc-js could not serialize it, or Node refused the header.
    expect(
      findingOf(
        { kind: 'grpc', code: grpc.status.INTERNAL, details: 'Request message serialization failure', ms: 1, clientRejected: true },
        deadlineMs,
      ),
    ).toBeUndefined();
    expect(findingOf({ kind: 'client-rejected' }, deadlineMs)).toBeUndefined();
  });

  it('counts requests under their route', () => {
    expect(methodOf({ kind: 'http', method: 'GET', path: '/v1/batches/abc/results?offset=-1', headers: {} })).toBe(
      'GET /v1/batches/:id/results',
    );
    expect(methodOf({ kind: 'http', method: 'PUT', path: '/nope', headers: {} })).toBe('other method or path');
    expect(methodOf({ kind: 'grpc', rpc: 'WatchBatch', request: {}, metadata: [] })).toBe('grpc WatchBatch');
  });
});
