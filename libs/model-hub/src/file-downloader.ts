import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RetryableError, type HubClient } from './hub-client';
import { HubError, HubErrorCode } from './hub.errors';
import type { HubTreeEntry } from './model-files';

/** Progress of one file, reported after every chunk written. */
export interface FileProgress {
  path: string;
  /** Bytes on disk so far (a resumed download starts above 0). */
  bytes: number;
  /** Expected size. */
  total: number;
}

/** One file to fetch. */
export interface FileDownloadRequest {
  repo: string;
  /** Branch, tag or commit. */
  revision: string;
  /** The file as listed by the Hub (gives the size and the checksums). */
  entry: HubTreeEntry;
  /** Where the verified file ends up; `<destination>.part` holds it while it downloads. */
  destination: string;
  /** Told when an attempt starts at a byte offset above 0 (a resume). Default: nothing. */
  onResume?: (path: string, offset: number) => void;
  /** Told after every chunk. Default: nothing. */
  onProgress?: (progress: FileProgress) => void;
}

/** A file on disk whose size and checksum were verified. */
export interface DownloadedFile {
  path: string;
  size: number;
  sha256: string;
  /** The commit the revision resolved to (`X-Repo-Commit`), when the Hub said. */
  commit?: string;
  /** What was checked: "sha256" (LFS oid / ETag) or "git-sha1" (blob id of a small file). */
  verifiedBy: ('sha256' | 'git-sha1')[];
}

const GIT_SHA1 = /^[0-9a-f]{40}$/;

/**
 * Downloads one file into `<destination>.part`, resuming from what is already there with a `Range`
 * request (also across failed attempts), then checks the size against the listing / `X-Linked-Size`
 * and the sha256 against the LFS oid or a sha256 ETag (small files: the git blob sha1), and renames it
 * into place. A file that fails verification is deleted, never kept.
 * @throws HubError HUB_INTEGRITY, HUB_NETWORK (after the client's retries), NOT_FOUND, HUB_UNAUTHORIZED …
 */
export async function downloadFile(client: HubClient, request: FileDownloadRequest): Promise<DownloadedFile> {
  const { entry, destination } = request;
  const part = `${destination}.part`;
  await mkdir(dirname(destination), { recursive: true });
  return client.withRetries(`download ${entry.path}`, () => attemptDownload(client, request, part));
}

async function attemptDownload(client: HubClient, request: FileDownloadRequest, part: string): Promise<DownloadedFile> {
  const { entry } = request;
  const expectedSize = entry.lfs?.size ?? entry.size;
  let offset = await sizeOf(part);
  if (offset > expectedSize) {
    await rm(part, { force: true });
    offset = 0;
  }
  let commit: string | undefined;
  let announcedSha256: string | undefined;
  if (offset < expectedSize || expectedSize === 0) {
    if (offset > 0) request.onResume?.(entry.path, offset);
    const opened = await client.openFile(request.repo, request.revision, entry.path, offset);
    const { response } = opened;
    commit = opened.commit;
    announcedSha256 = opened.announcedSha256;
    if (opened.linkedSize !== undefined && opened.linkedSize !== expectedSize) {
      await response.body?.cancel();
      throw new HubError(
        HubErrorCode.HUB_INTEGRITY,
        `${entry.path}: the listing says ${expectedSize} bytes, the server ${opened.linkedSize}`,
      );
    }
    if (response.status === 416) {
      // The range no longer fits the file: start over.
      await rm(part, { force: true });
      throw new RetryableError(`${entry.path}: the server refused the range from byte ${offset}`);
    }
    offset = await prepareOffset(response, part, offset, entry.path);
    await appendBody(response, part, offset, expectedSize, request);
  }
  return verifyAndPlace(request, part, expectedSize, commit, announcedSha256);
}

/** Works out where this answer's bytes go: after the part file (206 at our offset) or from 0 (200). */
async function prepareOffset(response: Response, part: string, offset: number, path: string): Promise<number> {
  if (response.status === 206) {
    const start = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1];
    if (start !== undefined && Number(start) === offset) return offset;
    await response.body?.cancel();
    await rm(part, { force: true });
    throw new RetryableError(`${path}: the server answered a different range (${response.headers.get('content-range')})`);
  }
  // 200: the server sent the whole file (it ignores Range, or we asked for none).
  if (offset > 0) await rm(part, { force: true });
  return 0;
}

async function appendBody(
  response: Response,
  part: string,
  offset: number,
  expectedSize: number,
  request: FileDownloadRequest,
): Promise<void> {
  const handle = await open(part, offset > 0 ? 'a' : 'w');
  let bytes = offset;
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        await handle.write(chunk);
        bytes += chunk.byteLength;
        request.onProgress?.({ path: request.entry.path, bytes, total: expectedSize });
      }
    }
  } finally {
    await handle.close();
  }
  if (bytes < expectedSize) throw new RetryableError(`${request.entry.path}: the connection ended at byte ${bytes} of ${expectedSize}`);
}

async function verifyAndPlace(
  request: FileDownloadRequest,
  part: string,
  expectedSize: number,
  commit: string | undefined,
  announcedSha256: string | undefined,
): Promise<DownloadedFile> {
  const { entry, destination } = request;
  const size = await sizeOf(part);
  const fail = async (message: string): Promise<never> => {
    await rm(part, { force: true });
    throw new HubError(HubErrorCode.HUB_INTEGRITY, `${entry.path}: ${message}; the partial file was removed, run the command again`);
  };
  if (size !== expectedSize) return fail(`size ${size} differs from the expected ${expectedSize} bytes`);
  const sha256 = createHash('sha256');
  const gitSha1 = createHash('sha1').update(`blob ${size}\0`);
  await hashFile(part, [sha256, gitSha1]);
  const actualSha256 = sha256.digest('hex');
  const verifiedBy: DownloadedFile['verifiedBy'] = [];
  for (const expected of new Set([entry.lfs?.oid, announcedSha256].filter((value): value is string => !!value))) {
    if (expected.toLowerCase() !== actualSha256) return fail(`sha256 ${actualSha256} differs from the expected ${expected}`);
    verifiedBy.push('sha256');
  }
  if (!entry.lfs && GIT_SHA1.test(entry.oid)) {
    const actualSha1 = gitSha1.digest('hex');
    if (actualSha1 !== entry.oid) return fail(`git blob id ${actualSha1} differs from the listed ${entry.oid}`);
    verifiedBy.push('git-sha1');
  }
  await rename(part, destination);
  return { path: entry.path, size, sha256: actualSha256, commit, verifiedBy: [...new Set(verifiedBy)] };
}

async function hashFile(path: string, hashes: Hash[]): Promise<void> {
  for await (const chunk of createReadStream(path)) {
    for (const hash of hashes) hash.update(chunk as Buffer);
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
