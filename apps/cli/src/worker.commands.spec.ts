import { runCli } from './program';

describe('slm worker', () => {
  let err: string[];
  let out: string[];
  beforeEach(() => {
    err = [];
    out = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  });
  afterEach(() => jest.restoreAllMocks());

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
