import { envPrefixOf } from '@slm/contracts';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { loadConfig } from '@slm/platform';
import { commandGroup } from './cli-options';
import {
  DEFAULT_DTYPE,
  DEFAULT_WORKER_MODELS,
  HubClient,
  HubError,
  MODEL_ALIASES,
  licenceOf,
  listLocalModels,
  pullModel,
  resolveRepoId,
  workerAssignments,
  type PullEvent,
  type WorkerAssignment,
} from '@slm/model-hub';

/** What the `models` commands read from the environment. */
const modelsConfigSchema = z.object({
  /** Hub access token for gated repos; sent to the HF_ENDPOINT host only. */
  HF_TOKEN: z.string().optional(),
  /** The Hub (or a mirror). */
  HF_ENDPOINT: z.string().url().default('https://huggingface.co'),
  /** Where models live: `<MODELS_DIR>/<org>/<name>/`. */
  MODELS_DIR: z.string().min(1).default('./models'),
});

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * The `slm models` parent command, created once: other areas (e.g. `slm models synth`) add their
 * subcommands through this getter so the parent exists exactly once whatever the registration order.
 */
export function modelsCommand(program: Command): Command {
  return commandGroup(program, 'models', 'download, list and generate the models the workers host');
}

/** `slm models pull` and `slm models list`. */
export function registerModelsCommands(program: Command): void {
  const models = modelsCommand(program);
  models
    .command('pull')
    .description(`download an ONNX export from the Hugging Face Hub into MODELS_DIR/<org>/<name>/ (resumable, verified)`)
    .argument('<model>', `${Object.keys(MODEL_ALIASES).join(' | ')} | a Hub id (org/name)`)
    .option('--dtype <dtype>', 'weight variant: onnx/model_<dtype>.onnx (fp32, fp16, q4, q4f16, q8, int8, uint8, bnb4)', DEFAULT_DTYPE)
    .option('--revision <revision>', 'branch, tag or commit', 'main')
    .option('--dir <dir>', 'model directory (default: MODELS_DIR or ./models)')
    .addHelpText('after', '\nEnvironment: HF_TOKEN (gated repos), HF_ENDPOINT (default https://huggingface.co), MODELS_DIR.')
    .action((model: string, options: { dtype: string; revision: string; dir?: string }) =>
      reportingErrors('pull', () => pull(model, options)),
    );
  models
    .command('list')
    .description('show the models in MODELS_DIR and which model each worker uses')
    .option('--dir <dir>', 'model directory (default: MODELS_DIR or ./models)')
    .option('--json', 'print JSON')
    .action((options: { dir?: string; json?: boolean }) => reportingErrors('list', () => list(options)));
}

/** Prints a failure as one clear line and exits 1, without a stack trace. */
async function reportingErrors(command: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`slm models ${command}: ${message}\n`);
    throw new CommanderError(1, error instanceof HubError ? `slm.models.${error.code}` : 'slm.models.error', message);
  }
}

async function pull(model: string, options: { dtype: string; revision: string; dir?: string }): Promise<void> {
  const config = loadConfig(modelsConfigSchema);
  const modelsDir = options.dir ?? config.MODELS_DIR;
  const repo = resolveRepoId(model);
  const progress = process.stderr.isTTY ? new BarProgress() : new LineProgress();
  const client = new HubClient({
    endpoint: config.HF_ENDPOINT,
    token: config.HF_TOKEN,
    onRetry: (event) => progress.note(`  retry ${event.attempt}/${event.maxAttempts - 1}: ${event.what}: ${event.error.message}`),
  });

  out(`Model:    ${repo} (revision ${options.revision}, dtype ${options.dtype})`);
  const licence = await licenceOf(client, repo);
  out(
    licence
      ? `Licence:  ${licence.name}: ${licence.summary}${licence.url ? `\n          ${licence.url}` : ''}`
      : `Licence:  unknown; read the model card at ${client.repoUrl(repo)} before use`,
  );
  try {
    const result = await pullModel(client, {
      model: repo,
      dtype: options.dtype,
      revision: options.revision,
      modelsDir,
      onEvent: (event) => progress.on(event),
    });
    progress.stop();
    out(
      `Done:     ${Object.keys(result.manifest.files).length} files verified in ${result.folder} (commit ${result.manifest.commit ?? 'unknown'}, ${formatBytes(result.downloadedBytes)} downloaded)`,
    );
    const defaultFor = Object.entries(DEFAULT_WORKER_MODELS)
      .filter(([, alias]) => resolveRepoId(alias) === repo)
      .map(([domain]) => domain);
    out(
      defaultFor.length > 0
        ? `Use:      the ${defaultFor.join(' and ')} worker(s) load it by default; other workers: <DOMAIN>_WORKER_MODEL=${repo}`
        : `Use:      <DOMAIN>_WORKER_MODEL=${repo} <DOMAIN>_WORKER_DTYPE=${options.dtype} (see \`slm models list\`)`,
    );
  } finally {
    progress.stop();
  }
}

