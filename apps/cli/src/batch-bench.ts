import * as fs from 'node:fs';
import * as http from 'node:http';
import { QUEUE_OF_DOMAIN, WORKER_DOMAINS } from '@slm/contracts';
import { createRedisConnection, isRedisCluster, queueKeyPrefix } from '@slm/platform';
import { Queue } from 'bullmq';

// The batch phases of `slm bench router`: taking in a big batch body (how long the router stalls,
// how much memory it takes) and cancelling a big batch (how soon the queues go quiet, how many
// problems are still solved after the cancel). They run against a started router and workers.

/** Options of {@link benchLargeBatch}. */
export interface LargeBatchBenchOptions {
  /** The router's HTTP port. */
  httpPort: number;
  /** The router's process id: its resident memory is sampled from /proc (figures are null elsewhere). */
  routerPid?: number;
  /** Size of the JSON body to send, in bytes (the problems' text is padded to reach it). Default 50,000,000. */
  bodyBytes: number;
  /** Problems in the body; at most ROUTER_MAX_BATCH_SIZE. Default 100,000. */
  problems: number;
}

/** Options of {@link benchCancel}. */
export interface CancelBenchOptions {
  httpPort: number;
  /** The Redis and key prefix of the router's queues (their job counts tell when they are quiet). */
  redisUrl: string;
  prefix: string;
  /** Problems in the batch that is cancelled. Default 100,000. */
  problems: number;
}

