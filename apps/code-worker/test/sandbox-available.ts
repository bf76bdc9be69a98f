import * as fs from 'node:fs';

/** The Debian package the execution-check tests need, and the command that installs it. */
export const BUBBLEWRAP_APT = 'apt-get install -y bubblewrap';

/**
 * `describe` for tests that run code in the real bubblewrap sandbox. Without /usr/bin/bwrap it
 * prints one line naming the package and skips them; under CI (`CI=true`, where `.ci/run`
 * installs it) it fails with that line instead, so a broken CI image cannot pass silently.
 */
export function describeWithSandbox(name: string, body: () => void): void {
  if (fs.existsSync('/usr/bin/bwrap')) return describe(name, body);
  const line = `${name}: /usr/bin/bwrap is missing (package bubblewrap); install with: ${BUBBLEWRAP_APT}`;
  if (process.env.CI === 'true') {
    return describe(name, () =>
      it('has bubblewrap', () => {
        throw new Error(line);
      }),
    );
  }
  process.stderr.write(`SKIPPED ${line}\n`);
  describe.skip(name, body);
}
