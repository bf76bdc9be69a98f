import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { writeDevCertificates, type DevCertFile } from './dev-certificates';
import { loadConfig } from './config';
import { checkCertKeyPair, pemFileSchema } from './tls-files';

describe('development certificates and PEM file variables', () => {
  let dir: string;
  let files: Record<DevCertFile, string>;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-certs-'));
    files = writeDevCertificates(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cert = (name: DevCertFile) => new X509Certificate(fs.readFileSync(files[name]));

  it('signs every certificate with the development CA', () => {
    const ca = cert('ca');
    expect(ca.ca).toBe(true);
    for (const name of ['router', 'worker', 'routerClient', 'client', 'redis'] as const) {
      expect(cert(name).verify(ca.publicKey)).toBe(true);
      expect(cert(name).checkIssued(ca)).toBe(true);
    }
  });

  it('names loopback and the compose and Kubernetes services in the server certificates', () => {
    const router = cert('router');
    for (const host of ['localhost', 'router', 'router.slm-router.svc.cluster.local']) expect(router.checkHost(host)).toBe(host);
    expect(router.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(router.checkIP('::1')).toBe('::1');
    const worker = cert('worker');
    for (const host of ['math-worker', 'code-worker', 'science-worker', 'localhost']) expect(worker.checkHost(host)).toBe(host);
    expect(worker.checkHost('evil.example')).toBeUndefined();
  });

  it('keeps the private keys private to their owner', () => {
    expect(fs.statSync(files.routerKey).mode & 0o777).toBe(0o600);
    expect(fs.statSync(files.router).mode & 0o777).toBe(0o644);
  });

  describe('pemFileSchema', () => {
    const schema = z
      .object({ CERT: pemFileSchema('certificate'), KEY: pemFileSchema('private key') })
      .superRefine((env, ctx) => checkCertKeyPair(ctx, { cert: env.CERT, key: env.KEY }, { cert: 'CERT', key: 'KEY' }));
    const problemsOf = (env: Record<string, string>) => {
      try {
        loadConfig(schema, env);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };

    it('reads the files once, at validation, into their PEM text', () => {
      const config = loadConfig(schema, { CERT: files.router, KEY: files.routerKey });
      expect(config.CERT).toContain('-----BEGIN CERTIFICATE-----');
      expect(config.KEY).toContain('PRIVATE KEY-----');
    });

    it('treats empty as unset', () => {
      expect(loadConfig(schema, { CERT: '', KEY: '' })).toEqual({});
    });

    it('names the variable and the path of a missing, unreadable or non-PEM file, never the key', () => {
      const missing = path.join(dir, 'nope.pem');
      expect(problemsOf({ CERT: missing, KEY: files.routerKey })).toBe(
        `invalid configuration: CERT: cannot read certificate file ${missing}: no such file`,
      );
      expect(problemsOf({ CERT: dir, KEY: files.routerKey })).toContain(`CERT: cannot read certificate file ${dir}: is a directory`);
      // A key where the certificate belongs, and the other way round.
      const swapped = problemsOf({ CERT: files.routerKey, KEY: files.router });
      expect(swapped).toContain(`CERT: ${files.routerKey} is not a PEM certificate`);
      expect(swapped).toContain(`KEY: ${files.router} is not a PEM private key`);
      expect(swapped).not.toContain('MII');
    });

    it('wants both halves of a pair', () => {
      expect(problemsOf({ CERT: files.router })).toBe('invalid configuration: KEY: required when CERT is set');
      expect(problemsOf({ KEY: files.routerKey })).toBe('invalid configuration: CERT: required when KEY is set');
    });
  });
});
