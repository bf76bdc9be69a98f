import * as fs from 'node:fs';
import { z } from 'zod';

/** What a PEM file given in configuration must hold. */
export type PemKind = 'certificate' | 'private key';

const PEM_BLOCK: Record<PemKind, RegExp> = {
  certificate: /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/,
  // PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`).
  'private key': /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/,
};

/**
 * A variable naming a PEM file (a certificate, a CA bundle or a private key). The file is read once,
 * while the configuration is validated, so a missing, unreadable or non-PEM file stops the start
 * with a message naming the variable and the path; the value becomes the file's text. An empty
 * value counts as unset. The message never quotes the file's contents (a key is a secret).
 */
export function pemFileSchema(kind: PemKind) {
  return z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .transform((file, ctx) => {
        const read = readPemFile(file, kind);
        if ('text' in read) return read.text;
        ctx.addIssue({ code: 'custom', message: read.problem });
        return z.NEVER;
      })
      .optional(),
  );
}

/**
 * Reads a PEM file of `kind`: its text, or the problem (naming the path, never the contents: a key
 * is a secret) when it is missing, unreadable or holds no PEM block of that kind.
 */
export function readPemFile(file: string, kind: PemKind): { text: string } | { problem: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : (code ?? 'unreadable');
    return { problem: `cannot read ${kind} file ${file}: ${why}` };
  }
  if (!PEM_BLOCK[kind].test(text)) {
    return {
      problem: `${file} is not a PEM ${kind} (expected a -----BEGIN ${kind === 'certificate' ? 'CERTIFICATE' : 'PRIVATE KEY'}----- block)`,
    };
  }
  return { text };
}

/** A server's certificate chain and key (PEM text), and the CA its callers' certificates must chain to. */
export interface ServerTls {
  /** Certificate chain, PEM. */
  cert: string;
  /** Private key, PEM. */
  key: string;
  /** When set, callers must present a certificate signed by this CA (mutual TLS). */
  ca?: string;
}

/** How a client reaches a TLS server: the CA it trusts, and its own certificate for mutual TLS. */
export interface ClientTls {
  /** CA bundle the server's certificate must chain to, PEM. */
  ca: string;
  /** Client certificate chain (mutual TLS), PEM; with `key`. */
  cert?: string;
  /** Client private key, PEM; with `cert`. */
  key?: string;
}

/**
 * Adds an issue when only one of a certificate/key pair is set: half a pair can never serve TLS.
 * `names` are the variables as the user spells them.
 */
export function checkCertKeyPair(
  ctx: z.RefinementCtx,
  values: { cert: string | undefined; key: string | undefined },
  names: { cert: string; key: string },
): void {
  if (values.cert !== undefined && values.key === undefined)
    ctx.addIssue({ code: 'custom', path: [names.key], message: `required when ${names.cert} is set` });
  if (values.key !== undefined && values.cert === undefined)
    ctx.addIssue({ code: 'custom', path: [names.cert], message: `required when ${names.key} is set` });
}
