import { Metadata, status } from '@grpc/grpc-js';
import { z } from 'zod';
import {
  AppError,
  ConfigError,
  ERROR_CODE_METADATA_KEY,
  ErrorCode,
  REQUEST_ID_PATTERN,
  appErrorOfGrpc,
  checkRequestId,
  describeIssues,
  echoInput,
  httpErrorBody,
  httpStatusOf,
  jobFailureOf,
  jobFailureReason,
  loadConfig,
  portSchema,
  requestIdSchema,
  toGrpcStatus,
} from './index';

describe('error mapping', () => {
  it('maps caller mistakes to 4xx / INVALID_ARGUMENT with the message', () => {
    const error = new AppError(ErrorCode.INVALID_ARGUMENT, 'maxNewTokens must be at least 1');
    expect(httpStatusOf(error)).toBe(400);
    expect(httpErrorBody(error)).toEqual({ error: { code: 'INVALID_ARGUMENT', message: 'maxNewTokens must be at least 1' } });
    const grpcStatus = toGrpcStatus(error);
    expect(grpcStatus).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'maxNewTokens must be at least 1' });
    expect(grpcStatus.metadata.getMap()).toEqual({ [ERROR_CODE_METADATA_KEY]: 'INVALID_ARGUMENT' });
  });

  it('maps a full queue to 429 / RESOURCE_EXHAUSTED and a rejection to 422 / FAILED_PRECONDITION with details', () => {
    expect(httpStatusOf(new AppError(ErrorCode.QUEUE_FULL, 'busy'))).toBe(429);
    expect(toGrpcStatus(new AppError(ErrorCode.QUEUE_FULL, 'busy')).code).toBe(status.RESOURCE_EXHAUSTED);
    const rejected = new AppError(ErrorCode.ROUTE_REJECTED, 'classified as other', { scores: { other: 0.9 } });
    expect(httpStatusOf(rejected)).toBe(422);
    expect(httpErrorBody(rejected).error.details).toEqual({ scores: { other: 0.9 } });
  });

  it('maps a reused requestId or idempotency key to 409 / ALREADY_EXISTS', () => {
    const conflict = new AppError(ErrorCode.CONFLICT, 'idempotency key k-1 was already used for a different batch');
    expect(httpStatusOf(conflict)).toBe(409);
    expect(toGrpcStatus(conflict)).toMatchObject({
      code: status.ALREADY_EXISTS,
      details: 'idempotency key k-1 was already used for a different batch',
    });
  });

  it('accepts foreign errors that carry one of our codes', () => {
    const foreign = Object.assign(new Error('queue of 4 is full'), { code: 'QUEUE_FULL' });
    expect(httpStatusOf(foreign)).toBe(429);
  });

  it('carries the code in slm-error-code trailing metadata, with retry-after when the error has one', () => {
    const limited = toGrpcStatus(new AppError(ErrorCode.RATE_LIMITED, 'over the limit', { retryAfterSeconds: 2.2 }));
    expect(limited).toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: 'over the limit' });
    expect(limited.metadata.getMap()).toEqual({ [ERROR_CODE_METADATA_KEY]: 'RATE_LIMITED', 'retry-after': '3' });
    // Two codes share RESOURCE_EXHAUSTED: only the metadata tells them apart.
    expect(toGrpcStatus(new AppError(ErrorCode.QUEUE_FULL, 'busy')).metadata.get(ERROR_CODE_METADATA_KEY)).toEqual(['QUEUE_FULL']);
  });

  it('reads a gRPC failure back: the typed code from the metadata, else the status code', () => {
    const sent = toGrpcStatus(new AppError(ErrorCode.MODEL_NOT_READY, 'still warming up'));
    const typed = appErrorOfGrpc(sent, 'worker w:1');
    expect(typed).toMatchObject({ code: 'MODEL_NOT_READY', message: 'still warming up' });
    // A details text that looks like a code is only text: the code never comes out of the message.
    const untyped = appErrorOfGrpc(
      { code: status.UNAVAILABLE, details: 'QUEUE_FULL: connection refused', metadata: new Metadata() },
      'worker w:1',
    );
    expect(untyped).toMatchObject({ code: 'NO_HEALTHY_REPLICA', message: 'worker w:1 unavailable: QUEUE_FULL: connection refused' });
    const unknown = new Metadata();
    unknown.set(ERROR_CODE_METADATA_KEY, 'NOT_OURS');
    expect(appErrorOfGrpc({ code: status.INVALID_ARGUMENT, details: 'bad', metadata: unknown })).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'bad',
    });
  });

  it('writes and reads a job failure as a small JSON object; any other reason is INTERNAL', () => {
    const reason = jobFailureReason(new AppError(ErrorCode.INPUT_TOO_LONG, 'problem: 9000 tokens exceed 8192'));
    expect(JSON.parse(reason)).toEqual({ code: 'INPUT_TOO_LONG', message: 'problem: 9000 tokens exceed 8192' });
    expect(jobFailureOf(reason)).toEqual({ code: 'INPUT_TOO_LONG', message: 'problem: 9000 tokens exceed 8192' });
    expect(JSON.parse(jobFailureReason(new TypeError('x is undefined')))).toEqual({
      code: 'INTERNAL',
      message: 'internal error (see the server log)',
    });
    expect(jobFailureOf('job stalled more than allowable limit')).toEqual({
      code: 'INTERNAL',
      message: 'job stalled more than allowable limit',
    });
    expect(jobFailureOf('INVALID_ARGUMENT: not parsed')).toEqual({ code: 'INTERNAL', message: 'INVALID_ARGUMENT: not parsed' });
    expect(jobFailureOf('{"code":"NOPE","message":"m"}')).toEqual({ code: 'INTERNAL', message: '{"code":"NOPE","message":"m"}' });
    expect(jobFailureOf('{broken')).toEqual({ code: 'INTERNAL', message: '{broken' });
    expect(jobFailureOf('')).toEqual({ code: 'INTERNAL', message: 'job failed' });
  });

  it('hides the message of unexpected errors', () => {
    const bug = new TypeError('cannot read properties of undefined');
    expect(httpStatusOf(bug)).toBe(500);
    expect(httpErrorBody(bug).error).toEqual({ code: 'INTERNAL', message: 'internal error (see the server log)' });
  });
});