async function list(options: { dir?: string; json?: boolean }): Promise<void> {
  const config = loadConfig(modelsConfigSchema);
  const modelsDir = options.dir ?? config.MODELS_DIR;
  const [models, workers] = await Promise.all([listLocalModels(modelsDir), workerAssignments(process.env, modelsDir)]);
  if (options.json) {
    out(JSON.stringify({ modelsDir, models, workers }, null, 2));
    return;
  }
  out(`Models in ${modelsDir}:`);
  if (models.length === 0) out('  (none: run `slm models pull mobilellm-r1-950m`)');
  const rows = models.map((model) => [
    model.id,
    model.dtypes.join(',') || '-',
    formatBytes(model.sizeBytes),
    model.synthetic ? 'SYNTHETIC (random weights)' : 'real',
    model.revision ? model.revision.slice(0, 12) : '-',
    model.incomplete ? 'incomplete: pull again to resume' : '',
  ]);
  if (rows.length > 0) printTable([['ID', 'DTYPES', 'SIZE', 'WEIGHTS', 'REVISION', ''], ...rows]);
  out();
  out('Workers:');
  printTable([
    ['WORKER', 'MODEL', 'DTYPE', 'FROM', 'STATE'],
    ...workers.map((worker) => [
      worker.domain,
      worker.model,
      worker.dtype ?? 'auto',
      worker.source === 'env' ? `${envPrefixOf(worker.domain)}MODEL` : 'default',
      worker.problem ?? (worker.present ? `present (${worker.folder})` : missingText(worker)),
    ]),
  ]);
}

function missingText(worker: WorkerAssignment): string {
  const pull = `slm models pull ${worker.model}${worker.dtype ? ` --dtype ${worker.dtype}` : ''}`;
  return worker.whenMissing === 'synthetic'
    ? `not pulled: runs the synthetic stand-in (RANDOM weights); ${pull}`
    : `MISSING: the worker will not start; ${pull}`;
}

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows)
    out(
      `  ${row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd()}`,
    );
}

function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Draws what a pull does. */
interface PullProgress {
  on(event: PullEvent): void;
  note(line: string): void;
  stop(): void;
}

/** Plain lines, for logs and pipes: one at each file's start and end, and every 10% of large files. */
class LineProgress implements PullProgress {
  private lastDecile = new Map<string, number>();

  on(event: PullEvent): void {
    switch (event.type) {
      case 'listed':
        return out(`Files:    ${event.files.length} files, ${formatBytes(event.totalBytes)} into ${event.folder}`);
      case 'file-start':
        return out(`  [${event.index + 1}/${event.count}] ${event.path} (${formatBytes(event.size)})`);
      case 'file-resume':
        return out(`  resuming ${event.path} at ${formatBytes(event.offset)}`);
      case 'file-progress': {
        if (event.total < 10_000_000) return;
        const decile = Math.floor((event.bytes / event.total) * 10);
        if (decile === (this.lastDecile.get(event.path) ?? 0) || decile >= 10) return;
        this.lastDecile.set(event.path, decile);
        return out(`  ${event.path} ${decile * 10}% (${formatBytes(event.bytes)} of ${formatBytes(event.total)})`);
      }
      case 'file-skip':
        return out(`  = ${event.path} (${formatBytes(event.size)}) already there and unchanged`);
      case 'file-done':
        return out(`  ✓ ${event.file.path} ${formatBytes(event.file.size)} verified (${event.file.verifiedBy.join(', ') || 'size only'})`);
      default:
        return assertUnreachable(event);
    }
  }

  note(line: string): void {
    out(line);
  }

  stop(): void {
    // nothing to tidy
  }
}

/** A progress bar on the terminal (stderr), with file lines printed above it. */
class BarProgress implements PullProgress {
  private readonly bars = new MultiBar(
    { format: '  {bar} {percentage}% | {done} of {size} | {file}', hideCursor: true, clearOnComplete: true, stopOnComplete: false },
    Presets.shades_classic,
  );
  private bar: SingleBar | undefined;
  private total = 0;
  private finished = 0;

  on(event: PullEvent): void {
    switch (event.type) {
      case 'listed':
        this.total = event.totalBytes;
        out(`Files:    ${event.files.length} files, ${formatBytes(event.totalBytes)} into ${event.folder}`);
        this.bar = this.bars.create(Math.max(1, event.totalBytes), 0, this.payload(0, ''));
        return;
      case 'file-start':
        return this.bar?.update(this.finished, this.payload(this.finished, event.path));
      case 'file-resume':
        return this.note(`  resuming ${event.path} at ${formatBytes(event.offset)}`);
      case 'file-progress': {
        const done = this.finished + event.bytes;
        return this.bar?.update(done, this.payload(done, event.path));
      }
      case 'file-skip':
        this.finished += event.size;
        this.bar?.update(this.finished, this.payload(this.finished, event.path));
        return this.note(`  = ${event.path} already there and unchanged`);
      case 'file-done':
        this.finished += event.file.size;
        this.bar?.update(this.finished, this.payload(this.finished, event.file.path));
        return this.note(
          `  ✓ ${event.file.path} ${formatBytes(event.file.size)} verified (${event.file.verifiedBy.join(', ') || 'size only'})`,
        );
      default:
        return assertUnreachable(event);
    }
  }

  note(line: string): void {
    this.bars.log(`${line}\n`);
  }

  stop(): void {
    this.bars.stop();
  }

  private payload(done: number, file: string): Record<string, string> {
    return { done: formatBytes(done), size: formatBytes(this.total), file };
  }
}

function assertUnreachable(value: never): never {
  throw new Error(`unhandled pull event ${JSON.stringify(value)}`);
}
