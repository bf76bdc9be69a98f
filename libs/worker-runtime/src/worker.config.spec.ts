import * as path from 'node:path';
import { ConfigError } from '@slm/platform';
import type { DomainPolicy } from './domain-policy';
import { locateModel } from './model-location';
import { loadWorkerConfig } from './worker.config';

const policy = {
  domain: 'code',
  defaultModelId: 'onnx-community/MobileLLM-R1-950M-ONNX',
  systemPrompt: 'default prompt',
  temperature: 0.6,
  topP: 0.95,
  maxNewTokens: 2048,
} as DomainPolicy;

describe('worker config', () => {
  it('applies the documented defaults', () => {
    const config = loadWorkerConfig(policy, {});
    expect(config).toMatchObject({
      domain: 'code',
      envPrefix: 'CODE_WORKER_',
      logLevel: 'info',
      grpc: { host: '127.0.0.1', port: 50062, reflection: true },
      model: {
        configured: undefined,
        defaultId: 'onnx-community/MobileLLM-R1-950M-ONNX',
        dtype: undefined,
        modelsDir: './models',
        engine: 'onnx',
      },
      engine: {
        maxConcurrency: 8,
        maxQueue: 16,
        intraOpThreads: undefined,
        prefillThreads: undefined,
        prefixCacheMb: undefined,
        int8MinRows: undefined,
        instantLatencyMs: 0,
      },
      generation: { systemPrompt: 'default prompt', temperature: 0.6, topP: 0.95, maxNewTokens: 2048 },
      queue: {
        enabled: true,
        redisUrl: 'redis://127.0.0.1:6379',
        prefix: 'bull',
        concurrency: undefined,
        lockDurationMs: 30000,
        stalledIntervalMs: 30000,
      },
      shutdownGraceMs: 30000,
    });
    expect(Object.isFrozen(config.grpc)).toBe(true);
  });

  it("reads only its own domain's prefixed variables and treats blank ones as unset", () => {
    const config = loadWorkerConfig(policy, {
      CODE_WORKER_GRPC_PORT: '6000',
      MATH_WORKER_GRPC_PORT: '7000',
      CODE_WORKER_TEMPERATURE: ' ',
      CODE_WORKER_ENGINE: 'instant',
      CODE_WORKER_QUEUE_CONCURRENCY: '2',
      CODE_WORKER_THREADS: '2',
      CODE_WORKER_PREFILL_THREADS: '0',
      CODE_WORKER_INT8_MIN_ROWS: '0',
    });
    expect(config.grpc.port).toBe(6000);
    expect(config.generation.temperature).toBe(0.6);
    expect(config.model.engine).toBe('instant');
    expect(config.queue.concurrency).toBe(2);
    expect(config.engine.intraOpThreads).toBe(2);
    expect(config.engine.prefillThreads).toBe(0);
    expect(config.engine.int8MinRows).toBe(0);
  });

  it('takes an answer latency for the benchmark engine only, so no production worker can be slowed by it', () => {
    expect(loadWorkerConfig(policy, { CODE_WORKER_ENGINE: 'instant', CODE_WORKER_INSTANT_LATENCY_MS: '50' }).engine.instantLatencyMs).toBe(
      50,
    );
    expect(() => loadWorkerConfig(policy, { CODE_WORKER_INSTANT_LATENCY_MS: '50' })).toThrow(
      /CODE_WORKER_INSTANT_LATENCY_MS: slows the benchmark engine only/,
    );
  });

  it('binds loopback unless told otherwise, and can turn reflection off', () => {
    expect(loadWorkerConfig(policy, {}).grpc).toEqual({ host: '127.0.0.1', port: 50062, reflection: true });
    expect(loadWorkerConfig(policy, { CODE_WORKER_GRPC_HOST: '0.0.0.0', CODE_WORKER_GRPC_REFLECTION: 'false' }).grpc).toEqual({
      host: '0.0.0.0',
      port: 50062,
      reflection: false,
    });
  });

  it('takes REDIS_URL with a user, password and TLS', () => {
    expect(loadWorkerConfig(policy, { REDIS_URL: 'rediss://app:hunter2@redis:6380/1' }).queue.redisUrl).toBe(
      'rediss://app:hunter2@redis:6380/1',
    );
  });

  it('lists every bad variable in one message', () => {
    const env = {
      CODE_WORKER_GRPC_PORT: '70000',
      CODE_WORKER_TOP_P: '0',
      CODE_WORKER_MAX_NEW_TOKENS: '-5',
      CODE_WORKER_ENGINE: 'gpu',
      CODE_WORKER_THREADS: '0',
      CODE_WORKER_PREFILL_THREADS: '-1',
      REDIS_URL: 'localhost:6379',
    };
    expect(() => loadWorkerConfig(policy, env)).toThrow(ConfigError);
    try {
      loadWorkerConfig(policy, env);
    } catch (error) {
      const problems = (error as ConfigError).problems.map((p) => p.split(':')[0]);
      expect(problems.sort()).toEqual([
        'CODE_WORKER_ENGINE',
        'CODE_WORKER_GRPC_PORT',
        'CODE_WORKER_MAX_NEW_TOKENS',
        'CODE_WORKER_PREFILL_THREADS',
        'CODE_WORKER_THREADS',
        'CODE_WORKER_TOP_P',
        'REDIS_URL',
      ]);
    }
  });

  it('holds domain defaults to the bounds callers meet (temperature at most 2, maxNewTokens at most 32768)', () => {
    expect(() => loadWorkerConfig(policy, { CODE_WORKER_TEMPERATURE: '5' })).toThrow(/CODE_WORKER_TEMPERATURE/);
    expect(() => loadWorkerConfig(policy, { CODE_WORKER_MAX_NEW_TOKENS: '1000000000' })).toThrow(/CODE_WORKER_MAX_NEW_TOKENS/);
    expect(loadWorkerConfig(policy, { CODE_WORKER_TEMPERATURE: '2', CODE_WORKER_MAX_NEW_TOKENS: '32768' }).generation).toMatchObject({
      temperature: 2,
      maxNewTokens: 32768,
    });
  });
});

