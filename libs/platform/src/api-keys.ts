import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RedisConnection } from './redis-connection';

/**
 * What a key may do: `solve` (REST solve/classify, OpenAI chat completions and models, gRPC
 * Solve/SolveStream/Classify), `batch` (batch routes and RPCs), `admin` (/metrics, /readyz details).
 */
export const API_KEY_SCOPES = ['solve', 'batch', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** A key's own limits; an unset one falls back to the router's default for it. */
export interface ApiKeyLimits {
  /** Requests per minute. */
  rpm?: number;
  /** Synchronous requests in flight at once. */
  concurrency?: number;
  /** Generated (completion) tokens per minute. */
  tokensPerMinute?: number;
  /** Problems of unfinished batches. */
  batchProblems?: number;
}

/** A key as Redis keeps it: never the secret, only its salted HMAC. */
export interface ApiKeyRecord {
  /** 16 hex characters: the visible part of the key, and the tenant the key acts for. */
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  limits: ApiKeyLimits;
  /** ISO time of creation. */
  createdAt: string;
  /** ISO time after which the key is refused; absent: never. */
  expiresAt?: string;
  /** ISO time of revocation; absent while the key is live. */
  revokedAt?: string;
  /** base64url random salt of the HMAC. */
  salt: string;
  /** base64url HMAC-SHA256(salt, secret). */
  hash: string;
}

/** A key as `slm keys list` shows it: the record without salt and hash. */
export type ApiKeyInfo = Omit<ApiKeyRecord, 'salt' | 'hash'>;

const KEY_FORMAT = /^slm_([0-9a-f]{16})_([A-Za-z0-9_-]{32})$/;

/**
 * Splits `slm_<id>_<secret>`: the id (16 hex characters) names the record to check, so a lookup
 * needs no scan; the secret (24 random bytes, base64url) is only ever compared through its HMAC.
 * Undefined for anything else.
 */
export function parseApiKey(text: string): { id: string; secret: string } | undefined {
  const match = KEY_FORMAT.exec(text);
  return match ? { id: match[1] as string, secret: match[2] as string } : undefined;
}

/** A new key: its text, shown once, and the id and secret it is made of. */
export function generateApiKey(): { key: string; id: string; secret: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  return { key: `slm_${id}_${secret}`, id, secret };
}

/**
 * HMAC-SHA256 of the secret keyed by the record's salt (base64url). A slow hash (scrypt) would add
 * nothing: the secret is 192 random bits, beyond any guessing, and the per-key salt rules out
 * precomputed tables; the HMAC costs about a microsecond per request where scrypt costs tens of ms.
 */
export function hashApiKeySecret(secret: string, salt: string): string {
  return createHmac('sha256', Buffer.from(salt, 'base64url')).update(secret).digest('base64url');
}

/** True when `secret` is the record's (constant-time comparison). */
export function verifyApiKeySecret(record: Pick<ApiKeyRecord, 'salt' | 'hash'>, secret: string): boolean {
  const expected = Buffer.from(record.hash, 'base64url');
  const actual = Buffer.from(hashApiKeySecret(secret, record.salt), 'base64url');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Parses `solve,batch` into scopes; throws naming the unknown one. */
export function parseScopes(text: string): ApiKeyScope[] {
  const scopes = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const scope of scopes) {
    if (!(API_KEY_SCOPES as readonly string[]).includes(scope))
      throw new Error(`unknown scope "${scope}"; expected ${API_KEY_SCOPES.join(', ')}`);
  }
  if (scopes.length === 0) throw new Error(`at least one scope: ${API_KEY_SCOPES.join(', ')}`);
  return [...new Set(scopes)] as ApiKeyScope[];
}

/** Options of {@link ApiKeyStore.create}. */
export interface CreateApiKeyOptions {
  name: string;
  /** Default: solve and batch. */
  scopes?: ApiKeyScope[];
  limits?: ApiKeyLimits;
  expiresAt?: Date;
}

/**
 * The API keys of a deployment, in one Redis hash (`<prefix>:slm:api-keys`, field = key id, value =
 * the record as JSON), so every router replica and the CLI see the same set. Revoked keys stay (listed
 * as revoked): a store that ever had a key never falls back to anonymous mode by revoking them all.
 */
export class ApiKeyStore {
  readonly hashKey: string;

  constructor(
    private readonly redis: RedisConnection,
    prefix: string,
  ) {
    this.hashKey = `${prefix}:slm:api-keys`;
  }

  /** Creates a key; the returned `key` text is the only copy of its secret. */
  async create(options: CreateApiKeyOptions): Promise<{ key: string; record: ApiKeyInfo }> {
    const { key, id, secret } = generateApiKey();
    const salt = randomBytes(16).toString('base64url');
    const record: ApiKeyRecord = {
      id,
      name: options.name,
      scopes: options.scopes ?? ['solve', 'batch'],
      limits: options.limits ?? {},
      createdAt: new Date().toISOString(),
      ...(options.expiresAt ? { expiresAt: options.expiresAt.toISOString() } : {}),
      salt,
      hash: hashApiKeySecret(secret, salt),
    };
    await this.redis.hset(this.hashKey, id, JSON.stringify(record));
    return { key, record: infoOf(record) };
  }

  /** Every key's record (secrets are not stored). */
  async records(): Promise<ApiKeyRecord[]> {
    const all = await this.redis.hgetall(this.hashKey);
    return Object.values(all)
      .map(parseRecord)
      .filter((record): record is ApiKeyRecord => record !== undefined);
  }

  /** One key's record, or undefined. */
  async record(id: string): Promise<ApiKeyRecord | undefined> {
    const text = await this.redis.hget(this.hashKey, id);
    return text === null ? undefined : parseRecord(text);
  }

  /** Every key as `slm keys list` shows it, oldest first. */
  async list(): Promise<ApiKeyInfo[]> {
    return (await this.records()).map(infoOf).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Marks a key revoked (kept, listed as revoked); undefined for an unknown id. */
  async revoke(id: string): Promise<ApiKeyInfo | undefined> {
    const record = await this.record(id);
    if (!record) return undefined;
    if (!record.revokedAt) {
      record.revokedAt = new Date().toISOString();
      await this.redis.hset(this.hashKey, id, JSON.stringify(record));
    }
    return infoOf(record);
  }
}

function infoOf({ salt: _salt, hash: _hash, ...info }: ApiKeyRecord): ApiKeyInfo {
  return info;
}

function parseRecord(text: string): ApiKeyRecord | undefined {
  try {
    const record = JSON.parse(text) as ApiKeyRecord;
    return typeof record.id === 'string' &&
      typeof record.hash === 'string' &&
      typeof record.salt === 'string' &&
      Array.isArray(record.scopes)
      ? record
      : undefined;
  } catch {
    return undefined;
  }
}
