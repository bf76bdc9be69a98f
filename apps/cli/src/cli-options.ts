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
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `expected an integer >= ${min}` : `expected an integer in ${min}..${max}`);
    }
    return parsed;
  };
}

/** Option parser for a finite number. */
export function finiteNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new InvalidArgumentError('expected a number');
  return parsed;
}