describe('model location', () => {
  const model = {
    configured: undefined,
    defaultId: 'onnx-community/MobileLLM-R1-950M-ONNX',
    dtype: undefined,
    modelsDir: '/m',
    engine: 'onnx' as const,
  };

  it('uses the pulled default model, else the synthetic stand-in', () => {
    expect(locateModel(model, (dir) => dir === '/m/onnx-community/MobileLLM-R1-950M-ONNX')).toEqual({
      kind: 'folder',
      dir: '/m/onnx-community/MobileLLM-R1-950M-ONNX',
    });
    expect(locateModel(model, () => false)).toEqual({
      kind: 'synthetic',
      dir: '/m/synthetic-tiny',
      missingDefault: '/m/onnx-community/MobileLLM-R1-950M-ONNX',
    });
  });

  it('takes an alias such as mobilellm-r1-950m, as `slm models pull` and `slm models list` do', () => {
    expect(locateModel({ ...model, configured: 'mobilellm-r1-950m' }, (dir) => dir === '/m/onnx-community/MobileLLM-R1-950M-ONNX')).toEqual(
      {
        kind: 'folder',
        dir: '/m/onnx-community/MobileLLM-R1-950M-ONNX',
      },
    );
    expect(() => locateModel({ ...model, configured: 'mobilellm-r1-950m' }, () => false)).toThrow(
      'download it with `slm models pull mobilellm-r1-950m`',
    );
  });

  it('takes a configured folder or Hub id, and never replaces a missing configured model', () => {
    expect(locateModel({ ...model, configured: '/models/qwen' }, (dir) => dir === '/models/qwen')).toEqual({
      kind: 'folder',
      dir: '/models/qwen',
    });
    expect(
      locateModel({ ...model, configured: 'onnx-community/Qwen3-0.6B-ONNX' }, (dir) => dir === '/m/onnx-community/Qwen3-0.6B-ONNX').kind,
    ).toBe('folder');
    expect(() => locateModel({ ...model, configured: 'onnx-community/Qwen3-0.6B-ONNX' }, () => false)).toThrow(
      `model "onnx-community/Qwen3-0.6B-ONNX" not found: neither a folder nor ${path.join('/m', 'onnx-community/Qwen3-0.6B-ONNX')} (download it with \`slm models pull onnx-community/Qwen3-0.6B-ONNX\`)`,
    );
  });
});
