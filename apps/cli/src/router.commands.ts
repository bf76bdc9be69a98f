import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { MultiBar, Presets } from 'cli-progress';
import { benchRouter } from './router-bench';
import { ExitCode, commandGroup, integer, withExitCodes } from './cli-options';
import { runServiceInForeground } from './service-process';

const POLL_MS = 500;

/**
 * The router URL when `--url` is not given, from the variables `npm start` / `slm up` use:
 * `SLM_ROUTER_URL`, else the local router on `ROUTER_HTTP_PORT` (default 8080).
 */
export function defaultRouterUrl(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const url = env.SLM_ROUTER_URL?.trim();
  if (url) return url;
  return `http://127.0.0.1:${env.ROUTER_HTTP_PORT?.trim() || '8080'}`;
}

const urlOption = () => new Option('--url <url>', 'router base URL; unset: $SLM_ROUTER_URL, else http://127.0.0.1:$ROUTER_HTTP_PORT').default(defaultRouterUrl());

/** The services' own exit codes, which `slm serve router` and `slm worker` pass on. */
export const SERVICE_EXIT_CODES: Readonly<Record<number, string>> = {
  [ExitCode.OK]: 'stopped by SIGINT/SIGTERM after a graceful shutdown',
  [ExitCode.ERROR]: 'failed to start, or the shutdown grace period ran out',
  [ExitCode.USAGE]: 'usage error, or invalid configuration variables (the message lists every bad one)',
  128: '128 + N: killed by signal N (e.g. 137 for SIGKILL)',
};

/** The progress bar's ETA: "-" until a rate exists (cli-progress prints NaN/Infinity as "NULL"/"INF" before). */
export function formatEta(done: number, total: number, perSecond: number): string {
  if (done >= total) return '0s';
  if (!(perSecond > 0) || !Number.isFinite(perSecond)) return '-';
  const seconds = Math.ceil((total - done) / perSecond);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** A router answer that is not 2xx, as one line: `HTTP 422 ROUTE_REJECTED: …`. */
async function failure(res: Response): Promise<Error> {
  const text = await res.text();
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    return new Error(`HTTP ${res.status} ${error.code}: ${error.message}`);
  } catch {
    return new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
}

async function call(url: string, init?: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (error) {
    throw new Error(`cannot reach the router at ${new URL(url).origin} (${(error as Error).cause ? String((error as { cause: unknown }).cause) : (error as Error).message}); is \`slm serve router\` running?`, { cause: error });
  }
  if (!res.ok) throw await failure(res);
  return res;
}

interface RouteJson {
  domain: string;
  confidence: number;
  overridden: boolean;
  fallback: boolean;
  fallbackReason: string;
  lowConfidence?: boolean;
  runnerUp?: string;
  runnerUpConfidence?: number;
  scores?: { domain: string; probability: number }[];
}

const domainName = (domain: string): string => domain.replace('DOMAIN_', '').toLowerCase();

/** One line for stderr: the domain, why, and what the classifier thought. */
function describeRoute(route: RouteJson): string {
  if (route.overridden) {
    // The confidence is the classifier's for its own top class, not for the forced domain: name it.
    const top = route.scores?.[0];
    return `route: ${domainName(route.domain)} (overridden${top ? `; the classifier said ${domainName(top.domain)} ${top.probability.toFixed(3)}` : ''})`;
  }
  const kind = route.fallback ? `fallback: ${route.fallbackReason}` : route.lowConfidence ? 'classified, low confidence' : 'classified';
  const runnerUp = route.runnerUp && route.runnerUp !== 'DOMAIN_UNSPECIFIED' ? `; runner-up ${domainName(route.runnerUp)} ${(route.runnerUpConfidence ?? 0).toFixed(3)}` : '';
  return `route: ${domainName(route.domain)} (confidence ${route.confidence.toFixed(3)}, ${kind}${runnerUp})`;
}

/** Reads a server-sent-events body, calling back once per event. */
async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (event: string, data: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      onEvent(event, lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n'));
    }
  }
}

