import type { Command } from 'commander';
import { benchRouter } from './router-bench';
import { ExitCode, commandGroup, integer, withExitCodes } from './cli-options';
import { runServiceInForeground } from './service-process';

/** The services' own exit codes, which `slm serve router` and `slm worker` pass on. */
export const SERVICE_EXIT_CODES: Readonly<Record<number, string>> = {
  [ExitCode.OK]: 'stopped by SIGINT/SIGTERM after a graceful shutdown',
  [ExitCode.ERROR]: 'failed to start, or the shutdown grace period ran out',
  [ExitCode.USAGE]: 'usage error, or invalid configuration variables (the message lists every bad one)',
  128: '128 + N: killed by signal N (e.g. 137 for SIGKILL)',
};

interface BenchRouterFlags {
  json?: boolean;
  requests: number;
  batchSize: number;
  concurrency: string;
  redisUrl?: string;
  cancelBatchSize: number;
  largeBatchBytes: number;
  largeBatchProblems: number;
  clusterBatch: boolean;
}

interface BenchFuzzFlags {
  seconds: number;
  seed?: number;
  redisUrl?: string;
  json?: boolean;
}

/** `slm serve router`, `slm bench router`, `slm bench fuzz`. */
export function registerRouterCommands(program: Command): void {
  const serveRouter = commandGroup(program, 'serve', 'run a service in the foreground').command('router');
  withExitCodes(serveRouter, SERVICE_EXIT_CODES);
  serveRouter
    .description(
      'run the router (REST + OpenAI-compatible on ROUTER_HTTP_PORT, gRPC on ROUTER_GRPC_PORT); configured by ROUTER_* variables',
    )
    .action(serveRouterInForeground);

  commandGroup(program, 'bench', 'measure speed (prints JSON)')
    .command('router')
    .description(
      "the router's added latency over a direct worker call (REST, gRPC), what API keys and tracing add, batch problems/s (one Redis and a three-master cluster) and p99 with one slow replica of three, on instant-engine workers",
    )
    .option('--json', 'print only the JSON (the default prints progress on stderr too)')
    .option('--requests <n>', 'requests per measurement', integer(1), 2000)
    .option('--batch-size <n>', 'problems in the queue batch', integer(1), 10_000)
    .option('--concurrency <list>', 'concurrent clients, comma-separated', '1,16,64')
    .option('--redis-url <url>', 'use this Redis instead of a private redis-server')
    .option('--cancel-batch-size <n>', 'problems in the batch that is cancelled', integer(1), 100_000)
    .option('--large-batch-bytes <n>', 'size of the big batch body', integer(1), 50_000_000)
    .option('--large-batch-problems <n>', 'problems in the big batch body', integer(1), 100_000)
    .option('--no-cluster-batch', 'skip the batch on a three-master Redis Cluster (clusterBatchProblemsPerSecond)')
    .action(benchRouterCommand);

  const fuzz = commandGroup(program, 'bench', 'measure speed (prints JSON)').command('fuzz');
  withExitCodes(fuzz, {
    [ExitCode.ERROR]: 'the fuzzer found at least one bad answer (a 5xx, INTERNAL, a leaked stack trace, a hang, a crash)',
  });
  fuzz
    .description(
      'send property-generated requests to every REST route and gRPC method of a fresh stack (instant-engine workers); prints a JSON report',
    )
    .option('--seconds <n>', 'how long to fuzz', integer(1), 60)
    .option('--seed <n>', 'fast-check seed, to replay a run', integer(0))
    .option('--redis-url <url>', 'use this Redis instead of a private redis-server')
    .option('--json', 'print only the JSON (the default prints progress on stderr too)')
    .action(benchFuzzCommand);
}

/** `slm serve router`: the router as a child process; its exit code becomes the command's. */
async function serveRouterInForeground(): Promise<void> {
  const code = await runServiceInForeground('router');
  if (code !== 0) process.exitCode = code;
}

/** `slm bench router`: progress on stderr (unless --json), the figures as JSON on stdout. */
async function benchRouterCommand(flags: BenchRouterFlags): Promise<void> {
  const concurrency = flags.concurrency.split(',').map((c) => integer(1)(c.trim()));
  const { cancelBatchSize, largeBatchBytes, largeBatchProblems, clusterBatch } = flags;
  const result = await benchRouter(
    {
      requests: flags.requests,
      batchSize: flags.batchSize,
      concurrency,
      redisUrl: flags.redisUrl,
      cancelBatchSize,
      largeBatchBytes,
      largeBatchProblems,
      clusterBatch,
    },
    (line) => {
      if (!flags.json) process.stderr.write(`${line}\n`);
    },
  );
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

/** `slm bench fuzz`: the report as JSON; exit code 1 when it has findings. */
async function benchFuzzCommand(flags: BenchFuzzFlags): Promise<void> {
  // Loaded here: no other command pays for loading fast-check.
  const { benchFuzz } = await import('./fuzz-bench');
  const report = await benchFuzz({ seconds: flags.seconds, seed: flags.seed, redisUrl: flags.redisUrl }, (line) => {
    if (!flags.json) process.stderr.write(`${line}\n`);
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (report.findings.length > 0) process.exitCode = ExitCode.ERROR;
}
