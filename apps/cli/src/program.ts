import { Command, CommanderError } from 'commander';
import { version } from '../../../package.json';
import { registerStackCommands } from './stack.commands';
import { registerWorkerCommands } from './worker.commands';
import { registerModelsCommands } from './models.commands';
import { registerClassifierCommands } from './classifier.commands';
import { registerRouterCommands } from './router.commands';
import { registerInferenceCommands } from './inference.commands';

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
  registerInferenceCommands(program);
  return program;
}

/** Runs the program on argv (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    console.error(`slm: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
