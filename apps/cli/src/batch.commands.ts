import { domainNameOf, type Domain } from '@slm/contracts';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { MultiBar, Presets } from 'cli-progress';
import { ExitCode, commandGroup, integer, withExitCodes } from './cli-options';
import { callRouter, routerUrlOption } from './router-client';

const POLL_MS = 500;

/** The progress bar's ETA: "-" until a rate exists (cli-progress prints NaN/Infinity as "NULL"/"INF" before). */
export function formatEta(done: number, total: number, perSecond: number): string {
  if (done >= total) return '0s';
  if (!(perSecond > 0) || !Number.isFinite(perSecond)) return '-';
  const seconds = Math.ceil((total - done) / perSecond);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
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
  const res = await callRouter(`${url}/v1/batches/${encodeURIComponent(id)}`);
  return ((await res.json()) as { status: BatchStatusJson }).status;
}

/** Streams a batch's results (JSONL) into a file or stdout. */
async function downloadResults(url: string, id: string, offset: number, outFile?: string): Promise<number> {
  const res = await callRouter(`${url}/v1/batches/${encodeURIComponent(id)}/results?offset=${offset}`);
  const sink: NodeJS.WritableStream = outFile ? fs.createWriteStream(outFile) : process.stdout;
  let lines = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    lines += chunk.reduce((n, byte) => n + (byte === 10 ? 1 : 0), 0);
    if (!sink.write(chunk)) await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
  }
  if (outFile)
    await new Promise<void>((resolve, reject) =>
      (sink as fs.WriteStream).end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  return lines;
}

/** Polls a batch until it ends, drawing one progress bar per domain plus the total (done / failed, rate, ETA). */
async function watchWithProgress(url: string, id: string): Promise<BatchStatusJson> {
  const bars = new MultiBar(
    {
      format: '{name} [{bar}] {value}/{total} done, {failed} failed | {rate}/s | ETA {eta}',
      hideCursor: true,
      clearOnComplete: false,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  let status = await batchStatus(url, id);
  const started = Date.now();
  const startDone = status.total * status.progress;
  // cli-progress's own {eta_formatted} shows "NULL"/"INF" until it has a rate: the ETA is ours.
  const total = bars.create(status.total, 0, { name: 'total  ', failed: 0, rate: '0', eta: '-' });
  const perDomain = new Map(
    status.byDomain.map((d) => [
      d.domain,
      bars.create(
        Object.values(d.counts).reduce((a, b) => a + b, 0),
        0,
        { name: (domainNameOf(d.domain as Domain) ?? d.domain).padEnd(7), failed: 0, rate: '-', eta: '-' },
      ),
    ]),
  );
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

/** `slm batch submit|status|results|cancel`. */
export function registerBatchCommands(program: Command): void {
  const batch = commandGroup(program, 'batch', 'batch solving through the queues');
  const submit = batch.command('submit');
  withExitCodes(submit, {
    [ExitCode.PARTIAL_FAILURE]: 'with --wait: the batch ended with at least one failed problem (the results file has them all)',
  });
  submit
    .description('upload a JSONL file of problems ({"text": ...} per line); prints the batch id')
    .argument('<file>', 'JSONL file')
    .option('--wait', 'show progress until the batch ends, then write its results')
    .option('--out <file>', 'where --wait writes the results (default: <file>.results.jsonl)')
    .option('--priority <n>', 'queue priority of every problem (1 highest)', integer(0))
    .option('--idempotency-key <key>', 'resubmitting with the same key returns the same batch')
    .addOption(routerUrlOption())
    .action(submitBatch);
  batch
    .command('status')
    .description("print a batch's state and counts (JSON)")
    .argument('<id>', 'batch id')
    .addOption(routerUrlOption())
    .action(printBatchStatus);
  batch
    .command('results')
    .description("write a batch's finished results as JSONL, in input order")
    .argument('<id>', 'batch id')
    .option('--offset <n>', 'start at this input index', integer(0), 0)
    .option('--out <file>', 'write to a file instead of stdout')
    .addOption(routerUrlOption())
    .action(writeBatchResults);
  batch
    .command('cancel')
    .description('cancel a batch: queued problems are removed')
    .argument('<id>', 'batch id')
    .addOption(routerUrlOption())
    .action(cancelBatch);
}

/** `slm batch submit`: uploads the file; with --wait, shows progress and writes the results. */
async function submitBatch(
  file: string,
  flags: { wait?: boolean; out?: string; priority?: number; idempotencyKey?: string; url: string },
): Promise<void> {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  const headers: Record<string, string> = { 'content-type': 'application/jsonl' };
  if (flags.priority !== undefined) headers['x-priority'] = String(flags.priority);
  if (flags.idempotencyKey) headers['idempotency-key'] = flags.idempotencyKey;
  const res = await callRouter(`${flags.url}/v1/batches`, { method: 'POST', headers, body: fs.readFileSync(file) });
  const submitted = (await res.json()) as { batchId: string; total: number; deduplicated: boolean };
  process.stderr.write(
    `batch ${submitted.batchId}: ${submitted.total} problems${submitted.deduplicated ? ' (already submitted with this idempotency key)' : ''}\n`,
  );
  if (!flags.wait) {
    process.stdout.write(`${submitted.batchId}\n`);
    return;
  }
  const status = await watchWithProgress(flags.url, submitted.batchId);
  const out = flags.out ?? path.join(path.dirname(file), `${path.basename(file, path.extname(file))}.results.jsonl`);
  const lines = await downloadResults(flags.url, submitted.batchId, 0, out);
  process.stderr.write(
    `${status.state.replace('BATCH_STATE_', '').toLowerCase()}: ${status.counts.completed} completed, ${status.counts.failed} failed, ${status.counts.cancelled} cancelled; ${lines} results in ${out}\n`,
  );
  process.stdout.write(`${submitted.batchId}\n`);
  if (status.counts.failed > 0) process.exitCode = ExitCode.PARTIAL_FAILURE;
}

/** `slm batch status`. */
async function printBatchStatus(id: string, flags: { url: string }): Promise<void> {
  process.stdout.write(`${JSON.stringify(await batchStatus(flags.url, id), null, 2)}\n`);
}

/** `slm batch results`. */
async function writeBatchResults(id: string, flags: { offset: number; out?: string; url: string }): Promise<void> {
  await downloadResults(flags.url, id, flags.offset, flags.out);
}

/** `slm batch cancel`: prints the batch's status after the cancel. */
async function cancelBatch(id: string, flags: { url: string }): Promise<void> {
  const res = await callRouter(`${flags.url}/v1/batches/${encodeURIComponent(id)}`, { method: 'DELETE' });
  process.stdout.write(`${JSON.stringify(((await res.json()) as { status: unknown }).status, null, 2)}\n`);
}