describe('loadConfig', () => {
  const schema = z.object({
    PORT: portSchema.default(8080),
    NAME: z.string().min(1),
    LIMIT: z.coerce.number().int().positive().default(3),
  });

  it('returns a typed frozen object with defaults', () => {
    const config = loadConfig(schema, { NAME: 'x' });
    expect(config).toEqual({ PORT: 8080, NAME: 'x', LIMIT: 3 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('lists every bad variable in one message', () => {
    expect(() => loadConfig(schema, { PORT: '99999', LIMIT: '-1' })).toThrow(ConfigError);
    try {
      loadConfig(schema, { PORT: '99999', LIMIT: '-1' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/^invalid configuration: /);
      expect(message).toContain('PORT');
      expect(message).toContain('NAME');
      expect(message).toContain('LIMIT');
    }
  });
});

describe('echoInput', () => {
  it('quotes at most 64 characters, then "…", counting characters rather than UTF-16 units', () => {
    expect(echoInput('nope')).toBe('nope');
    expect(echoInput('b'.repeat(64))).toBe('b'.repeat(64));
    expect(echoInput('b'.repeat(10_000))).toBe(`${'b'.repeat(64)}…`);
    expect(echoInput('😀'.repeat(100))).toBe(`${'😀'.repeat(64)}…`);
    expect(echoInput('abcdef', 3)).toBe('abc…');
  });

  it('writes control characters and unpaired surrogates as \\uXXXX', () => {
    expect(echoInput('a\r\nb\u0000\u007f\u0085')).toBe('a\\u000d\\u000ab\\u0000\\u007f\\u0085');
    expect(echoInput('x\ud800y')).toBe('x\\ud800y');
    expect(echoInput('é 😀')).toBe('é 😀');
  });
});

describe('request ids', () => {
  it('are 1 to 128 characters from A-Z a-z 0-9 . _ : -', () => {
    for (const id of ['a', 'req-1', 'tenant:job_1.2', '550e8400-e29b-41d4-a716-446655440000', 'x'.repeat(128)])
      expect(REQUEST_ID_PATTERN.test(id)).toBe(true);
    for (const id of ['', 'x'.repeat(129), 'a b', 'a/b', 'réq', 'a\nb', 'a\u0000']) expect(REQUEST_ID_PATTERN.test(id)).toBe(false);
  });

  it('say what is wrong, in the schema and the check alike, without quoting a long id', () => {
    const rule = 'must be 1 to 128 characters from A-Z a-z 0-9 . _ : -';
    expect(() => checkRequestId('', 'requestId')).toThrow(`requestId: ${rule}; it is empty`);
    expect(() => checkRequestId('x'.repeat(100_000), 'requestId')).toThrow(`requestId: ${rule}; it has 100000 characters`);
    expect(() => checkRequestId('réq', 'requestId')).toThrow(`requestId: ${rule}; character 2 is U+00E9 (é)`);
    expect(() => checkRequestId('a\r\n', 'requestId')).toThrow(`requestId: ${rule}; character 2 is U+000D`);
    expect(() => checkRequestId('a😀', 'requestId')).toThrow(`requestId: ${rule}; character 2 is U+1F600 (😀)`);
    expect(checkRequestId('ok-1', 'requestId')).toBe('ok-1');
    const parsed = requestIdSchema.safeParse('a b');
    expect(parsed.success ? '' : parsed.error.issues[0]?.message).toBe(`${rule}; character 2 is U+0020`);
  });
});

describe('describeIssues', () => {
  const label = (path: string[]) => (path.length ? path.join('.') : 'request');

  it('reports the problems of the union option the input\'s type matched, not zod\'s bare "Invalid input"', () => {
    const content = z.union([z.string(), z.array(z.object({ type: z.literal('text') }))]);
    const schema = z.object({ content, stop: z.union([z.string(), z.array(z.string()).max(1)]) });
    const parsed = schema.safeParse({ content: [{ type: 'image_url' }], stop: ['a', 'b'] });
    expect(parsed.success ? '' : describeIssues(parsed.error, label)).toBe(
      'content.0.type: Invalid input: expected "text"; stop: Too big: expected array to have <=1 items',
    );
    const neither = schema.safeParse({ content: 7, stop: 'x' });
    expect(neither.success ? '' : describeIssues(neither.error, label)).toBe('content: Invalid input: expected string or array');
  });

  it('quotes unknown keys and path segments through echoInput and lists at most ten problems', () => {
    const long = 'k'.repeat(10_000);
    const strict = z.object({ a: z.string() }).strict();
    const parsed = strict.safeParse({ a: 'x', [long]: 1, b: 2, c: 3, d: 4, e: 5, f: 6 });
    expect(parsed.success ? '' : describeIssues(parsed.error, label)).toBe(
      `request: Unrecognized keys: "${'k'.repeat(64)}…", "b", "c", "d", "e" and 1 more`,
    );
    const record = z.record(z.string(), z.string()).safeParse(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`${long}${i}`, i])));
    const message = record.success ? '' : describeIssues(record.error, label);
    expect(message.split('; ')).toHaveLength(11);
    expect(message).toMatch(/^k{64}…: Invalid input: expected string, received number; /);
    expect(message).toMatch(/; and 2 more$/);
  });
});
