import { defaultKeysPrefix, defaultKeysRedisUrl, parseExpiry } from './keys.commands';

describe('slm keys options', () => {
  it('take the Redis URL and prefix the router uses: REDIS_URL and QUEUE_PREFIX, else its defaults', () => {
    expect(defaultKeysRedisUrl({})).toBe('redis://127.0.0.1:6379');
    expect(defaultKeysRedisUrl({ REDIS_URL: 'redis://redis:6379' })).toBe('redis://redis:6379');
    expect(defaultKeysPrefix({})).toBe('bull');
    expect(defaultKeysPrefix({ QUEUE_PREFIX: 'prod' })).toBe('prod');
  });

  it('--expires takes a future ISO date or date-time', () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    expect(parseExpiry('2027-01-31', now).toISOString()).toBe('2027-01-31T00:00:00.000Z');
    expect(parseExpiry('2026-06-01T12:00:00Z', now).toISOString()).toBe('2026-06-01T12:00:00.000Z');
    expect(() => parseExpiry('2026-05-31', now)).toThrow('the date is in the past');
    expect(() => parseExpiry('next week', now)).toThrow('expected an ISO date');
  });
});
