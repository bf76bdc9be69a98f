import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { DEV_CERT_FILES, REDIS_TLS_CA_PARAM, writeDevCertificates, type DevCertFile } from '@slm/platform';
import { commandGroup, integer } from './cli-options';

/** Options of `slm certs dev`. */
interface CertsDevFlags {
  out: string;
  days: number;
  name: string[];
  force?: boolean;
}

/**
 * `slm certs dev`: a local CA and the certificates for trying TLS (router HTTPS and gRPC) and
 * mutual TLS (router → workers, callers → router, Redis with --tls-port), written as PEM files,
 * then the variables that turn each on. For trying it only: the CA's key lies beside them.
 */
export function registerCertsCommands(program: Command): void {
  commandGroup(program, 'certs', 'certificates for TLS')
    .command('dev')
    .description('make a development CA and certificates (router, workers, router client, Redis) and print the variables that use them')
    .option('--out <dir>', 'folder to write the PEM files into', 'certs')
    .option('--days <n>', 'days the certificates stay valid', integer(1, 3650), 825)
    .option(
      '--name <host>',
      'another DNS name or IP address for the server certificates (repeatable)',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option('--force', 'replace a CA already in the folder (certificates it signed stop being trusted)')
    .action(makeDevCertificates);
}

/** `slm certs dev`: writes the CA and certificates, then prints the variables that use them. */
function makeDevCertificates(flags: CertsDevFlags): void {
  const ca = path.resolve(flags.out, DEV_CERT_FILES.ca);
  if (fs.existsSync(ca) && !flags.force) throw new Error(`${ca} exists: pass --force to replace the CA, or --out another folder`);
  const files = writeDevCertificates(flags.out, { days: flags.days, extraNames: flags.name });
  process.stdout.write(describeCertificates(files));
}

function describeCertificates(files: Record<DevCertFile, string>): string {
  const lines = [
    `development CA and certificates written to ${path.dirname(files.ca)} (valid for trying TLS, not for production)`,
    '',
    '# HTTPS and gRPC TLS at the router (clients trust ca.pem):',
    `ROUTER_TLS_CERT_FILE=${files.router}`,
    `ROUTER_TLS_KEY_FILE=${files.routerKey}`,
    '# optional: callers must present a client certificate (client.pem / client-key.pem):',
    `# ROUTER_TLS_CA_FILE=${files.ca}`,
    '',
    '# mutual TLS between router and workers:',
    `WORKER_TLS_CERT_FILE=${files.worker}`,
    `WORKER_TLS_KEY_FILE=${files.workerKey}`,
    `WORKER_TLS_CA_FILE=${files.ca}`,
    `ROUTER_WORKER_TLS_CA_FILE=${files.ca}`,
    `ROUTER_WORKER_TLS_CERT_FILE=${files.routerClient}`,
    `ROUTER_WORKER_TLS_KEY_FILE=${files.routerClientKey}`,
    '',
    '# Redis over TLS: redis-server --port 0 --tls-port 6380 \\',
    `#   --tls-cert-file ${files.redis} --tls-key-file ${files.redisKey} --tls-ca-cert-file ${files.ca} --tls-auth-clients no`,
    `REDIS_URL=rediss://127.0.0.1:6380?${REDIS_TLS_CA_PARAM}=${files.ca}`,
    '',
  ];
  return lines.join('\n');
}
