import { z } from 'zod';
import { ConfigError, loadConfig } from './config';
import { redactRedisPassword, redactRedisUrl, redisUrlSchema } from './redis-url';

const schema = z.object({ REDIS_URL: redisUrlSchema });

describe('Redis URLs', () => {
  it.each([
    'redis://127.0.0.1:6379',
    'redis://:secret@127.0.0.1:6379',
    'redis://app:secret@redis:6380/2',
    'rediss://app:s%40cret@redis.example.com:6380/0',
    'rediss://redis.example.com',
  ])('accepts %s', (url) => {
    expect(loadConfig(schema, { REDIS_URL: url }).REDIS_URL).toBe(url);
  });

  it.each(['localhost:6379', 'http://redis:6379', 'redis://', 'redis://:hunter2@host:6379/notadb'])(
    'refuses %s without repeating it',
    (url) => {
      let error: unknown;
      try {
        loadConfig(schema, { REDIS_URL: url });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^invalid configuration: REDIS_URL: expected redis:\/\//);
      expect((error as Error).message).not.toContain('hunter2');
    },
  );

  it('redacts the password of a URL, keeping the user, host, port and database', () => {
    expect(redactRedisUrl('redis://app:hunter2@redis:6380/2')).toBe('redis://app:***@redis:6380/2');
    expect(redactRedisUrl('rediss://:hunter2@redis:6380')).toBe('rediss://:***@redis:6380');
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactRedisUrl('not a url hunter2')).not.toContain('hunter2');
  });

  it('removes the password, raw or percent-decoded, from any text', () => {
    const url = 'redis://app:p%40ss@redis:6379';
    expect(redactRedisPassword(`connect to ${url} failed (password p@ss)`, url)).toBe(
      'connect to redis://app:***@redis:6379 failed (password ***)',
    );
    expect(redactRedisPassword('nothing to hide', 'redis://redis:6379')).toBe('nothing to hide');
  });
});
