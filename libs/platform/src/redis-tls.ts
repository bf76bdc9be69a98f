import type { ConnectionOptions } from 'node:tls';
import { readPemFile } from './tls-files';

/**
 * The REDIS_URL query parameter naming the CA (a PEM file) that a `rediss://` server's certificate
 * must chain to: `rediss://:password@redis:6380/0?tlsCaFile=/etc/slm/ca.pem`. It travels with the
 * URL, so every client of it (router, workers, CLI, `slm up`) gets it without a variable of its own;
 * without it the system's roots decide, as for any TLS client.
 */
export const REDIS_TLS_CA_PARAM = 'tlsCaFile';

const PARAM = new RegExp(`([?&])${REDIS_TLS_CA_PARAM}=([^&#,]*)&?`, 'g');

/** REDIS_URL without its {@link REDIS_TLS_CA_PARAM} (what ioredis gets), and the file it named. */
export function splitRedisTlsCa(value: string): { value: string; caFile?: string } {
  let caFile: string | undefined;
  const stripped = value
    .replace(PARAM, (_match, separator: string, file: string) => {
      caFile ??= safeDecode(file);
      return separator;
    })
    // A `?` or `&` left dangling at the end of a URL (before a comma of a cluster list, or the end).
    .replace(/[?&](?=,|#|$)/g, '');
  return caFile === undefined ? { value: stripped } : { value: stripped, caFile };
}

/** Why REDIS_URL's {@link REDIS_TLS_CA_PARAM} cannot be used, or undefined when it is fine or absent. */
export function redisTlsCaProblem(value: string): string | undefined {
  const { caFile } = splitRedisTlsCa(value);
  if (caFile === undefined) return undefined;
  if (!/^rediss(-sentinel)?:\/\//.test(value)) return `${REDIS_TLS_CA_PARAM} needs TLS: use rediss:// (or rediss-sentinel://)`;
  const read = readPemFile(caFile, 'certificate');
  return 'problem' in read ? `${REDIS_TLS_CA_PARAM}: ${read.problem}` : undefined;
}

/**
 * REDIS_URL ready for ioredis: the URL without {@link REDIS_TLS_CA_PARAM}, and TLS options trusting
 * its CA (undefined without one). The file was checked when the configuration was validated.
 */
export function redisTlsOf(value: string): { value: string; tls?: ConnectionOptions } {
  const { value: stripped, caFile } = splitRedisTlsCa(value);
  if (caFile === undefined) return { value: stripped };
  const read = readPemFile(caFile, 'certificate');
  if ('problem' in read) throw new Error(`REDIS_URL ${read.problem}`);
  return { value: stripped, tls: { ca: read.text } };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
