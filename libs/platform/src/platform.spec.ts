import { status } from '@grpc/grpc-js';
import { z } from 'zod';
import { AppError, ConfigError, ErrorCode, grpcErrorOf, httpErrorBody, httpStatusOf, loadConfig, portSchema } from './index';

describe('error mapping', () => {
  it('maps caller mistakes to 4xx / INVALID_ARGUMENT with the message', () => {
    const error = new AppError(ErrorCode.INVALID_ARGUMENT, 'maxNewTokens must be at least 1');
    expect(httpStatusOf(error)).toBe(400);
    expect(httpErrorBody(error)).toEqual({ error: { code: 'INVALID_ARGUMENT', message: 'maxNewTokens must be at least 1' } });
    expect(grpcErrorOf(error)).toEqual({ code: status.INVALID_ARGUMENT, details: 'INVALID_ARGUMENT: maxNewTokens must be at least 1' });
  });

  it('maps a full queue to 429 / RESOURCE_EXHAUSTED and a rejection to 422 / FAILED_PRECONDITION with details', () => {
    expect(httpStatusOf(new AppError(ErrorCode.QUEUE_FULL, 'busy'))).toBe(429);
    expect(grpcErrorOf(new AppError(ErrorCode.QUEUE_FULL, 'busy')).code).toBe(status.RESOURCE_EXHAUSTED);
    const rejected = new AppError(ErrorCode.ROUTE_REJECTED, 'classified as other', { scores: { other: 0.9 } });
    expect(httpStatusOf(rejected)).toBe(422);
    expect(httpErrorBody(rejected).error.details).toEqual({ scores: { other: 0.9 } });
  });

  it('accepts foreign errors that carry one of our codes', () => {
    const foreign = Object.assign(new Error('queue of 4 is full'), { code: 'QUEUE_FULL' });
    expect(httpStatusOf(foreign)).toBe(429);
  });

  it('hides the message of unexpected errors', () => {
    const bug = new TypeError('cannot read properties of undefined');
    expect(httpStatusOf(bug)).toBe(500);
    expect(httpErrorBody(bug).error).toEqual({ code: 'INTERNAL', message: 'internal error (see the server log)' });
  });
});

describe('loadConfig', () => {
  const schema = z.object({ PORT: portSchema.default(8080), NAME: z.string().min(1), LIMIT: z.coerce.number().int().positive().default(3) });

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
