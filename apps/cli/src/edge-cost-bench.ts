import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiKeyStore, createRedisConnection } from '@slm/platform';
import type { BenchStack } from './bench-stack';
import { closedLoop, loadFigures, roundMs, type LoadFigures } from './closed-loop';

/** Options of {@link benchEdgeCosts}. */
export interface EdgeCostBenchOptions {
  /** Requests per router and round. */
  requests: number;
  /** Concurrent clients. Default 16. */
  clients?: number;
  /** Interleaved rounds (plain, keyed, traced, plain, …): machine noise hits the three alike. Default 3. */
  rounds?: number;
}

/**
 * What API keys and tracing add to a request, at `clients` concurrent clients on REST `/v1/solve`,
 * against the stack's own (anonymous, untraced) router in the same run: a second router whose store
 * holds an API key with every per-key limit set (rpm, concurrency, tokens per minute, each far above
 * what the bench sends, so every limiter runs and none refuses), every request carrying the key; and
 * a third with OpenTelemetry on, sampling 10 % of traces (`parentbased_traceidratio`), exporting
 * OTLP/HTTP to a receiver in this process. Rounds alternate between the three routers.
 */
export async function benchEdgeCosts(stack: BenchStack, options: EdgeCostBenchOptions): Promise<Record<string, unknown>> {
  const clients = options.clients ?? 16;
  const rounds = options.rounds ?? 3;
  const receiver = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end()));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const keyedPrefix = `${stack.prefix}keys`;
  const redis = createRedisConnection(stack.redisUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  try {
    const limits = { rpm: 1_000_000_000, concurrency: 1_000_000, tokensPerMinute: 1_000_000_000_000 };
    const { key } = await new ApiKeyStore(redis, keyedPrefix).create({ name: 'bench', scopes: ['solve'], limits });
    const keyed = await stack.addRouter({ QUEUE_PREFIX: keyedPrefix, ROUTER_MAX_CONCURRENT_PER_CLIENT: '10000' });
    const traced = await stack.addRouter({
      ROUTER_MAX_CONCURRENT_PER_CLIENT: '10000',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
    });
    const variants = {
      plain: { port: stack.httpPort, headers: {} },
      apiKey: { port: keyed.httpPort, headers: { authorization: `Bearer ${key}` } },
      tracing: { port: traced.httpPort, headers: {} },
    };
    const samples: Record<keyof typeof variants, { latencies: number[]; seconds: number }> = {
      plain: { latencies: [], seconds: 0 },
      apiKey: { latencies: [], seconds: 0 },
      tracing: { latencies: [], seconds: 0 },
    };
    // The keyed router takes the key within its refresh: warm every router until it answers 200.
    for (const [name, variant] of Object.entries(variants)) await warm(agent, variant.port, variant.headers, clients, name);
    for (let round = 0; round < rounds; round++) {
      for (const [name, variant] of Object.entries(variants) as [keyof typeof variants, (typeof variants)[keyof typeof variants]][]) {
        const { latencies, seconds } = await closedLoop(clients, options.requests, (i) => solve(agent, variant.port, variant.headers, i));
        samples[name].latencies.push(...latencies);
        samples[name].seconds += seconds;
      }
    }
    const figure = (name: keyof typeof variants): LoadFigures => loadFigures(samples[name].latencies, samples[name].seconds);
    const plain = figure('plain');
    const apiKey = figure('apiKey');
    const tracing = figure('tracing');
    return {
      edgeCost: {
        clients,
        requestsPerRouter: options.requests * rounds,
        rounds,
        plain,
        apiKeyWithLimits: apiKey,
        tracingSampled10Percent: tracing,
      },
      authAddedP50Ms: roundMs(apiKey.p50Ms - plain.p50Ms),
      tracingAddedP50Ms: roundMs(tracing.p50Ms - plain.p50Ms),
    };
  } finally {
    agent.destroy();
    redis.disconnect();
    receiver.closeAllConnections();
    receiver.close();
  }
}

/** Sends requests until one answers 200 (a keyed router knows a new key within its refresh), then a short warm-up. */
async function warm(agent: http.Agent, port: number, headers: Record<string, string>, clients: number, name: string): Promise<void> {
  for (let tries = 0; ; tries++) {
    const status = await solve(agent, port, headers, 0).then(
      () => 200,
      (error: Error) => error.message,
    );
    if (status === 200) break;
    if (tries > 100) throw new Error(`the ${name} router does not answer: ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await closedLoop(clients, 200, (i) => solve(agent, port, headers, i));
}

function solve(agent: http.Agent, port: number, headers: Record<string, string>, i: number): Promise<void> {
  const body = JSON.stringify({
    text: `Solve the equation 3x + ${i % 97} = 20 for x and simplify the fraction.`,
    options: { maxNewTokens: 16 },
  });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/solve',
        method: 'POST',
        agent,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
