import { runCli } from './program';
import { captureOutput } from '../test/captured-output';

describe('slm worker', () => {
  const { out, err } = captureOutput();

  it('rejects a domain that has no worker, listing the choices', async () => {
    expect(await runCli(['worker', 'physics'])).not.toBe(0);
    expect(err.join('')).toContain("value 'physics' is invalid for argument 'domain'. Allowed choices are math, code, science.");
  });

  it('documents the domains in its help', async () => {
    expect(await runCli(['worker', '--help'])).toBe(0);
    expect(out.join('')).toContain('<domain>');
    expect(out.join('')).toContain('(choices: "math", "code", "science")');
  });
});
