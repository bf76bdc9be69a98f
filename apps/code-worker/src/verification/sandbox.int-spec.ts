import { describeWithSandbox } from '../../test/sandbox-available';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ProcessSandbox } from './sandbox';
import { SandboxError } from './sandbox.errors';

// Real bubblewrap. Limits are small so hostile programs end quickly on a shared 2-core machine.
describeWithSandbox('ProcessSandbox (real bwrap)', () => {
  // Built in beforeAll: a skipped suite's body still runs, and without bwrap the constructor throws.
  let sandbox: ProcessSandbox;
  beforeAll(() => {
    sandbox = new ProcessSandbox({ timeoutMs: 3000, cpuSeconds: 2, memoryMb: 128, maxOutputBytes: 4096, maxProcesses: 8 });
  });
  let hostDir: string;
  let hostFile: string;

  beforeAll(() => {
    hostDir = mkdtempSync(join(tmpdir(), 'sandbox-int-'));
    hostFile = join(hostDir, 'host.txt');
    writeFileSync(hostFile, 'original');
  });
  afterAll(() => rmSync(hostDir, { recursive: true, force: true }));

  it('runs a python program and returns its output', async () => {
    const result = await sandbox.run('python', 'import sys\nprint(sum([1, 2, 3]))\nprint("warn", file=sys.stderr)');
    expect(result).toMatchObject({ status: 'ok', exitCode: 0, signal: null, stdout: '6\n', stderr: 'warn\n' });
  });

  it('reports a failing program with its exit code and traceback', async () => {
    const result = await sandbox.run('python', '1 / 0');
    expect(result.status).toBe('error');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('ZeroDivisionError');
  });

  it('runs a javascript program', async () => {
    const result = await sandbox.run('javascript', 'console.log(JSON.stringify([1, 2].map((x) => x * 2)))');
    expect(result).toMatchObject({ status: 'ok', stdout: '[2,4]\n' });
  });

  it('stops an endless loop', async () => {
    const result = await sandbox.run('python', 'while True:\n    pass');
    expect(result.status).toBe('timeout');
  });

  it('stops a javascript endless loop', async () => {
    const result = await sandbox.run('javascript', 'for (;;) {}');
    expect(result.status).toBe('timeout');
  });

  it('stops a program that sleeps past the wall-clock deadline', async () => {
    const result = await sandbox.run('python', 'import time\ntime.sleep(60)', { timeoutMs: 500 });
    expect(result.status).toBe('timeout');
  });

  it('stops unbounded allocation', async () => {
    const result = await sandbox.run('python', 'chunks = []\nwhile True:\n    chunks.append(bytearray(10**7))');
    expect(result.status).toBe('memory');
  });

  it('stops unbounded javascript allocation', async () => {
    const result = await sandbox.run('javascript', 'const chunks = []; for (;;) chunks.push(new Array(1e6).fill(1.5));');
    expect(result.status).toBe('memory');
  });

  it('sees an empty private /tmp, and cannot write outside it', async () => {
    const program = `
import os
print("host file visible:", os.path.exists(${JSON.stringify(hostFile)}))
for path in [${JSON.stringify(hostFile)}, "/etc/sandbox-escape", "/work/sandbox-escape", ${JSON.stringify(join(process.cwd(), 'sandbox-escape'))}]:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("escaped")
        print("wrote", path)
    except OSError as e:
        print("refused", path, type(e).__name__)
`;
    const result = await sandbox.run('python', program);
    expect(result.status).toBe('ok');
    expect(result.stdout).toContain('host file visible: False');
    // The write "succeeds" only inside the private tmpfs; the host file is untouched.
    expect(readFileSync(hostFile, 'utf8')).toBe('original');
    expect(result.stdout).toMatch(/refused \/etc\/sandbox-escape (PermissionError|OSError)/);
    expect(existsSync('/etc/sandbox-escape')).toBe(false);
    expect(existsSync('/work/sandbox-escape')).toBe(false);
    expect(existsSync(join(process.cwd(), 'sandbox-escape'))).toBe(false);
  });

  it("cannot read the worker's own folder", async () => {
    const result = await sandbox.run('python', `import os\nprint(os.listdir(${JSON.stringify(process.cwd())}))`);
    // Hidden either way: an empty tmpfs over it, or (a checkout under /tmp, which the sandbox
    // replaces with its own tmpfs) not there at all.
    if (result.status === 'ok') expect(result.stdout).toBe('[]\n');
    else expect(result.stderr).toContain('FileNotFoundError');
    expect(`${result.stdout}${result.stderr}`).not.toContain('package.json');
  });

  it('stops a fork bomb at the process limit', async () => {
    const program = `
import os, time
started = 0
for _ in range(200):
    try:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        started += 1
    except OSError:
        break
print(started)
`;
    const result = await sandbox.run('python', program);
    expect(result.status).toBe('ok');
    const forked = Number(result.stdout);
    expect(forked).toBeGreaterThan(0);
    expect(forked).toBeLessThan(8);
  });

  it('has no network, not even to ports open on the host loopback', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const program = `
import socket
for port in [${port}, 6379]:
    s = socket.socket()
    s.settimeout(1)
    try:
        s.connect(("127.0.0.1", port))
        print("connected", port)
    except OSError as e:
        print("refused", port, type(e).__name__)
`;
    try {
      const result = await sandbox.run('python', program);
      expect(result.status).toBe('ok');
      expect(result.stdout).toBe(`refused ${port} ConnectionRefusedError\nrefused 6379 ConnectionRefusedError\n`);
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });

  it('cuts an output flood at the limit', async () => {
    const result = await sandbox.run('python', 'while True:\n    print("x" * 1000)');
    expect(result.status).toBe('output-limit');
    expect(Buffer.byteLength(result.stdout)).toBe(4096);
  });

  it('still runs normally after the hostile programs', async () => {
    const result = await sandbox.run('python', 'print("still fine")');
    expect(result).toMatchObject({ status: 'ok', stdout: 'still fine\n' });
  });

  it('skips hiding a folder the sandbox user cannot reach anyway', async () => {
    mkdirSync(join(hostDir, 'private'), { mode: 0o700 });
    chmodSync(hostDir, 0o700);
    const unreachable = new ProcessSandbox({ hiddenPaths: [join(hostDir, 'private')], timeoutMs: 3000 });
    const result = await unreachable.run('python', 'print("ran")');
    expect(result).toMatchObject({ status: 'ok', stdout: 'ran\n' });
  });

  it('names the missing Debian package when bwrap is absent', () => {
    expect(() => new ProcessSandbox({ bwrapPath: '/nonexistent/bwrap' })).toThrow(SandboxError);
    expect(() => new ProcessSandbox({ bwrapPath: '/nonexistent/bwrap' })).toThrow(/bubblewrap/);
  });
});
