import type { Command } from 'commander';
import { buildProgram, runCli } from './program';
import { captureOutput } from '../test/captured-output';
import { version } from '../../../package.json';

describe('slm program', () => {
  const { out, err } = captureOutput();

  it('prints the package version', async () => {
    expect(await runCli(['--version'])).toBe(0);
    expect(out.join('')).toBe(`${version}\n`);
  });

  it('prints usage with --help', async () => {
    expect(await runCli(['--help'])).toBe(0);
    expect(out.join('')).toContain('Usage: slm');
  });

  it('rejects an unknown command with a non-zero code and a hint', async () => {
    expect(await runCli(['frobnicate'])).not.toBe(0);
    expect(err.join('')).toMatch(/^error: /);
    expect(err.join('')).toContain('slm --help');
  });

  it('ends a usage error with exit code 2', async () => {
    expect(await runCli(['frobnicate'])).toBe(2);
    expect(await runCli(['batch', 'results', 'b1', '--offset', 'minus-one'])).toBe(2);
  });

  it('documents the exit codes in the --help of every command', async () => {
    const commands: string[][] = [];
    const walk = (command: Command, path: string[]) => {
      commands.push(path);
      for (const sub of command.commands) walk(sub, [...path, sub.name()]);
    };
    walk(buildProgram(), []);
    expect(commands.length).toBeGreaterThan(10);
    for (const path of commands) {
      out.length = 0;
      expect(await runCli([...path, '--help'])).toBe(0);
      const help = out.join('');
      expect({ path, codes: help.slice(help.indexOf('Exit codes:')) }).toEqual({
        path,
        codes: expect.stringMatching(/^Exit codes:\n +0 .*\n +1 .*\n +2 /),
      });
    }
    out.length = 0;
    await runCli(['batch', 'submit', '--help']);
    expect(out.join('')).toMatch(/\n +3 +with --wait: the batch ended with at least one failed problem/);
  });

  it('is named slm', () => {
    expect(buildProgram().name()).toBe('slm');
  });
});
