import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

/** The interpreter the Python tests use: Debian's, which has python3-grpcio (another python3 on PATH may not). */
export const PYTHON = '/usr/bin/python3';

/** The Debian packages the Python cross-language tests need, and the one command that installs them. */
export const PYTHON_GRPC_APT = 'apt-get install -y python3-grpcio python3-protobuf protobuf-compiler protobuf-compiler-grpc';

/**
 * Why the Python gRPC tests cannot run here (the first missing package), or undefined when
 * /usr/bin/python3 imports grpc and protobuf and protoc and grpc_python_plugin are there.
 */
export function missingPythonGrpc(): string | undefined {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} is missing (package python3)`;
  try {
    execFileSync(PYTHON, ['-c', 'import grpc, google.protobuf'], { stdio: 'ignore' });
  } catch {
    return `${PYTHON} cannot import grpc / google.protobuf (packages python3-grpcio, python3-protobuf)`;
  }
  try {
    execFileSync('protoc', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'protoc is missing (package protobuf-compiler)';
  }
  if (!fs.existsSync('/usr/bin/grpc_python_plugin')) return '/usr/bin/grpc_python_plugin is missing (package protobuf-compiler-grpc)';
  return undefined;
}

/** One line naming what is missing and the apt command, or undefined when everything is there. */
function missingLine(name: string): string | undefined {
  const missing = missingPythonGrpc();
  return missing && `${name}: ${missing}; install with: ${PYTHON_GRPC_APT}`;
}

/**
 * `describe` for the Python cross-language tests. Where their packages are missing it prints one
 * line naming the package and the apt command and skips them; under CI (`CI=true`, where `.ci/run`
 * installs them) it fails with that line instead, so a broken CI image cannot pass silently.
 */
export function describeWithPythonGrpc(name: string, body: () => void): void {
  const line = missingLine(name);
  if (!line) return describe(name, body);
  if (process.env.CI === 'true') return describe(name, () => it('has the Python gRPC packages', () => fail(line)));
  process.stderr.write(`SKIPPED ${line}\n`);
  describe.skip(name, body);
}

/** `it` for one Python test inside a larger suite: skipped, or failed under CI, the same way. */
export function itWithPythonGrpc(name: string, body: () => Promise<void>, timeout?: number): void {
  const line = missingLine(name);
  if (!line) return it(name, body, timeout);
  if (process.env.CI === 'true') return it(name, () => fail(line));
  process.stderr.write(`SKIPPED ${line}\n`);
  it.skip(name, body);
}

function fail(line: string): never {
  throw new Error(line);
}
