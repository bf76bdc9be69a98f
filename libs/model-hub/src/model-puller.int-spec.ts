import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FakeHub, fakeOnnxRepoFiles, sha256, type FakeRepo } from '../test/fake-hub';
import { HubClient, type RetryEvent } from './hub-client';
import { HubError, HubErrorCode } from './hub.errors';
import { listLocalModels } from './model-inventory';
import { MANIFEST_FILE, type ModelManifest } from './model-manifest';
import { pullModel, type PullEvent } from './model-puller';

const TOKEN = 'hf_test_token';
const OPEN: FakeRepo = { id: 'onnx-community/MobileLLM-R1-360M-ONNX', commit: 'a'.repeat(40), files: fakeOnnxRepoFiles(1) };
const GATED: FakeRepo = { id: 'facebook/Gated-ONNX', commit: 'b'.repeat(40), files: fakeOnnxRepoFiles(7), gated: true };
const WORKER_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'onnx/model_q4.onnx',
  'onnx/model_q4.onnx_data',
  'onnx/model_q4.onnx_data_1',
];

describe('pullModel against a local Hub', () => {
  let hub: FakeHub;
  let modelsDir: string;

  beforeAll(async () => {
    hub = await FakeHub.start({ repos: [OPEN, GATED], token: TOKEN, pageSize: 4 });
  });
  afterAll(() => hub.close());
  beforeEach(async () => {
    hub.requests.length = 0;
    modelsDir = await mkdtemp(join(tmpdir(), 'slm-models-'));
  });
  afterEach(() => rm(modelsDir, { recursive: true, force: true }));

  const client = (options: { token?: string; onRetry?: (event: RetryEvent) => void } = {}) =>
    new HubClient({ endpoint: hub.endpoint, retryDelayMs: 0, maxAttempts: 3, ...options });

  async function expectSameAsRepo(repo: FakeRepo, folder: string): Promise<void> {
    for (const path of WORKER_FILES) {
      const expected = repo.files.find((file) => file.path === path)?.content;
      const actual = await readFile(join(folder, path));
      expect({ path, sha256: sha256(actual), size: actual.length }).toEqual({
        path,
        sha256: sha256(expected as Buffer),
        size: expected?.length,
      });
    }
  }

  it('mirrors the worker files of a gated repo byte for byte, sending the token to the Hub host only', async () => {
    const result = await pullModel(client({ token: TOKEN }), { model: GATED.id, modelsDir });

    const folder = join(modelsDir, 'facebook', 'Gated-ONNX');
    expect(result.folder).toBe(folder);
    await expectSameAsRepo(GATED, folder);
    // Only what a worker needs: not the other dtype, not the README.
    expect(existsSync(join(folder, 'onnx/model_fp16.onnx'))).toBe(false);
    expect(existsSync(join(folder, 'README.md'))).toBe(false);
    // The listing was paginated and every page was read.
    expect(hub.requestsFor('/tree/').length).toBeGreaterThan(3);
    // The token went to the endpoint on every request and never to the CDN host the 302s point at.
    const cdn = hub.requests.filter((request) => request.host === 'cdn');
    expect(cdn.length).toBe(4); // tokenizer.json, model_q4.onnx and its two data files are LFS
    expect(cdn.filter((request) => request.headers.authorization !== undefined)).toEqual([]);
    const toHub = hub.requests.filter((request) => request.host === 'hub');
    expect(toHub.map((request) => request.headers.authorization)).toEqual(toHub.map(() => `Bearer ${TOKEN}`));
    // Files after the first are fetched at the commit the revision resolved to.
    expect(hub.requestsFor(`/resolve/${GATED.commit}/`).length).toBe(WORKER_FILES.length - 1);
    const manifest = JSON.parse(await readFile(join(folder, MANIFEST_FILE), 'utf8')) as ModelManifest;
    expect(manifest).toMatchObject({ repo: GATED.id, revision: 'main', commit: GATED.commit, dtypes: ['q4'], synthetic: false });
    expect(Object.keys(manifest.files).sort()).toEqual([...WORKER_FILES].sort());
  });

  it('refuses a gated repo without a token (401) and with a token that was not granted access (403)', async () => {
    const withoutToken = pullModel(client(), { model: GATED.id, modelsDir });
    await expect(withoutToken).rejects.toMatchObject({ code: HubErrorCode.HUB_UNAUTHORIZED, status: 401 });
    await expect(withoutToken).rejects.toThrow(/HF_TOKEN.*licence/);
    const wrongToken = pullModel(client({ token: 'hf_other' }), { model: GATED.id, modelsDir });
    await expect(wrongToken).rejects.toMatchObject({ code: HubErrorCode.HUB_FORBIDDEN, status: 403 });
    await expect(wrongToken).rejects.toThrow(/accept its licence/);
  });

  it('says which of repo, revision, dtype is missing', async () => {
    await expect(pullModel(client(), { model: 'nobody/missing', modelsDir })).rejects.toMatchObject({
      code: HubErrorCode.NOT_FOUND,
      message: expect.stringMatching(/repo nobody\/missing.*404/),
    });
    await expect(pullModel(client(), { model: OPEN.id, revision: 'v9', modelsDir })).rejects.toMatchObject({
      code: HubErrorCode.NOT_FOUND,
      message: expect.stringMatching(/revision "v9"/),
    });
    await expect(pullModel(client(), { model: OPEN.id, dtype: 'int8', modelsDir })).rejects.toMatchObject({
      code: HubErrorCode.INVALID_ARGUMENT,
      message: expect.stringMatching(/available: q4, fp16/),
    });
    await expect(pullModel(client(), { model: 'not a repo', modelsDir })).rejects.toMatchObject({ code: HubErrorCode.INVALID_ARGUMENT });
  });

  it('resumes a file whose connection was cut mid-way with a Range request and verifies it', async () => {
    const cutAt = 1_000_000;
    hub.cutNextDownload('onnx/model_q4.onnx_data', cutAt);
    const retries: RetryEvent[] = [];
    const events: PullEvent[] = [];
    await pullModel(client({ onRetry: (event) => retries.push(event) }), {
      model: 'mobilellm-r1-360m',
      modelsDir,
      onEvent: (event) => events.push(event),
    });

    const folder = join(modelsDir, 'onnx-community', 'MobileLLM-R1-360M-ONNX');
    await expectSameAsRepo(OPEN, folder);
    expect(retries).toEqual([expect.objectContaining({ what: 'download onnx/model_q4.onnx_data', attempt: 1, maxAttempts: 3 })]);
    const downloads = hub.requests.filter((request) => request.host === 'cdn' && request.url.includes('model_q4.onnx_data&'));
    expect(downloads.map((request) => request.headers.range)).toEqual([undefined, expect.stringMatching(/^bytes=\d+-$/)]);
    const resumedAt = Number(/\d+/.exec(downloads[1].headers.range ?? '')?.[0]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(cutAt);
    expect(events).toContainEqual({ type: 'file-resume', path: 'onnx/model_q4.onnx_data', offset: resumedAt });
    expect(existsSync(join(folder, 'onnx/model_q4.onnx_data.part'))).toBe(false);
  });

  it('resumes a .part file left by an earlier interrupted pull', async () => {
    const folder = join(modelsDir, 'onnx-community', 'MobileLLM-R1-360M-ONNX');
    const data = OPEN.files.find((file) => file.path === 'onnx/model_q4.onnx_data')?.content as Buffer;
    await mkdir(join(folder, 'onnx'), { recursive: true });
    await writeFile(join(folder, 'onnx/model_q4.onnx_data.part'), data.subarray(0, 123_456));

    await pullModel(client(), { model: OPEN.id, modelsDir });

    await expectSameAsRepo(OPEN, folder);
    expect(hub.requestsFor('model_q4.onnx_data&').map((request) => request.headers.range)).toEqual(['bytes=123456-']);
  });

  it('deletes a file whose checksum does not match instead of keeping it', async () => {
    const folder = join(modelsDir, 'onnx-community', 'MobileLLM-R1-360M-ONNX');
    const part = join(folder, 'onnx/model_q4.onnx_data.part');
    await mkdir(dirname(part), { recursive: true });
    await writeFile(part, Buffer.alloc(5_000, 0x42)); // bytes that are not the file's first 5,000

    const pull = pullModel(client(), { model: OPEN.id, modelsDir });
    await expect(pull).rejects.toMatchObject({ code: HubErrorCode.HUB_INTEGRITY, message: expect.stringMatching(/sha256 .* differs/) });
    expect(existsSync(part)).toBe(false);
    expect(existsSync(join(folder, 'onnx/model_q4.onnx_data'))).toBe(false);
    // Run again: it starts from zero and succeeds.
    await pullModel(client(), { model: OPEN.id, modelsDir });
    await expectSameAsRepo(OPEN, folder);
  });

  it('skips files already pulled and unchanged', async () => {
    await pullModel(client(), { model: OPEN.id, modelsDir });
    hub.requests.length = 0;
    const events: PullEvent[] = [];
    const again = await pullModel(client(), { model: OPEN.id, modelsDir, onEvent: (event) => events.push(event) });
    expect(again.downloadedBytes).toBe(0);
    expect(events.filter((event) => event.type === 'file-skip')).toHaveLength(WORKER_FILES.length);
    expect(hub.requestsFor('/resolve/')).toEqual([]);
    expect(await listLocalModels(modelsDir)).toEqual([
      expect.objectContaining({ id: OPEN.id, dtypes: ['q4'], synthetic: false, revision: OPEN.commit, incomplete: false }),
    ]);
  });

  it('gives up with a network error after the configured attempts', async () => {
    await hub.close();
    try {
      const retries: RetryEvent[] = [];
      const pull = pullModel(client({ onRetry: (event) => retries.push(event) }), { model: OPEN.id, modelsDir });
      await expect(pull).rejects.toBeInstanceOf(HubError);
      await expect(pull).rejects.toMatchObject({
        code: HubErrorCode.HUB_NETWORK,
        message: expect.stringMatching(/failed after 3 attempt\(s\).*ECONNREFUSED/),
      });
      expect(retries.map((event) => event.attempt)).toEqual([1, 2]);
    } finally {
      hub = await FakeHub.start({ repos: [OPEN, GATED], token: TOKEN, pageSize: 4 });
    }
  });
});