interface BatchStatusJson {
  batchId: string;
  state: string;
  total: number;
  progress: number;
  counts: { queued: number; active: number; completed: number; failed: number; cancelled: number };
  byDomain: { domain: string; counts: BatchStatusJson['counts'] }[];
}

async function batchStatus(url: string, id: string): Promise<BatchStatusJson> {
  const res = await call(`${url}/v1/batches/${encodeURIComponent(id)}`);
  return ((await res.json()) as { status: BatchStatusJson }).status;
}

/** Streams a batch's results (JSONL) into a file or stdout. */
async function downloadResults(url: string, id: string, offset: number, outFile?: string): Promise<number> {
  const res = await call(`${url}/v1/batches/${encodeURIComponent(id)}/results?offset=${offset}`);
  const sink: NodeJS.WritableStream = outFile ? fs.createWriteStream(outFile) : process.stdout;
  let lines = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    lines += chunk.reduce((n, byte) => n + (byte === 10 ? 1 : 0), 0);
    if (!sink.write(chunk)) await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
  }
  if (outFile) await new Promise<void>((resolve, reject) => (sink as fs.WriteStream).end((error?: Error | null) => (error ? reject(error) : resolve())));
  return lines;
}

/** Polls a batch until it ends, drawing one progress bar per domain plus the total (done / failed, rate, ETA). */
async function watchWithProgress(url: string, id: string): Promise<BatchStatusJson> {
  const bars = new MultiBar(
    { format: '{name} [{bar}] {value}/{total} done, {failed} failed | {rate}/s | ETA {eta}', hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 2000, stream: process.stderr },
    Presets.shades_classic,
  );
  let status = await batchStatus(url, id);
  const started = Date.now();
  const startDone = status.total * status.progress;
  // cli-progress's own {eta_formatted} shows "NULL"/"INF" until it has a rate: the ETA is ours.
  const total = bars.create(status.total, 0, { name: 'total  ', failed: 0, rate: '0', eta: '-' });
  const perDomain = new Map(status.byDomain.map((d) => [d.domain, bars.create(Object.values(d.counts).reduce((a, b) => a + b, 0), 0, { name: d.domain.replace('DOMAIN_', '').toLowerCase().padEnd(7), failed: 0, rate: '-', eta: '-' })]));
  for (;;) {
    const finished = (c: BatchStatusJson['counts']) => c.completed + c.failed + c.cancelled;
    const perSecond = ((status.total * status.progress - startDone) / Math.max(1, Date.now() - started)) * 1000;
    const done = finished(status.counts);
    total.update(done, { failed: status.counts.failed, rate: perSecond.toFixed(0), eta: formatEta(done, status.total, perSecond) });
    for (const d of status.byDomain) perDomain.get(d.domain)?.update(finished(d.counts), { failed: d.counts.failed, rate: '-', eta: '-' });
    if (status.state !== 'BATCH_STATE_RUNNING') break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    status = await batchStatus(url, id);
  }
  bars.stop();
  return status;
}

