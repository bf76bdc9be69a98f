import * as grpc from '@grpc/grpc-js';
import { loadProto } from '@slm/contracts';
import { QueueWorkers } from './queue-workers';
import { getJson, parseSse, postJson, startHarness, untilReady, type Harness } from './router-harness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One sample of the Prometheus text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`unparsable metrics line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
      return { name: match[1] as string, labels, value: Number(match[3]) };
    });
}

/** The value of the series with exactly these labels; undefined when it does not exist. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  return samples.find(
    (s) => s.name === name && Object.keys(s.labels).length === wanted.length && wanted.every(([k, v]) => s.labels[k] === v),
  )?.value;
}

async function scrape(h: Harness): Promise<Sample[]> {
  const res = await fetch(`${h.base}/metrics`);
  expect(res.status).toBe(200);
  return parseMetrics(await res.text());
}

/** Scrapes until `done` holds (the queue-side figures arrive through Redis events), at most 10 s. */
async function scrapeUntil(h: Harness, done: (samples: Sample[]) => boolean): Promise<Sample[]> {
  for (const end = Date.now() + 10_000; ; await sleep(50)) {
    const samples = await scrape(h);
    if (done(samples) || Date.now() > end) return samples;
  }
}

async function untilReplica(
  h: Harness,
  domain: 'math' | 'code' | 'science',
  matches: (r: { state: string; capacity?: number }) => boolean,
): Promise<void> {
  for (const end = Date.now() + 10_000; Date.now() < end; await sleep(20)) {
    if (matches((await getJson(`${h.base}/readyz?verbose=true`)).json.workers[domain].replicas[0])) return;
  }
  throw new Error(`the ${domain} replica never matched`);
}

