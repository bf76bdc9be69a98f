import { buildProgram, runCli } from './program';
import { version } from '../../../package.json';

describe('slm program', () => {
  let out: string[];
  let err: string[];
  beforeEach(() => {
    out = [];
    err = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
  });
  afterEach(() => jest.restoreAllMocks());

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
