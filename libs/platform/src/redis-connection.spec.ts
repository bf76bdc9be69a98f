import { Cluster } from 'ioredis';
import { createRedisConnection, isRedisCluster, parseRedisTarget, queueKeyPrefix } from './redis-connection';
import { redactRedisPassword, redactRedisUrl, redisUrlSchema } from './redis-url';

describe('REDIS_URL shapes', () => {
  it('reads one URL as one node, as before', () => {
    expect(parseRedisTarget('redis://:pw@127.0.0.1:6380/2')).toEqual({ kind: 'single', url: 'redis://:pw@127.0.0.1:6380/2' });
    expect(isRedisCluster('redis://127.0.0.1:6379')).toBe(false);
  });

  it('reads a comma-separated list as the seed nodes of a cluster', () => {
    const target = parseRedisTarget('redis://10.0.0.1:7000, redis://10.0.0.2,rediss://[::1]:7002');
    expect(target).toMatchObject({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 6379 },
        { host: '::1', port: 7002 },
      ],
    });
    expect(isRedisCluster('redis://a:1,redis://b:2')).toBe(true);
  });

  it('reads a redis-sentinel URL: sentinels, master name, credentials of the master, database', () => {
    expect(parseRedisTarget('redis-sentinel://app:s%40cret@s1:26380,s2/mymaster/3?sentinelPassword=sp')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
      ],
      name: 'mymaster',
      username: 'app',
      password: 's@cret',
      sentinelPassword: 'sp',
      db: 3,
      tls: false,
    });
    expect(parseRedisTarget('rediss-sentinel://s1:26379/m')).toMatchObject({ kind: 'sentinel', tls: true, db: 0 });
  });

  it.each(['http://h:1', 'redis://h:1,', 'redis://h:1,http://h:2', 'redis-sentinel://s1:26379', 'redis-sentinel:///m', 'redis://h:1/x'])(
    'refuses %s',
    (value) => {
      expect(parseRedisTarget(value)).toBeUndefined();
      expect(redisUrlSchema.safeParse(value).success).toBe(false);
    },
  );

  it('never shows a password of a list or a sentinel URL', () => {
    expect(redactRedisUrl('redis://:pw1@a:1,redis://u:pw2@b:2')).toBe('redis://:***@a:1,redis://u:***@b:2');
    expect(redactRedisUrl('redis-sentinel://u:pw@s1:1,s2:2/m')).toBe('redis-sentinel://u:***@s1:1,s2:2/m');
    expect(redactRedisPassword('WRONGPASS pw', 'redis-sentinel://u:pw@s1:1/m')).toBe('WRONGPASS ***');
    expect(redactRedisPassword('WRONGPASS pw1', 'redis://:pw1@a:1,redis://:pw1@b:2')).toBe('WRONGPASS ***');
  });

  it('opens a Cluster for a list (nothing connects until asked)', () => {
    const connection = createRedisConnection('redis://127.0.0.1:1,redis://127.0.0.1:2', { lazyConnect: true, maxRetriesPerRequest: null });
    try {
      expect(connection).toBeInstanceOf(Cluster);
    } finally {
      connection.disconnect();
    }
  });
});

describe('queueKeyPrefix', () => {
  it('hash-tags each queue on a cluster and leaves one node as it was', () => {
    expect(queueKeyPrefix('bull', 'solve-math', true)).toBe('{bull:solve-math}');
    expect(queueKeyPrefix('bull', 'solve-math', false)).toBe('bull');
  });
});