describe('operator metrics on GET /metrics', () => {
  let h: Harness;
  let queueWorkers: QueueWorkers;
  beforeAll(async () => {
    h = await startHarness({ ROUTER_FALLBACK: 'domain:science', ROUTER_FALLBACK_OTHER: 'reject', ROUTER_MAX_CONCURRENT_PER_CLIENT: '2' });
    await untilReady(h);
    queueWorkers = new QueueWorkers(process.env.REDIS_URL as string, h.prefix);
  });
  afterAll(async () => {
    await queueWorkers.close();
    await h.close();
  });

  it('counts requests by route, domain and outcome, confidence by class, and route outcomes', async () => {
    for (const text of ['integral of x', 'integral of y', 'python function', 'atom energy'])
      expect((await postJson(`${h.base}/v1/solve`, { text })).status).toBe(200);
    // Confidence 0.3 is under the math threshold: the fallback (domain:science) takes it.
    expect((await postJson(`${h.base}/v1/solve`, { text: 'unsure integral' })).json.result.route).toMatchObject({
      domain: 'DOMAIN_SCIENCE',
      fallback: true,
    });
    expect((await postJson(`${h.base}/v1/solve`, { text: 'hello there' })).status).toBe(422);
    expect((await postJson(`${h.base}/v1/solve`, { text: 'integral of z', domain: 'code' })).status).toBe(200);

    const m = await scrape(h);
    expect(valueOf(m, 'slm_router_routed_requests_total', { ingress: 'rest', operation: 'solve', domain: 'math', outcome: 'OK' })).toBe(2);
    expect(valueOf(m, 'slm_router_routed_requests_total', { ingress: 'rest', operation: 'solve', domain: 'code', outcome: 'OK' })).toBe(2);
    expect(valueOf(m, 'slm_router_routed_requests_total', { ingress: 'rest', operation: 'solve', domain: 'science', outcome: 'OK' })).toBe(
      2,
    );
    expect(
      valueOf(m, 'slm_router_routed_requests_total', { ingress: 'rest', operation: 'solve', domain: 'none', outcome: 'ROUTE_REJECTED' }),
    ).toBe(1);
    // The existing series keep their names and labels.
    expect(valueOf(m, 'slm_router_requests_total', { ingress: 'rest', operation: 'solve', code: 'OK' })).toBe(6);

    expect(valueOf(m, 'slm_router_route_confidence_count', { class: 'math' })).toBe(4);
    expect(valueOf(m, 'slm_router_route_confidence_bucket', { class: 'math', le: '0.3' })).toBe(1);
    expect(valueOf(m, 'slm_router_route_confidence_bucket', { class: 'math', le: '0.8' })).toBe(1);
    expect(valueOf(m, 'slm_router_route_confidence_bucket', { class: 'math', le: '0.9' })).toBe(4);
    expect(valueOf(m, 'slm_router_route_confidence_count', { class: 'other' })).toBe(1);
    expect(valueOf(m, 'slm_router_route_outcomes_total', { class: 'math', outcome: 'routed' })).toBe(2);
    expect(valueOf(m, 'slm_router_route_outcomes_total', { class: 'math', outcome: 'fallback' })).toBe(1);
    expect(valueOf(m, 'slm_router_route_outcomes_total', { class: 'math', outcome: 'overridden' })).toBe(1);
    expect(valueOf(m, 'slm_router_route_outcomes_total', { class: 'other', outcome: 'rejected' })).toBe(1);
  });

  it('counts gRPC calls under the domain they were routed to', async () => {
    const client = new (loadProto().slmrouter.v1.Router)(`127.0.0.1:${h.router.grpcPort}`, grpc.credentials.createInsecure());
    try {
      for (const text of ['python function', 'python class'])
        await new Promise<void>((resolve, reject) =>
          client.solve({ problem: { text } }, { deadline: Date.now() + 10_000 }, (error: grpc.ServiceError | null) =>
            error ? reject(error) : resolve(),
          ),
        );
      await new Promise<void>((resolve, reject) => {
        const call = client.solveStream({ problem: { text: 'atom stream' } }, { deadline: Date.now() + 10_000 });
        call.on('data', () => undefined);
        call.on('error', reject);
        call.on('end', resolve);
      });
    } finally {
      client.close();
    }
    const m = await scrape(h);
    expect(valueOf(m, 'slm_router_routed_requests_total', { ingress: 'grpc', operation: 'solve', domain: 'code', outcome: 'OK' })).toBe(2);
    expect(
      valueOf(m, 'slm_router_routed_requests_total', { ingress: 'grpc', operation: 'solve_stream', domain: 'science', outcome: 'OK' }),
    ).toBe(1);
  });

  it('observes time to first token and inter-token latency per domain, and tokens per replica', async () => {
    h.workers.math.behaviour = { timing: { timeToFirstTokenMs: 5, totalMs: 20, decodeTokensPerSecond: 42 } };
    try {
      const streamed = await fetch(`${h.base}/v1/solve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'integral stream', stream: true }),
      });
      expect(parseSse(await streamed.text()).filter((e) => e.event === 'delta')).toHaveLength(3);
      expect((await postJson(`${h.base}/v1/solve`, { text: 'integral again' })).status).toBe(200);
    } finally {
      h.workers.math.behaviour = {};
    }
    const m = await scrape(h);
    expect(valueOf(m, 'slm_router_time_to_first_token_seconds_count', { domain: 'math' })).toBe(1);
    // Three deltas: two gaps between them.
    expect(valueOf(m, 'slm_router_inter_token_latency_seconds_count', { domain: 'math' })).toBe(2);
    const replica = h.workers.math.address;
    // Both results report 3 completion tokens and 42 tokens/s; the two earlier math results, no timing.
    expect(valueOf(m, 'slm_router_replica_completion_tokens_total', { domain: 'math', replica })).toBe(4 * 3);
    expect(valueOf(m, 'slm_router_replica_decode_tokens_per_second_count', { domain: 'math', replica })).toBe(2);
    expect(valueOf(m, 'slm_router_replica_decode_tokens_per_second_sum', { domain: 'math', replica })).toBe(84);
    expect(valueOf(m, 'slm_router_replica_up', { domain: 'math', replica })).toBe(1);
    expect(valueOf(m, 'slm_router_replica_in_flight', { domain: 'math', replica })).toBe(0);
  });

  it('counts admission rejections by domain and reason: QUEUE_FULL, RATE_LIMITED, NO_HEALTHY_REPLICA', async () => {
    let release!: () => void;
    const until = new Promise<void>((resolve) => (release = resolve));
    h.workers.math.behaviour = {
      capacity: { maxConcurrency: 1, maxQueue: 0 },
      kvCache: { kvCacheTokens: 4096, kvCacheReservedTokens: 300 },
      holdPrefix: { prefix: 'held', until },
    };
    h.workers.science.behaviour = { holdPrefix: { prefix: 'held', until } };
    await untilReplica(h, 'math', (r) => r.capacity === 1);
    const heldMath = postJson(`${h.base}/v1/solve`, { text: 'held integral' });
    for (const end = Date.now() + 5000; h.workers.math.calls.at(-1)?.problem?.text !== 'held integral' && Date.now() < end;)
      await sleep(10);
    expect((await postJson(`${h.base}/v1/solve`, { text: 'integral b' })).json.error.code).toBe('QUEUE_FULL');
    const during = await scrape(h);
    expect(valueOf(during, 'slm_router_replica_capacity', { domain: 'math', replica: h.workers.math.address })).toBe(1);
    expect(valueOf(during, 'slm_router_replica_kv_cache_tokens', { domain: 'math', replica: h.workers.math.address })).toBe(4096);
    expect(valueOf(during, 'slm_router_replica_kv_cache_reserved_tokens', { domain: 'math', replica: h.workers.math.address })).toBe(300);
    // A replica whose engine reports no KV cache has no such series.
    expect(valueOf(during, 'slm_router_replica_kv_cache_tokens', { domain: 'code', replica: h.workers.code.address })).toBeUndefined();
    expect(valueOf(during, 'slm_router_replica_in_flight', { domain: 'math', replica: h.workers.math.address })).toBe(1);
    // The caller now holds 2 synchronous requests, its limit: the next is refused before routing.
    const heldScience = postJson(`${h.base}/v1/solve`, { text: 'held atom' });
    for (const end = Date.now() + 5000; h.workers.science.calls.at(-1)?.problem?.text !== 'held atom' && Date.now() < end;) await sleep(10);
    expect((await postJson(`${h.base}/v1/solve`, { text: 'atom energy' })).json.error.code).toBe('RATE_LIMITED');
    release();
    expect((await heldMath).status).toBe(200);
    expect((await heldScience).status).toBe(200);
    h.workers.math.behaviour = {};
    h.workers.science.behaviour = {};

    h.workers.code.setServing(false);
    try {
      await untilReplica(h, 'code', (r) => r.state === 'not_serving');
      expect((await postJson(`${h.base}/v1/solve`, { text: 'python bug' })).json.error.code).toBe('NO_HEALTHY_REPLICA');
    } finally {
      h.workers.code.setServing(true);
    }
    await untilReplica(h, 'code', (r) => r.state === 'serving');

    const m = await scrape(h);
    expect(valueOf(m, 'slm_router_admission_rejections_total', { domain: 'math', reason: 'QUEUE_FULL' })).toBe(1);
    expect(valueOf(m, 'slm_router_admission_rejections_total', { domain: 'none', reason: 'RATE_LIMITED' })).toBe(1);
    expect(valueOf(m, 'slm_router_admission_rejections_total', { domain: 'code', reason: 'NO_HEALTHY_REPLICA' })).toBe(1);
    expect(
      valueOf(m, 'slm_router_routed_requests_total', { ingress: 'rest', operation: 'solve', domain: 'math', outcome: 'QUEUE_FULL' }),
    ).toBe(1);
  });

  it('samples running batches, their problems and queue depths at scrape, and observes queue wait per domain', async () => {
    await queueWorkers.pause();
    const texts = ['integral 1', 'integral 2', 'python 1', 'atom 1', 'atom 2', 'atom 3'];
    const submitted = await postJson(`${h.base}/v1/batches`, { problems: texts.map((text) => ({ text })) });
    expect(submitted.status).toBe(202);
    let m = await scrape(h);
    expect(valueOf(m, 'slm_router_batches_running')).toBe(1);
    expect(valueOf(m, 'slm_router_batch_problems', { state: 'total' })).toBe(6);
    expect(valueOf(m, 'slm_router_batch_problems', { state: 'done' })).toBe(0);
    expect(valueOf(m, 'slm_router_queue_jobs', { queue: 'solve-science', state: 'prioritized' })).toBe(3);
    expect(
      valueOf(m, 'slm_router_routed_requests_total', { ingress: 'rest', operation: 'batch_submit', domain: 'none', outcome: 'OK' }),
    ).toBe(1);

    queueWorkers.resume();
    m = await scrapeUntil(
      h,
      (s) =>
        valueOf(s, 'slm_router_batches_running') === 0 && valueOf(s, 'slm_router_queue_wait_seconds_count', { domain: 'science' }) === 3,
    );
    expect(valueOf(m, 'slm_router_batches_running')).toBe(0);
    expect(valueOf(m, 'slm_router_batch_problems', { state: 'total' })).toBe(0);
    expect(valueOf(m, 'slm_router_queue_wait_seconds_count', { domain: 'math' })).toBe(2);
    expect(valueOf(m, 'slm_router_queue_wait_seconds_count', { domain: 'code' })).toBe(1);
    expect(valueOf(m, 'slm_router_queue_wait_seconds_count', { domain: 'science' })).toBe(3);
    // They waited while the consumers were paused: well over 0 s each.
    expect(valueOf(m, 'slm_router_queue_wait_seconds_sum', { domain: 'science' })).toBeGreaterThan(0);
    expect(valueOf(m, 'slm_router_queue_jobs', { queue: 'solve-science', state: 'completed' })).toBe(3);
  });
});
