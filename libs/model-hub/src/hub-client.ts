import { setTimeout as sleep } from 'node:timers/promises';
import { HubError, HubErrorCode } from './hub.errors';
import type { HubTreeEntry } from './model-files';

/** Where and how to reach the Hub. */
export interface HubClientOptions {
  /** Base URL of the Hub (`HF_ENDPOINT`). Default `https://huggingface.co`. */
  endpoint?: string;
  /** Access token (`HF_TOKEN`), sent as `authorization: Bearer` to the endpoint's host only. Default: none. */
  token?: string;
  /** Attempts per request (and per file) on network failures, 5xx and 429 before giving up. Default 5. */
  maxAttempts?: number;
  /** Wait before the first retry, doubled after each failed attempt. Default 500 ms. */
  retryDelayMs?: number;
  /** Redirects followed per request. Default 10. */
  maxRedirects?: number;
  /** Told about each retry, e.g. to print it. Default: nothing. */
  onRetry?: (event: RetryEvent) => void;
}

/** One failed attempt that will be retried. */
export interface RetryEvent {
  what: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  maxAttempts: number;
  error: Error;
}

/** A file's answer, after redirects: the final response plus what the endpoint said on the way. */
export interface OpenedFile {
  response: Response;
  /** `X-Repo-Commit`: the commit the revision resolved to. */
  commit?: string;
  /** `X-Linked-Size` (LFS files), else undefined. */
  linkedSize?: number;
  /** sha256 announced by `X-Linked-Etag` or `ETag` when it is one. */
  announcedSha256?: string;
}

/** A model's card metadata, as far as the download needs it. */
export interface HubModelInfo {
  /** Card licence id (e.g. "apache-2.0", "other"). */
  licence?: string;
  /** Card licence name when the id is "other". */
  licenceName?: string;
  /** false, or how access is granted ("auto", "manual"). */
  gated?: boolean | string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const SHA256 = /^[0-9a-f]{64}$/;

/** Thrown inside an attempt to ask for another one; never leaves {@link HubClient.withRetries}. */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
}

/**
 * A small client for the parts of the Hugging Face Hub HTTP API a download needs: the recursive tree
 * listing (paginated), the model card, and file URLs (`/{repo}/resolve/{revision}/{path}`).
 * Redirects are followed by hand so the token never leaves the endpoint's host (large files answer
 * 302 to a CDN on another host).
 */
export class HubClient {
  readonly endpoint: string;
  private readonly endpointOrigin: string;
  private readonly token?: string;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly maxRedirects: number;
  private readonly onRetry: (event: RetryEvent) => void;

  constructor(options: HubClientOptions = {}) {
    this.endpoint = (options.endpoint ?? 'https://huggingface.co').replace(/\/+$/, '');
    try {
      this.endpointOrigin = new URL(this.endpoint).origin;
    } catch {
      throw new HubError(HubErrorCode.INVALID_ARGUMENT, `the Hub endpoint "${options.endpoint}" is not a URL (HF_ENDPOINT)`);
    }
    this.token = options.token || undefined;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.retryDelayMs = Math.max(0, options.retryDelayMs ?? 500);
    this.maxRedirects = options.maxRedirects ?? 10;
    this.onRetry = options.onRetry ?? (() => undefined);
  }

  /** The page of a repo on the Hub, for messages. */
  repoUrl(repo: string): string {
    return `${this.endpoint}/${repo}`;
  }

