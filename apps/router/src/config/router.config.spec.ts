import { z } from 'zod';
import { Domain, defineDomainRegistry } from '@slm/contracts';
import { ConfigError } from '@slm/platform';
import { loadRouterConfig, workerVariablesShape } from './router.config';

describe('router config', () => {
  it('has working defaults', () => {
    const config = loadRouterConfig({ ROUTER_FALLBACK_OTHER: '', ROUTER_MODEL_ALIASES: '' });
    expect(config.http.port).toBe(8080);
    expect(config.grpc.port).toBe(50051);
    expect(config.workers.addresses).toEqual({ math: ['127.0.0.1:50061'], code: ['127.0.0.1:50062'], science: ['127.0.0.1:50063'] });
    expect(config.limits.maxBatchSize).toBe(100_000);
    expect(config.policy.fallback).toEqual({ kind: 'route' });
    expect(config.policy.otherFallback).toEqual({ kind: 'reject' });
    expect(Object.isFrozen(config.limits)).toBe(true);
  });

  it('binds loopback, serves reflection and keeps /readyz details off unless told otherwise', () => {
    const config = loadRouterConfig({});
    expect(config.http.host).toBe('127.0.0.1');
    expect(config.grpc).toMatchObject({ host: '127.0.0.1', reflection: true });
    expect(config.readyzDetails).toBe(false);
    const container = loadRouterConfig({ ROUTER_HOST: '0.0.0.0', ROUTER_GRPC_REFLECTION: 'false', ROUTER_READYZ_DETAILS: 'true' });
    expect(container.http.host).toBe('0.0.0.0');
    expect(container.grpc).toMatchObject({ host: '0.0.0.0', reflection: false });
    expect(container.readyzDetails).toBe(true);
  });

  it('reads the API key and per-caller limit settings: anonymous only on loopback, limits off but concurrency by default', () => {
    const defaults = loadRouterConfig({});
    expect(defaults.auth).toEqual({ allowAnonymous: false, refreshMs: 2000 });
    expect(defaults.limits).toMatchObject({
      maxConcurrentPerClient: 64,
      requestsPerMinute: 0,
      tokensPerMinute: 0,
      batchProblemsInFlight: 0,
    });
    const set = loadRouterConfig({
      ROUTER_ALLOW_ANONYMOUS: 'true',
      ROUTER_API_KEYS_REFRESH_MS: '500',
      ROUTER_RATE_LIMIT_RPM: '600',
      ROUTER_TOKENS_PER_MINUTE: '100000',
      ROUTER_MAX_BATCH_PROBLEMS_IN_FLIGHT: '5000',
    });
    expect(set.auth).toEqual({ allowAnonymous: true, refreshMs: 500 });
    expect(set.limits).toMatchObject({ requestsPerMinute: 600, tokensPerMinute: 100_000, batchProblemsInFlight: 5000 });
    expect(() => loadRouterConfig({ ROUTER_RATE_LIMIT_RPM: '-1', ROUTER_API_KEYS_REFRESH_MS: '0' })).toThrow(
      /ROUTER_RATE_LIMIT_RPM[\s\S]*ROUTER_API_KEYS_REFRESH_MS|ROUTER_API_KEYS_REFRESH_MS[\s\S]*ROUTER_RATE_LIMIT_RPM/,
    );
  });

  it('takes a Redis user, password, database and TLS from REDIS_URL, and never echoes a bad one', () => {
    expect(loadRouterConfig({ REDIS_URL: 'rediss://app:hunter2@redis:6380/3' }).redis.url).toBe('rediss://app:hunter2@redis:6380/3');
    expect(() => loadRouterConfig({ REDIS_URL: 'redis:/app:hunter2@redis' })).toThrow(ConfigError);
    expect(() => loadRouterConfig({ REDIS_URL: 'redis:/app:hunter2@redis' })).not.toThrow(/hunter2/);
  });

  it('reads replica lists, DNS targets, fallbacks and model aliases', () => {
    const config = loadRouterConfig({
      MATH_WORKER_ADDRESSES: '10.0.0.5:50061, 10.0.0.6:50061',
      CODE_WORKER_ADDRESSES: 'dns:///code-worker:50062',
      ROUTER_FALLBACK: 'domain:science',
      ROUTER_FALLBACK_OTHER: 'worker:r1',
      ROUTER_MODEL_ALIASES: 'r1=math',
    });
    expect(config.workers.addresses.math).toEqual(['10.0.0.5:50061', '10.0.0.6:50061']);
    expect(config.workers.addresses.code).toEqual(['dns:///code-worker:50062']);
    expect(config.policy).toMatchObject({ fallback: { kind: 'domain', domain: 'science' }, otherFallback: { kind: 'worker', name: 'r1' } });
    expect(config.modelAliases).toEqual({ r1: 'math' });
  });

  it('lists every bad variable in one message', () => {
    const env = {
      ROUTER_HTTP_PORT: '99999',
      MATH_WORKER_ADDRESSES: 'no-port',
      ROUTER_MAX_BATCH_SIZE: '0',
      ROUTER_THRESHOLD_CODE: '2',
      ROUTER_MODEL_ALIASES: 'x=poetry',
      ROUTER_FALLBACK: 'worker:ghost',
    };
    let error: unknown;
    try {
      loadRouterConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of [
      'ROUTER_HTTP_PORT',
      'MATH_WORKER_ADDRESSES',
      'ROUTER_MAX_BATCH_SIZE',
      'ROUTER_THRESHOLD_CODE',
      'ROUTER_MODEL_ALIASES',
    ])
      expect(message).toContain(name);
  });

  it('refuses a worker fallback that names nothing it can serve', () => {
    expect(() => loadRouterConfig({ ROUTER_FALLBACK: 'worker:ghost' })).toThrow(
      /ROUTER_FALLBACK: worker:ghost is neither math, code, science nor a ROUTER_MODEL_ALIASES id/,
    );
  });

  it('builds the per-domain variables from the domain registry, so a fourth domain gets its own', () => {
    const legal = defineDomainRegistry(
      { ...Domain, DOMAIN_LEGAL: 'DOMAIN_LEGAL' },
      {
        DOMAIN_MATH: { defaultGrpcPort: 50061 },
        DOMAIN_CODE: { defaultGrpcPort: 50062 },
        DOMAIN_SCIENCE: { defaultGrpcPort: 50063 },
        DOMAIN_LEGAL: { defaultGrpcPort: 50064 },
      },
    );
    const schema = z.object(workerVariablesShape(legal));
    const env = schema.parse({ LEGAL_WORKER_ADDRESSES: '10.0.0.9:50064, dns-free-host:50064', ROUTER_THRESHOLD_LEGAL: '0.7' });
    expect(env.LEGAL_WORKER_ADDRESSES).toEqual(['10.0.0.9:50064', 'dns-free-host:50064']);
    expect(env.ROUTER_THRESHOLD_LEGAL).toBe(0.7);
    expect(schema.parse({})).toMatchObject({
      LEGAL_WORKER_ADDRESSES: ['127.0.0.1:50064'],
      MATH_WORKER_ADDRESSES: ['127.0.0.1:50061'],
      ROUTER_THRESHOLD_LEGAL: 0.5,
    });
    expect(schema.safeParse({ LEGAL_WORKER_ADDRESSES: 'no-port' }).error?.issues[0]?.path[0]).toBe('LEGAL_WORKER_ADDRESSES');
  });
});
