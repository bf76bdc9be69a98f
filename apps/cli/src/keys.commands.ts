import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  ApiKeyStore,
  createRedisConnection,
  parseScopes,
  redactRedisPassword,
  redactRedisUrl,
  redisUrlSchema,
  type ApiKeyInfo,
  type ApiKeyLimits,
} from '@slm/platform';
import { commandGroup, integer } from './cli-options';

/** The Redis the router reads its keys from: `--redis-url`, else REDIS_URL, else the local default. */
export function defaultKeysRedisUrl(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
}

/** The router's key prefix: `--prefix`, else QUEUE_PREFIX, else bull (the router's default). */
export function defaultKeysPrefix(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.QUEUE_PREFIX?.trim() || 'bull';
}

/** Parses `--expires`: an ISO date or date-time in the future. */
export function parseExpiry(value: string, now = Date.now()): Date {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('expected an ISO date or date-time, e.g. 2027-01-31 or 2027-01-31T12:00:00Z');
  if (ms <= now) throw new InvalidArgumentError('the date is in the past');
  return new Date(ms);
}

function scopesOption(value: string): ReturnType<typeof parseScopes> {
  try {
    return parseScopes(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

interface StoreFlags {
  redisUrl: string;
  prefix: string;
}

/** Opens the key store on the router's Redis, runs `use`, and closes the connection. */
async function withStore<T>(flags: StoreFlags, use: (store: ApiKeyStore) => Promise<T>): Promise<T> {
  const parsed = redisUrlSchema.safeParse(flags.redisUrl);
  if (!parsed.success) throw new Error(`--redis-url: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const redis = createRedisConnection(flags.redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 5000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect().catch((error: Error) => {
      throw new Error(`cannot reach Redis at ${redactRedisUrl(flags.redisUrl)}: ${redactRedisPassword(error.message, flags.redisUrl)}`);
    });
    return await use(new ApiKeyStore(redis, flags.prefix));
  } finally {
    redis.disconnect();
  }
}

const storeOptions = (command: Command) =>
  command
    .addOption(
      new Option('--redis-url <url>', "the router's Redis; unset: $REDIS_URL, else redis://127.0.0.1:6379").default(defaultKeysRedisUrl()),
    )
    .addOption(new Option('--prefix <prefix>', "the router's QUEUE_PREFIX; unset: $QUEUE_PREFIX, else bull").default(defaultKeysPrefix()));

function limitsText(limits: ApiKeyLimits): string {
  const parts = [
    limits.rpm !== undefined ? `rpm=${limits.rpm}` : '',
    limits.concurrency !== undefined ? `concurrency=${limits.concurrency}` : '',
    limits.tokensPerMinute !== undefined ? `tpm=${limits.tokensPerMinute}` : '',
    limits.batchProblems !== undefined ? `batch=${limits.batchProblems}` : '',
  ].filter(Boolean);
  return parts.join(',') || 'defaults';
}

function stateOf(key: ApiKeyInfo, now = Date.now()): string {
  if (key.revokedAt) return `revoked ${key.revokedAt}`;
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) return `expired ${key.expiresAt}`;
  return 'active';
}

/**
 * `slm keys create|list|revoke`: the router's API keys, kept (hashed) in its Redis, so every
 * replica sees them within ROUTER_API_KEYS_REFRESH_MS.
 */
export function registerKeysCommands(program: Command): void {
  const keys = commandGroup(program, 'keys', "manage the router's API keys (stored hashed in its Redis)");

  storeOptions(
    keys
      .command('create')
      .description('create an API key and print it (the only time its secret is shown)')
      .requiredOption('--name <name>', 'what the key is for (shown by list)')
      .option('--scopes <list>', 'comma-separated: solve, batch, admin', scopesOption, ['solve', 'batch'])
      .option('--rpm <n>', "requests per minute (default: the router's ROUTER_RATE_LIMIT_RPM)", integer(1))
      .option('--concurrency <n>', "requests in flight at once (default: the router's ROUTER_MAX_CONCURRENT_PER_CLIENT)", integer(1))
      .option('--tokens-per-minute <n>', "generated tokens per minute (default: the router's ROUTER_TOKENS_PER_MINUTE)", integer(1))
      .option(
        '--batch-problems <n>',
        "problems of unfinished batches (default: the router's ROUTER_MAX_BATCH_PROBLEMS_IN_FLIGHT)",
        integer(1),
      )
      .option('--expires <date>', 'refuse the key after this ISO date or date-time', (value: string) => parseExpiry(value))
      .option('--json', 'print {key, id, name, scopes, limits, createdAt, expiresAt} as JSON'),
  ).action(createKey);

  storeOptions(
    keys
      .command('list')
      .description('list the API keys (id, name, scopes, limits, state; never a secret)')
      .option('--json', 'print a JSON array'),
  ).action(listKeys);

  storeOptions(
    keys
      .command('revoke')
      .description('revoke an API key: every router replica refuses it within ROUTER_API_KEYS_REFRESH_MS')
      .argument('<id>', 'the key id (slm keys list)'),
  ).action(revokeKey);
}

/** `slm keys create`: stores a new key and prints its secret (the only time it is shown). */
async function createKey(
  flags: StoreFlags & {
    name: string;
    scopes: ReturnType<typeof parseScopes>;
    rpm?: number;
    concurrency?: number;
    tokensPerMinute?: number;
    batchProblems?: number;
    expires?: Date;
    json?: boolean;
  },
): Promise<void> {
  const limits: ApiKeyLimits = {
    ...(flags.rpm !== undefined ? { rpm: flags.rpm } : {}),
    ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    ...(flags.tokensPerMinute !== undefined ? { tokensPerMinute: flags.tokensPerMinute } : {}),
    ...(flags.batchProblems !== undefined ? { batchProblems: flags.batchProblems } : {}),
  };
  const { key, record } = await withStore(flags, (store) =>
    store.create({ name: flags.name, scopes: flags.scopes, limits, expiresAt: flags.expires }),
  );
  if (flags.json) {
    console.log(JSON.stringify({ key, ...record }));
    return;
  }
  console.log(key);
  console.error(
    `API key ${record.id} "${record.name}" (${record.scopes.join(',')}; ${limitsText(record.limits)}) created. Keep it now: its secret is not stored and cannot be shown again.`,
  );
}

/** `slm keys list`: a table (or JSON) of the keys, never a secret. */
async function listKeys(flags: StoreFlags & { json?: boolean }): Promise<void> {
  const list = await withStore(flags, (store) => store.list());
  if (flags.json) {
    console.log(JSON.stringify(list));
    return;
  }
  if (list.length === 0) {
    console.log('no API keys: the router serves anonymously (loopback, or ROUTER_ALLOW_ANONYMOUS=true)');
    return;
  }
  const rows = [
    ['ID', 'NAME', 'SCOPES', 'LIMITS', 'CREATED', 'EXPIRES', 'STATE'],
    ...list.map((k) => [k.id, k.name, k.scopes.join(','), limitsText(k.limits), k.createdAt, k.expiresAt ?? '-', stateOf(k)]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows)
    console.log(
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    );
}

/** `slm keys revoke`: every router replica refuses the key within ROUTER_API_KEYS_REFRESH_MS. */
async function revokeKey(id: string, flags: StoreFlags): Promise<void> {
  const revoked = await withStore(flags, (store) => store.revoke(id));
  if (!revoked) throw new Error(`no API key ${JSON.stringify(id)} (see slm keys list)`);
  console.log(`revoked ${revoked.id} "${revoked.name}" at ${revoked.revokedAt}`);
}
