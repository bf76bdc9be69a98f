import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from './program';
import { captureOutput } from '../test/captured-output';

describe('slm certs dev', () => {
  const { out } = captureOutput();
  let dir: string;
  beforeEach(() => {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'slm-certs-cli-')), 'certs');
  });
  afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('writes a CA and certificates and prints the variables that use them', async () => {
    expect(await runCli(['certs', 'dev', '--out', dir, '--name', 'slm.internal', '--days', '30'])).toBe(0);
    const printed = out.join('');
    expect(printed).toContain(`ROUTER_TLS_CERT_FILE=${path.join(dir, 'router.pem')}`);
    expect(printed).toContain(`ROUTER_WORKER_TLS_CERT_FILE=${path.join(dir, 'router-client.pem')}`);
    expect(printed).toContain(`REDIS_URL=rediss://127.0.0.1:6380?tlsCaFile=${path.join(dir, 'ca.pem')}`);
    const router = new X509Certificate(fs.readFileSync(path.join(dir, 'router.pem')));
    expect(router.checkHost('slm.internal')).toBe('slm.internal');
    expect(router.checkIssued(new X509Certificate(fs.readFileSync(path.join(dir, 'ca.pem'))))).toBe(true);
    const days = (Date.parse(router.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThan(31);
  });

  it('keeps an existing CA unless --force', async () => {
    expect(await runCli(['certs', 'dev', '--out', dir])).toBe(0);
    const ca = fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8');
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await runCli(['certs', 'dev', '--out', dir])).toBe(1);
    expect(String(errors.mock.calls[0]?.[0])).toContain(`${path.join(dir, 'ca.pem')} exists: pass --force`);
    expect(fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8')).toBe(ca);
    expect(await runCli(['certs', 'dev', '--out', dir, '--force'])).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8')).not.toBe(ca);
  });
});
