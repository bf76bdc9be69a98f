import { Command, CommanderError } from 'commander';
import { ConfigError } from '@slm/platform';
import { ExitCode, documentExitCodes } from './cli-options';
import { version } from '../../../package.json';
import { registerStackCommands } from './stack.commands';
import { registerWorkerCommands } from './worker.commands';
import { registerModelsCommands } from './models.commands';
import { registerClassifierCommands } from './classifier.commands';
import { registerRouterCommands } from './router.commands';
import { registerSolveCommands } from './solve.commands';
import { registerBatchCommands } from './batch.commands';
import { registerInferenceCommands } from './inference.commands';
import { registerCertsCommands } from './certs.commands';
import { registerKeysCommands } from './keys.commands';
import { registerEvalCommands } from './eval.commands';

/**
 * Builds the `slm` program. Each area adds its subcommands here; the program never calls
 * process.exit itself, so tests can drive it and read its output.
 */
export function buildProgram(): Command {
  const program = new Command('slm')
    .description('slm-router: route math, code and science problems to specialised small language models')
    .version(version, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run `slm --help` for usage)')
    .exitOverride();
  registerStackCommands(program);
  registerWorkerCommands(program);
  registerModelsCommands(program);
  registerClassifierCommands(program);
  registerRouterCommands(program);
  registerSolveCommands(program);
  registerBatchCommands(program);
  registerInferenceCommands(program);
  registerCertsCommands(program);
  registerKeysCommands(program);
  registerEvalCommands(program);
  documentExitCodes(program);
  return program;
}

/**
 * Runs the program on argv (without node and script) and returns the exit code: 0 ok, 1 the command
 * failed, 2 a usage error or invalid configuration (see `ExitCode`; commands may set more through
 * process.exitCode, such as 3 for a batch with failures).
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return ExitCode.OK;
  } catch (error) {
    // Commander has printed its message already; --help and --version end with 0. Its own parse
    // errors (commander.unknownOption, commander.invalidArgument…) are usage errors; a command's
    // own CommanderError (slm.models.…) keeps the exit code the command chose.
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return ExitCode.OK;
      return error.code.startsWith('commander.') && error.code !== 'commander.error' ? ExitCode.USAGE : error.exitCode;
    }
    console.error(`slm: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof ConfigError ? ExitCode.USAGE : ExitCode.ERROR;
  }
}
