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

  it('is named slm', () => {
    expect(buildProgram().name()).toBe('slm');
  });
});