const DOMAINS = WORKER_DOMAINS;
const TEXTS = [
  'Solve 3x + 5 = 20 for x.',
  'Write a Python function that reverses a string.',
  'Why is the sky blue? Explain Rayleigh scattering.',
];

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function request(
  port: number,
  method: string,
  path: string,
  body?: Buffer,
  contentType = 'application/json',
  agent?: http.Agent,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = body ? { 'content-type': contentType, 'content-length': body.length } : {};
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: agent ?? false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function expectOk(port: number, method: string, path: string, body?: Buffer, contentType?: string): Promise<Record<string, unknown>> {
  const res = await request(port, method, path, body, contentType);
  if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.text.slice(0, 200)}`);
  return JSON.parse(res.text) as Record<string, unknown>;
}

/** Resident memory of a process in MB, from /proc (undefined where there is none). */
function rssMbOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * While `work` runs: GET /healthz back to back (the longest answer is the longest the router
 * stalled, health checks included) and the router's resident memory every 20 ms (its peak).
 */
async function watchRouter<T>(
  port: number,
  pid: number | undefined,
  work: () => Promise<T>,
): Promise<{ value: T; maxStallMs: number; healthChecks: number; peakRssMb: number | undefined }> {
  let done = false;
  let maxStallMs = 0;
  let healthChecks = 0;
  let peakRssMb = rssMbOf(pid);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const prober = (async () => {
    while (!done) {
      const started = performance.now();
      await request(port, 'GET', '/healthz', undefined, undefined, agent);
      maxStallMs = Math.max(maxStallMs, performance.now() - started);
      healthChecks++;
    }
  })();
  const sampler = setInterval(() => {
    const rss = rssMbOf(pid);
    if (rss !== undefined) peakRssMb = Math.max(peakRssMb ?? 0, rss);
  }, 20);
  try {
    const value = await work();
    return { value, maxStallMs: round(maxStallMs), healthChecks, peakRssMb: peakRssMb === undefined ? undefined : Math.round(peakRssMb) };
  } finally {
    done = true;
    clearInterval(sampler);
    await prober.catch(() => undefined);
    agent.destroy();
  }
}

/** The three solve queues of the router, read through BullMQ. */
async function withQueues<T>(redisUrl: string, prefix: string, use: (queues: Queue[]) => Promise<T>): Promise<T> {
  const connection = createRedisConnection(redisUrl, { maxRetriesPerRequest: 1 });
  const cluster = isRedisCluster(redisUrl);
  const queues = DOMAINS.map(
    (domain) => new Queue(QUEUE_OF_DOMAIN[domain], { connection, prefix: queueKeyPrefix(prefix, QUEUE_OF_DOMAIN[domain], cluster) }),
  );
  try {
    return await use(queues);
  } finally {
    await Promise.all(queues.map((q) => q.close()));
    connection.disconnect();
  }
}

async function jobCount(queues: Queue[], ...states: ('prioritized' | 'waiting' | 'delayed' | 'active' | 'completed')[]): Promise<number> {
  let total = 0;
  for (const queue of queues) total += Object.values(await queue.getJobCounts(...states)).reduce((a, b) => a + b, 0);
  return total;
}

async function untilQuiet(queues: Queue[]): Promise<void> {
  while ((await jobCount(queues, 'prioritized', 'waiting', 'delayed', 'active')) > 0)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

/** `slm_router_nodejs_eventloop_lag_max_seconds` in ms: the longest event-loop delay since the previous scrape. */
async function eventLoopLagMaxMs(port: number): Promise<number | undefined> {
  const { text } = await request(port, 'GET', '/metrics');
  const match = /^slm_router_nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? ([\d.e+-]+)$/m.exec(text);
  return match ? round(Number(match[1]) * 1000) : undefined;
}

/**
 * Submits one big JSON batch (`{"problems": [...]}`, ~50 MB by default) and measures the router
 * meanwhile: the longest /healthz answer (its stall), its peak resident memory, the submission's
 * seconds. The batch is cancelled afterwards.
 */
export async function benchLargeBatch(options: LargeBatchBenchOptions): Promise<Record<string, number | null>> {
  const perProblem = Math.max(1, Math.floor(options.bodyBytes / options.problems) - '{"text":""},'.length - 8);
  const filler = 'Explain each step of the derivation and check the result. '.repeat(Math.ceil(perProblem / 59) + 1);
  const items = Array.from({ length: options.problems }, (_, i) =>
    JSON.stringify({ text: `${i} ${TEXTS[i % 3]} ${filler}`.slice(0, perProblem) }),
  );
  const body = Buffer.from(`{"problems":[${items.join(',')}]}`);
  items.length = 0;
  // The router's own event-loop monitor (prom-client's, reset at each scrape): its maximum over the
  // submission is the longest the router was blocked at once, without the prober's own wait.
  await eventLoopLagMaxMs(options.httpPort);
  const started = performance.now();
  const { value, maxStallMs, healthChecks, peakRssMb } = await watchRouter(options.httpPort, options.routerPid, () =>
    expectOk(options.httpPort, 'POST', '/v1/batches', body),
  );
  const submitSeconds = round((performance.now() - started) / 1000);
  const maxEventLoopLagMs = await eventLoopLagMaxMs(options.httpPort);
  await expectOk(options.httpPort, 'DELETE', `/v1/batches/${String(value.batchId)}`);
  return {
    largeBatchBytes: body.length,
    largeBatchProblems: Number(value.total),
    largeBatchSubmitSeconds: submitSeconds,
    largeBatchMaxStallMs: maxStallMs,
    largeBatchMaxEventLoopLagMs: maxEventLoopLagMs ?? null,
    largeBatchHealthChecks: healthChecks,
    largeBatchPeakRssMb: peakRssMb ?? null,
  };
}

/**
 * Queues a big batch (100,000 short problems by default), lets the workers get going on it,
 * cancels it, and measures the seconds until no job waits or runs in any queue and how many
 * problems were still solved after the cancel was sent (compare: the workers' running slots).
 */
export async function benchCancel(options: CancelBenchOptions): Promise<Record<string, number>> {
  return withQueues(options.redisUrl, options.prefix, async (queues) => {
    await untilQuiet(queues);
    const lines = Array.from({ length: options.problems }, (_, i) => JSON.stringify({ text: `${TEXTS[i % 3]} (${i})` })).join('\n');
    const { batchId } = await expectOk(options.httpPort, 'POST', '/v1/batches', Buffer.from(lines), 'application/jsonl');
    // The workers are busy with it: some of it solved already.
    const busy = Math.min(1000, Math.ceil(options.problems / 10));
    for (;;) {
      const { status } = (await expectOk(options.httpPort, 'GET', `/v1/batches/${String(batchId)}`)) as {
        status: { counts: { completed: number } };
      };
      if (status.counts.completed >= busy) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const completedBefore = await jobCount(queues, 'completed');
    const started = performance.now();
    await expectOk(options.httpPort, 'DELETE', `/v1/batches/${String(batchId)}`);
    const cancelSeconds = round((performance.now() - started) / 1000);
    await untilQuiet(queues);
    const cancelQuietSeconds = round((performance.now() - started) / 1000);
    return {
      cancelProblems: options.problems,
      cancelSeconds,
      cancelQuietSeconds,
      cancelSolvedAfter: (await jobCount(queues, 'completed')) - completedBefore,
    };
  });
}
