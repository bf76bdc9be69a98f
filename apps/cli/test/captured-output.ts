/**
 * Captures what the CLI writes to stdout and stderr during each test of the enclosing `describe`
 * (the arrays are emptied before each test; the streams are restored after it).
 */
export function captureOutput(): { readonly out: string[]; readonly err: string[] } {
  const captured = { out: [] as string[], err: [] as string[] };
  beforeEach(() => {
    captured.out.length = 0;
    captured.err.length = 0;
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (captured.out.push(String(chunk)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (captured.err.push(String(chunk)), true));
  });
  afterEach(() => jest.restoreAllMocks());
  return captured;
}