  /** `{endpoint}/{repo}/resolve/{revision}/{path}`. */
  fileUrl(repo: string, revision: string, path: string): string {
    return `${this.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  /**
   * Every file and folder of a repo at a revision, following the `Link: <…>; rel="next"` pages.
   * @throws HubError NOT_FOUND, HUB_UNAUTHORIZED, HUB_FORBIDDEN, HUB_NETWORK, HUB_BAD_RESPONSE
   */
  async listFiles(repo: string, revision: string): Promise<HubTreeEntry[]> {
    const entries: HubTreeEntry[] = [];
    let url: string | undefined = `${this.endpoint}/api/models/${repo}/tree/${encodeURIComponent(revision)}?recursive=true`;
    for (let page = 1; url; page++) {
      const pageUrl: string = url;
      const { body, next } = await this.withRetries(`list ${repo}@${revision} (page ${page})`, async () => {
        const response = await this.fetchFollowingRedirects(pageUrl, {});
        this.throwUnlessOk(response, { repo, revision });
        const text = await response.text();
        return { body: parseJson(text, `the listing of ${repo}`), next: nextLink(response.headers.get('link'), pageUrl) };
      });
      if (!Array.isArray(body)) throw new HubError(HubErrorCode.HUB_BAD_RESPONSE, `the listing of ${repo} is not a JSON array`);
      entries.push(...body.map((item) => toTreeEntry(item, repo)));
      url = next;
    }
    return entries;
  }

  /** The card metadata of a repo, or undefined when the Hub does not give it (best effort, never throws). */
  async modelInfo(repo: string): Promise<HubModelInfo | undefined> {
    try {
      const response = await this.fetchFollowingRedirects(`${this.endpoint}/api/models/${repo}`, {});
      if (!response.ok) {
        await response.body?.cancel();
        return undefined;
      }
      const info = parseJson(await response.text(), repo) as {
        cardData?: { license?: unknown; license_name?: unknown };
        gated?: unknown;
        tags?: unknown;
      };
      const tagLicence = Array.isArray(info.tags)
        ? info.tags.find((tag): tag is string => typeof tag === 'string' && tag.startsWith('license:'))?.slice(8)
        : undefined;
      const licence = typeof info.cardData?.license === 'string' ? info.cardData.license : tagLicence;
      return {
        licence,
        licenceName: typeof info.cardData?.license_name === 'string' ? info.cardData.license_name : undefined,
        gated: typeof info.gated === 'boolean' || typeof info.gated === 'string' ? info.gated : undefined,
      };
    } catch {
      return undefined;
    }
  }

  /**
   * Requests one file, from byte `rangeStart` on when given. Returns the final response (200 or 206)
   * unread; error statuses become HubErrors, 5xx/429 a RetryableError.
   */
  async openFile(repo: string, revision: string, path: string, rangeStart?: number): Promise<OpenedFile> {
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (rangeStart !== undefined && rangeStart > 0) headers.range = `bytes=${rangeStart}-`;
    const seen: Headers[] = [];
    const response = await this.fetchFollowingRedirects(this.fileUrl(repo, revision, path), headers, seen);
    if (response.status === 416) {
      await response.body?.cancel();
      return { response };
    }
    this.throwUnlessOk(response, { repo, revision, path });
    const all = [...seen, response.headers];
    const first = (name: string) => all.map((h) => h.get(name)).find((value) => value !== null && value !== '') ?? undefined;
    const linkedSize = first('x-linked-size');
    const etag = [first('x-linked-etag'), seen[0]?.get('etag') ?? response.headers.get('etag')]
      .map((value) => value?.replace(/^W\//, '').replace(/"/g, '').toLowerCase())
      .find((value) => value !== undefined && SHA256.test(value));
    return {
      response,
      commit: first('x-repo-commit'),
      linkedSize: linkedSize === undefined ? undefined : Number(linkedSize),
      announcedSha256: etag,
    };
  }

  /**
   * Runs `attempt` until it succeeds, retrying network failures, 5xx/429 and RetryableErrors with
   * exponential backoff. HubErrors (401, 404, checksum …) and local file-system errors are not retried.
   * @throws HubError HUB_NETWORK once every attempt failed
   */
  async withRetries<T>(what: string, attempt: (attemptNumber: number) => Promise<T>): Promise<T> {
    for (let number = 1; ; number++) {
      try {
        return await attempt(number);
      } catch (error) {
        if (!isRetryable(error)) throw error;
        const cause = describeNetworkError(error);
        if (number >= this.maxAttempts) {
          throw new HubError(
            HubErrorCode.HUB_NETWORK,
            `${what}: failed after ${number} attempt(s): ${cause} (check the network or HF_ENDPOINT=${this.endpoint})`,
            undefined,
            { cause: error },
          );
        }
        this.onRetry({ what, attempt: number, maxAttempts: this.maxAttempts, error: new Error(cause) });
        await sleep(this.retryDelayMs * 2 ** (number - 1));
      }
    }
  }

  private async fetchFollowingRedirects(url: string, headers: Record<string, string>, seen: Headers[] = []): Promise<Response> {
    let current = new URL(url);
    for (let hop = 0; ; hop++) {
      const withAuth =
        this.token && current.origin === this.endpointOrigin ? { ...headers, authorization: `Bearer ${this.token}` } : headers;
      const response = await fetch(current, { headers: withAuth, redirect: 'manual' });
      const location = response.headers.get('location');
      if (!REDIRECTS.has(response.status) || !location) return response;
      await response.body?.cancel();
      if (hop >= this.maxRedirects) throw new HubError(HubErrorCode.HUB_BAD_RESPONSE, `too many redirects from ${url}`);
      seen.push(response.headers);
      current = new URL(location, current);
    }
  }

  private throwUnlessOk(response: Response, about: { repo: string; revision: string; path?: string }): void {
    if (response.ok) return;
    const status = response.status;
    void response.body?.cancel().catch(() => undefined);
    const hubCode = response.headers.get('x-error-code');
    const hubMessage = response.headers.get('x-error-message');
    const page = this.repoUrl(about.repo);
    const suffix = hubMessage ? ` (Hub: ${hubMessage})` : '';
    if (status === 401) {
      throw new HubError(
        HubErrorCode.HUB_UNAUTHORIZED,
        this.token
          ? `the Hub rejected HF_TOKEN for ${about.repo} (401): check that the token is valid and has read access${suffix}`
          : `${about.repo} needs authentication (401): it is gated or private, or does not exist. Set HF_TOKEN to a token of an account that accepted the model's licence at ${page}${suffix}`,
        status,
      );
    }
    if (status === 403) {
      throw new HubError(
        HubErrorCode.HUB_FORBIDDEN,
        `access to ${about.repo} is denied (403): it is gated; accept its licence at ${page} with the account whose token is in HF_TOKEN${suffix}`,
        status,
      );
    }
    if (status === 404) {
      const what =
        hubCode === 'RevisionNotFound'
          ? `revision "${about.revision}" of ${about.repo}`
          : hubCode === 'RepoNotFound' || !about.path
            ? `repo ${about.repo} (or its revision "${about.revision}")`
            : `file ${about.path} in ${about.repo}@${about.revision}`;
      throw new HubError(HubErrorCode.NOT_FOUND, `${what} not found on ${this.endpoint} (404)${suffix}`, status);
    }
    if (status === 429 || status >= 500) throw new RetryableError(`the Hub answered ${status}`);
    throw new HubError(
      HubErrorCode.HUB_BAD_RESPONSE,
      `unexpected answer ${status} from the Hub for ${about.path ?? about.repo}${suffix}`,
      status,
    );
  }
}