/** `slm serve router`, `slm solve`, `slm batch submit|status|results|cancel`. */
export function registerRouterCommands(program: Command): void {
  const serveRouter = commandGroup(program, 'serve', 'run a service in the foreground').command('router');
  withExitCodes(serveRouter, SERVICE_EXIT_CODES);
  serveRouter
    .description('run the router (REST + OpenAI-compatible on ROUTER_HTTP_PORT, gRPC on ROUTER_GRPC_PORT); configured by ROUTER_* variables')
    .action(async () => {
      const code = await runServiceInForeground('router');
      if (code !== 0) process.exitCode = code;
    });

  program
    .command('solve')
    .description('solve one problem through the router: prints the route decision (stderr) and the answer (stdout)')
    .argument('<problem>', 'the problem text')
    .addOption(new Option('--domain <domain>', 'force a domain instead of classifying').choices(['math', 'code', 'science']))
    .option('--stream', 'stream the answer as it is generated (reasoning on stderr)')
    .option('--max-new-tokens <n>', 'upper bound on generated tokens', integer(1))
    .option('--json', 'print the whole result as JSON')
    .addOption(urlOption())
    .action(async (problem: string, flags: { domain?: string; stream?: boolean; maxNewTokens?: number; json?: boolean; url: string }) => {
      const body = { text: problem, domain: flags.domain, stream: Boolean(flags.stream), ...(flags.maxNewTokens ? { options: { maxNewTokens: flags.maxNewTokens } } : {}) };
      const res = await call(`${flags.url}/v1/solve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!flags.stream) {
        const { result } = (await res.json()) as { result: { answer: string; route: RouteJson } };
        process.stderr.write(`${describeRoute(result.route)}\n`);
        process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : `${result.answer}\n`);
        return;
      }
      let failed: Error | undefined;
      await readEvents(res.body as ReadableStream<Uint8Array>, (event, data) => {
        const payload = JSON.parse(data) as Record<string, unknown>;
        if (event === 'route') process.stderr.write(`${describeRoute(payload as unknown as RouteJson)}\n`);
        else if (event === 'delta') (payload.channel === 'CHANNEL_REASONING' ? process.stderr : process.stdout).write(String(payload.text));
        else if (event === 'result') process.stdout.write(flags.json ? `\n${JSON.stringify(payload)}\n` : '\n');
        else if (event === 'error') failed = new Error(`stream broke: ${String(payload.code)}: ${String(payload.message)}`);
      });
      if (failed) throw failed;
    });

  commandGroup(program, 'bench', 'measure speed (prints JSON)')
    .command('router')
    .description("the router's added latency over a direct worker call (REST, gRPC), what API keys and tracing add, batch problems/s (one Redis and a three-master cluster) and p99 with one slow replica of three, on instant-engine workers")
    .option('--json', 'print only the JSON (the default prints progress on stderr too)')
    .option('--requests <n>', 'requests per measurement', integer(1), 2000)
    .option('--batch-size <n>', 'problems in the queue batch', integer(1), 10_000)
    .option('--concurrency <list>', 'concurrent clients, comma-separated', '1,16,64')
    .option('--redis-url <url>', 'use this Redis instead of a private redis-server')
    .option('--cancel-batch-size <n>', 'problems in the batch that is cancelled', integer(1), 100_000)
    .option('--large-batch-bytes <n>', 'size of the big batch body', integer(1), 50_000_000)
    .option('--large-batch-problems <n>', 'problems in the big batch body', integer(1), 100_000)
    .option('--no-cluster-batch', 'skip the batch on a three-master Redis Cluster (clusterBatchProblemsPerSecond)')
    .action(async (flags: { json?: boolean; requests: number; batchSize: number; concurrency: string; redisUrl?: string; cancelBatchSize: number; largeBatchBytes: number; largeBatchProblems: number; clusterBatch: boolean }) => {
      const concurrency = flags.concurrency.split(',').map((c) => integer(1)(c.trim()));
      const { cancelBatchSize, largeBatchBytes, largeBatchProblems, clusterBatch } = flags;
      const result = await benchRouter({ requests: flags.requests, batchSize: flags.batchSize, concurrency, redisUrl: flags.redisUrl, cancelBatchSize, largeBatchBytes, largeBatchProblems, clusterBatch }, (line) => {
        if (!flags.json) process.stderr.write(`${line}\n`);
      });
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });

  const fuzz = commandGroup(program, 'bench', 'measure speed (prints JSON)').command('fuzz');
  withExitCodes(fuzz, { [ExitCode.ERROR]: 'the fuzzer found at least one bad answer (a 5xx, INTERNAL, a leaked stack trace, a hang, a crash)' });
  fuzz
    .description('send property-generated requests to every REST route and gRPC method of a fresh stack (instant-engine workers); prints a JSON report')
    .option('--seconds <n>', 'how long to fuzz', integer(1), 60)
    .option('--seed <n>', 'fast-check seed, to replay a run', integer(0))
    .option('--redis-url <url>', 'use this Redis instead of a private redis-server')
    .option('--json', 'print only the JSON (the default prints progress on stderr too)')
    .action(async (flags: { seconds: number; seed?: number; redisUrl?: string; json?: boolean }) => {
      // Loaded here: no other command pays for loading fast-check.
      const { benchFuzz } = await import('./fuzz-bench');
      const report = await benchFuzz({ seconds: flags.seconds, seed: flags.seed, redisUrl: flags.redisUrl }, (line) => {
        if (!flags.json) process.stderr.write(`${line}\n`);
      });
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      if (report.findings.length > 0) process.exitCode = ExitCode.ERROR;
    });

  const batch = commandGroup(program, 'batch', 'batch solving through the queues');
  const submit = batch.command('submit');
  withExitCodes(submit, { [ExitCode.PARTIAL_FAILURE]: 'with --wait: the batch ended with at least one failed problem (the results file has them all)' });
  submit
    .description('upload a JSONL file of problems ({"text": ...} per line); prints the batch id')
    .argument('<file>', 'JSONL file')
    .option('--wait', 'show progress until the batch ends, then write its results')
    .option('--out <file>', 'where --wait writes the results (default: <file>.results.jsonl)')
    .option('--priority <n>', 'queue priority of every problem (1 highest)', integer(0))
    .option('--idempotency-key <key>', 'resubmitting with the same key returns the same batch')
    .addOption(urlOption())
    .action(async (file: string, flags: { wait?: boolean; out?: string; priority?: number; idempotencyKey?: string; url: string }) => {
      if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
      const headers: Record<string, string> = { 'content-type': 'application/jsonl' };
      if (flags.priority !== undefined) headers['x-priority'] = String(flags.priority);
      if (flags.idempotencyKey) headers['idempotency-key'] = flags.idempotencyKey;
      const res = await call(`${flags.url}/v1/batches`, { method: 'POST', headers, body: fs.readFileSync(file) });
      const submitted = (await res.json()) as { batchId: string; total: number; deduplicated: boolean };
      process.stderr.write(`batch ${submitted.batchId}: ${submitted.total} problems${submitted.deduplicated ? ' (already submitted with this idempotency key)' : ''}\n`);
      if (!flags.wait) {
        process.stdout.write(`${submitted.batchId}\n`);
        return;
      }
      const status = await watchWithProgress(flags.url, submitted.batchId);
      const out = flags.out ?? path.join(path.dirname(file), `${path.basename(file, path.extname(file))}.results.jsonl`);
      const lines = await downloadResults(flags.url, submitted.batchId, 0, out);
      process.stderr.write(`${status.state.replace('BATCH_STATE_', '').toLowerCase()}: ${status.counts.completed} completed, ${status.counts.failed} failed, ${status.counts.cancelled} cancelled; ${lines} results in ${out}\n`);
      process.stdout.write(`${submitted.batchId}\n`);
      if (status.counts.failed > 0) process.exitCode = ExitCode.PARTIAL_FAILURE;
    });
  batch
    .command('status')
    .description("print a batch's state and counts (JSON)")
    .argument('<id>', 'batch id')
    .addOption(urlOption())
    .action(async (id: string, flags: { url: string }) => {
      process.stdout.write(`${JSON.stringify(await batchStatus(flags.url, id), null, 2)}\n`);
    });
  batch
    .command('results')
    .description("write a batch's finished results as JSONL, in input order")
    .argument('<id>', 'batch id')
    .option('--offset <n>', 'start at this input index', integer(0), 0)
    .option('--out <file>', 'write to a file instead of stdout')
    .addOption(urlOption())
    .action(async (id: string, flags: { offset: number; out?: string; url: string }) => {
      await downloadResults(flags.url, id, flags.offset, flags.out);
    });
  batch
    .command('cancel')
    .description('cancel a batch: queued problems are removed')
    .argument('<id>', 'batch id')
    .addOption(urlOption())
    .action(async (id: string, flags: { url: string }) => {
      const res = await call(`${flags.url}/v1/batches/${encodeURIComponent(id)}`, { method: 'DELETE' });
      process.stdout.write(`${JSON.stringify(((await res.json()) as { status: unknown }).status, null, 2)}\n`);
    });
}
