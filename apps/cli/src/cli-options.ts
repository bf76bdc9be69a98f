import { InvalidArgumentError, type Command } from 'commander';

/**
 * The subcommand group `name` of `parent` (`slm models`, `slm bench`, `slm router`…), created by
 * whichever area registers first: several areas add subcommands to the same group.
 */
export function commandGroup(parent: Command, name: string, description: string): Command {
  return parent.commands.find((command) => command.name() === name) ?? parent.command(name).description(description);
}

/** Option parser for an integer in [min, max]; commander reports the flag and the value around the message. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER ? `expected an integer >= ${min}` : `expected an integer in ${min}..${max}`,
      );
    }
    return parsed;
  };
}

/** Option parser for a number in min..max. */
export function numberIn(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (value.trim() === '' || !(parsed >= min && parsed <= max)) throw new InvalidArgumentError(`expected a number in ${min}..${max}`);
    return parsed;
  };
}

/** Option parser for a finite number. */
export function finiteNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new InvalidArgumentError('expected a number');
  return parsed;
}

/** Exit codes every `slm` command can end with (program.ts maps errors to them). */
export const ExitCode = {
  OK: 0,
  /** The command failed: the router unreachable or answering an error, a file missing, a download failing… */
  ERROR: 1,
  /** A bad command line (unknown command or option, invalid value) or invalid configuration variables. */
  USAGE: 2,
  /** `slm batch submit --wait`: the batch ended with at least one failed problem. */
  PARTIAL_FAILURE: 3,
} as const;

const GENERIC_EXIT_CODES: Readonly<Record<number, string>> = {
  [ExitCode.OK]: 'success',
  [ExitCode.ERROR]: 'the command failed (the message on stderr says why)',
  [ExitCode.USAGE]: 'usage error (unknown command or option, invalid value) or invalid configuration',
};

const declaredExitCodes = new WeakMap<Command, Readonly<Record<number, string>>>();

/**
 * Declares the exit codes a command adds to, or means differently from, the generic ones (0, 1, 2);
 * `documentExitCodes` prints them all in its --help.
 */
export function withExitCodes(command: Command, codes: Readonly<Record<number, string>>): Command {
  declaredExitCodes.set(command, codes);
  return command;
}

/** Adds an "Exit codes:" section to the --help of `program` and of every command below it. */
export function documentExitCodes(program: Command): void {
  const codes = { ...GENERIC_EXIT_CODES, ...declaredExitCodes.get(program) };
  const lines = Object.entries(codes).map(([code, meaning]) => `  ${code.padStart(3)}  ${meaning}`);
  program.addHelpText('after', `\nExit codes:\n${lines.join('\n')}`);
  for (const command of program.commands) documentExitCodes(command);
}