function isRetryable(error: unknown): boolean {
  if (error instanceof RetryableError) return true;
  if (error instanceof HubError) return false;
  // fetch reports network failures as TypeError ("fetch failed", "terminated"). Compared by name: under
  // Jest, Node's own errors come from another realm and fail `instanceof TypeError`.
  if ((error as Error | null)?.name === 'TypeError') return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|UND_ERR_\w+)$/.test(code);
}

function describeNetworkError(error: unknown): string {
  const parts: string[] = [];
  for (
    let current = error as { message?: unknown; code?: unknown; cause?: unknown } | null;
    current && typeof current.message === 'string' && parts.length < 3;
    current = current.cause as typeof current
  ) {
    parts.push(typeof current.code === 'string' ? `${current.message} [${current.code}]` : current.message);
  }
  return parts.join(': ') || String(error);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HubError(HubErrorCode.HUB_BAD_RESPONSE, `${what}: the Hub answered something that is not JSON`);
  }
}

/** The `rel="next"` URL of a `Link` header, resolved against the current page. */
function nextLink(header: string | null, base: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return new URL(match[1], base).toString();
  }
  return undefined;
}

function toTreeEntry(item: unknown, repo: string): HubTreeEntry {
  const raw = item as Partial<HubTreeEntry> | null;
  if (!raw || (raw.type !== 'file' && raw.type !== 'directory') || typeof raw.path !== 'string') {
    throw new HubError(HubErrorCode.HUB_BAD_RESPONSE, `the listing of ${repo} has an entry without type/path`);
  }
  const lfs =
    raw.lfs && typeof raw.lfs.oid === 'string' && typeof raw.lfs.size === 'number' ? { oid: raw.lfs.oid, size: raw.lfs.size } : undefined;
  return {
    type: raw.type,
    path: raw.path,
    oid: typeof raw.oid === 'string' ? raw.oid : '',
    size: lfs?.size ?? (typeof raw.size === 'number' ? raw.size : 0),
    lfs,
  };
}
