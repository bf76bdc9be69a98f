import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import forge from 'node-forge';

/** Where `slm certs dev` (and the TLS tests) put each PEM file, relative to the output folder. */
export const DEV_CERT_FILES = {
  /** The development CA every other certificate chains to: what clients trust. */
  ca: 'ca.pem',
  /** Its key: only to sign more certificates; no service needs it. */
  caKey: 'ca-key.pem',
  /** Server certificate of the router (HTTPS and gRPC). */
  router: 'router.pem',
  routerKey: 'router-key.pem',
  /** Server certificate of the three workers (one certificate naming all three). */
  worker: 'worker.pem',
  workerKey: 'worker-key.pem',
  /** Client certificate the router presents to workers (mutual TLS). */
  routerClient: 'router-client.pem',
  routerClientKey: 'router-client-key.pem',
  /** Client certificate for a caller of the router when ROUTER_TLS_CA_FILE requires one. */
  client: 'client.pem',
  clientKey: 'client-key.pem',
  /** Server certificate of a Redis run with `--tls-port`. */
  redis: 'redis.pem',
  redisKey: 'redis-key.pem',
} as const;

export type DevCertFile = keyof typeof DEV_CERT_FILES;

/** Options of {@link writeDevCertificates}. */
export interface DevCertificateOptions {
  /** Days the certificates stay valid. Default 825 (what browsers accept of a leaf). */
  days?: number;
  /** Extra DNS names or IP addresses for the router's and workers' server certificates. Default none. */
  extraNames?: readonly string[];
}

const NAMESPACE = 'slm-router';
/** Loopback names, so everything works on a laptop as it does in a container. */
const LOOPBACK = ['localhost', '127.0.0.1', '::1'];

/** Compose service names and the k8s Service names (short, namespaced and fully qualified). */
function serviceNames(service: string): string[] {
  return [service, `${service}.${NAMESPACE}`, `${service}.${NAMESPACE}.svc`, `${service}.${NAMESPACE}.svc.cluster.local`];
}

/**
 * Makes a development CA and the certificates for trying TLS and mutual TLS locally, and writes
 * them as PEM files into `dir` (created when missing; keys with mode 0600). Server certificates
 * name localhost, 127.0.0.1, ::1 and the compose and Kubernetes service names. Returns the absolute
 * path of each file. Not for production: the CA key sits beside the certificates.
 */
export function writeDevCertificates(dir: string, options: DevCertificateOptions = {}): Record<DevCertFile, string> {
  const days = options.days ?? 825;
  const extra = options.extraNames ?? [];
  const ca = issueCa(days);
  const pem: Record<DevCertFile, string> = {
    ca: forge.pki.certificateToPem(ca.cert),
    caKey: forge.pki.privateKeyToPem(ca.key),
    ...issuePair('router', 'slm-router', ['server'], [...LOOPBACK, ...serviceNames('router'), ...extra], ca, days),
    ...issuePair(
      'worker',
      'slm-worker',
      ['server'],
      [...LOOPBACK, ...['math-worker', 'code-worker', 'science-worker'].flatMap(serviceNames), ...extra],
      ca,
      days,
    ),
    ...issuePair('routerClient', 'slm-router', ['client'], [], ca, days),
    ...issuePair('client', 'slm-client', ['client'], [], ca, days),
    ...issuePair('redis', 'slm-redis', ['server', 'client'], [...LOOPBACK, ...serviceNames('redis'), ...extra], ca, days),
  } as Record<DevCertFile, string>;
  fs.mkdirSync(dir, { recursive: true });
  const written = {} as Record<DevCertFile, string>;
  for (const [name, text] of Object.entries(pem) as [DevCertFile, string][]) {
    const file = path.resolve(dir, DEV_CERT_FILES[name]);
    fs.writeFileSync(file, text, { mode: name.endsWith('Key') ? 0o600 : 0o644 });
    written[name] = file;
  }
  return written;
}

interface Issued {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

/** RSA 2048 from Node's own crypto (forge's pure-JS generator is slow), handed to forge as PEM. */
function rsaKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    privateKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
    publicKey: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey,
  };
}

function newCertificate(publicKey: forge.pki.PublicKey, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial: the high bit clear.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now + days * 24 * 60 * 60 * 1000);
  return cert;
}

function issueCa(days: number): Issued {
  const keys = rsaKeyPair();
  const cert = newCertificate(keys.publicKey, days);
  const subject = [
    { name: 'commonName', value: 'slm-router development CA' },
    { name: 'organizationName', value: 'slm-router (development only)' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert, key: keys.privateKey };
}

type Usage = 'server' | 'client';

function issuePair(
  name: DevCertFile,
  commonName: string,
  usages: Usage[],
  names: string[],
  ca: Issued,
  days: number,
): Partial<Record<DevCertFile, string>> {
  const keys = rsaKeyPair();
  const cert = newCertificate(keys.publicKey, days);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(ca.cert.subject.attributes);
  const altNames = [...new Set(names)].map((value) => (isIpAddress(value) ? { type: 7, ip: value } : { type: 2, value }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: usages.includes('server'), clientAuth: usages.includes('client') },
    ...(altNames.length ? [{ name: 'subjectAltName', altNames }] : []),
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.key, forge.md.sha256.create());
  return { [name]: forge.pki.certificateToPem(cert), [`${name}Key`]: forge.pki.privateKeyToPem(keys.privateKey) } as Partial<
    Record<DevCertFile, string>
  >;
}

function isIpAddress(value: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(value) || value.includes(':');
}
