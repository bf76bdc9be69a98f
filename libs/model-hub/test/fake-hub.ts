import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A file of a fake repo. LFS files are served by the "CDN" host through a 302, the others directly. */
export interface FakeFile {
  path: string;
  content: Buffer;
  lfs: boolean;
}

export interface FakeRepo {
  id: string;
  commit: string;
  files: FakeFile[];
  /** Needs `authorization: Bearer <token>` with the hub's token. */
  gated?: boolean;
  licence?: string;
}

/** A request one of the two servers received. */
export interface SeenRequest {
  host: 'hub' | 'cdn';
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const gitBlobSha1 = (data: Buffer) => createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');

/** Deterministic pseudo-random bytes (xorshift), so a failing test is reproducible. */
export function fakeBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The files of an onnx-community style repo: configs, tokenizer, two dtypes, external data in two chunks. */
export function fakeOnnxRepoFiles(seed = 1): FakeFile[] {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value, null, 2));
  return [
    { path: '.gitattributes', content: Buffer.from('*.onnx* filter=lfs\n'), lfs: false },
    { path: 'README.md', content: Buffer.from('# fake\n'), lfs: false },
    { path: 'config.json', content: json({ model_type: 'llama4_text', num_hidden_layers: 2 }), lfs: false },
    { path: 'generation_config.json', content: json({ temperature: 0.6, top_p: 0.95 }), lfs: false },
    { path: 'tokenizer.json', content: fakeBytes(40_000, seed + 1), lfs: true },
    { path: 'tokenizer_config.json', content: json({ tokenizer_class: 'PreTrainedTokenizerFast' }), lfs: false },
    { path: 'special_tokens_map.json', content: json({ bos_token: '<|begin_of_text|>' }), lfs: false },
    { path: 'chat_template.jinja', content: Buffer.from('{{ messages[0].content }}'), lfs: false },
    { path: 'onnx/model_q4.onnx', content: fakeBytes(150_000, seed + 2), lfs: true },
    { path: 'onnx/model_q4.onnx_data', content: fakeBytes(2_500_000, seed + 3), lfs: true },
    { path: 'onnx/model_q4.onnx_data_1', content: fakeBytes(900_000, seed + 4), lfs: true },
    { path: 'onnx/model_fp16.onnx', content: fakeBytes(300_000, seed + 5), lfs: true },
  ];
}

/**
 * Two HTTP servers on 127.0.0.1 that behave like the Hugging Face Hub and its CDN: the paginated tree
 * API, the model info API, `/resolve/` URLs (small files directly with a git-sha1 ETag, LFS files as a
 * 302 to the CDN host on another port with X-Linked-Size / X-Linked-Etag), X-Repo-Commit, 401/403 for
 * gated repos, 404 with X-Error-Code, Range requests, and connections cut on demand.
 */
export class FakeHub {
  readonly requests: SeenRequest[] = [];
  private readonly cuts = new Map<string, number>();
  private endpointUrl = '';
  private cdnUrl = '';

  private constructor(
    private readonly repos: FakeRepo[],
    private readonly token: string,
    private readonly pageSize: number,
    private readonly hub: Server,
    private readonly cdn: Server,
  ) {}

  static async start(options: { repos: FakeRepo[]; token?: string; pageSize?: number }): Promise<FakeHub> {
    const hub = createServer();
    const cdn = createServer();
    const self = new FakeHub(options.repos, options.token ?? 'hf_good_token', options.pageSize ?? 5, hub, cdn);
    hub.on('request', (req: IncomingMessage, res: ServerResponse) => self.onHub(req, res));
    cdn.on('request', (req: IncomingMessage, res: ServerResponse) => self.onCdn(req, res));
    hub.listen(0, '127.0.0.1');
    cdn.listen(0, '127.0.0.1');
    await Promise.all([once(hub, 'listening'), once(cdn, 'listening')]);
    self.endpointUrl = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
    self.cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
    return self;
  }

  get endpoint(): string {
    return this.endpointUrl;
  }

  get cdnOrigin(): string {
    return this.cdnUrl;
  }

  /** The next download of this file (from either host) sends `afterBytes` bytes, then drops the connection. */
  cutNextDownload(path: string, afterBytes: number): void {
    this.cuts.set(path, afterBytes);
  }

  /** Requests whose URL contains `fragment`. */
  requestsFor(fragment: string): SeenRequest[] {
    return this.requests.filter((request) => decodeURIComponent(request.url).includes(fragment));
  }

  async close(): Promise<void> {
    for (const server of [this.hub, this.cdn]) {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    }
  }

  private onHub(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push({ host: 'hub', method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', this.endpointUrl);
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/.exec(url.pathname);
    if (tree) return this.onTree(req, res, tree[1], decodeURIComponent(tree[2]), url);
    const info = /^\/api\/models\/([^/]+\/[^/]+)$/.exec(url.pathname);
    if (info) return this.onInfo(req, res, info[1]);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (resolve) return this.onResolve(req, res, resolve[1], decodeURIComponent(resolve[2]), decodeURIComponent(resolve[3]));
    this.fail(res, 404, 'RepoNotFound');
  }

  /** Finds the repo and checks access the way the Hub does; answers the error itself and returns undefined. */
  private access(req: IncomingMessage, res: ServerResponse, id: string, revision?: string): FakeRepo | undefined {
    const repo = this.repos.find((candidate) => candidate.id === id);
    if (!repo) return void this.fail(res, 404, 'RepoNotFound', 'Repository not found');
    const auth = req.headers.authorization;
    if (repo.gated && !auth) return void this.fail(res, 401, 'GatedRepo', 'Access to this model is restricted');
    if (repo.gated && auth !== `Bearer ${this.token}`) return void this.fail(res, 403, 'GatedRepo', 'Not in the authorized list');
    if (revision !== undefined && revision !== 'main' && revision !== repo.commit)
      return void this.fail(res, 404, 'RevisionNotFound', 'Invalid rev id');
    return repo;
  }

  private onInfo(req: IncomingMessage, res: ServerResponse, id: string): void {
    const repo = this.access(req, res, id);
    if (!repo) return;
    this.json(res, {
      id: repo.id,
      gated: repo.gated ? 'manual' : false,
      cardData: { license: repo.licence ?? 'apache-2.0' },
      sha: repo.commit,
    });
  }

  private onTree(req: IncomingMessage, res: ServerResponse, id: string, revision: string, url: URL): void {
    const repo = this.access(req, res, id, revision);
    if (!repo) return;
    const directories = [...new Set(repo.files.filter((file) => file.path.includes('/')).map((file) => file.path.split('/')[0]))];
    const entries = [
      ...directories.map((path) => ({ type: 'directory', oid: gitBlobSha1(Buffer.from(path)), size: 0, path })),
      ...repo.files.map((file) =>
        file.lfs
          ? {
              type: 'file',
              oid: gitBlobSha1(Buffer.from(`pointer ${file.path}`)),
              size: file.content.length,
              path: file.path,
              lfs: { oid: sha256(file.content), size: file.content.length, pointerSize: 134 },
            }
          : { type: 'file', oid: gitBlobSha1(file.content), size: file.content.length, path: file.path },
      ),
    ];
    const cursor = Number(url.searchParams.get('cursor') ?? 0);
    const page = entries.slice(cursor, cursor + this.pageSize);
    if (cursor + this.pageSize < entries.length) {
      const next = new URL(url);
      next.searchParams.set('cursor', String(cursor + this.pageSize));
      res.setHeader('link', `<${next.toString()}>; rel="next"`);
    }
    this.json(res, page);
  }

  private onResolve(req: IncomingMessage, res: ServerResponse, id: string, revision: string, path: string): void {
    const repo = this.access(req, res, id, revision);
    if (!repo) return;
    const file = repo.files.find((candidate) => candidate.path === path);
    if (!file) return this.fail(res, 404, 'EntryNotFound', `${path} does not exist`);
    res.setHeader('x-repo-commit', repo.commit);
    if (!file.lfs) {
      res.setHeader('etag', `"${gitBlobSha1(file.content)}"`);
      return this.serve(req, res, file);
    }
    res.writeHead(302, {
      location: `${this.cdnUrl}/repos/${sha256(file.content)}?path=${encodeURIComponent(file.path)}&repo=${encodeURIComponent(id)}`,
      'x-linked-size': String(file.content.length),
      'x-linked-etag': `"${sha256(file.content)}"`,
      etag: `"${gitBlobSha1(Buffer.from(`pointer ${file.path}`))}"`,
    });
    res.end();
  }

  private onCdn(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push({ host: 'cdn', method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', this.cdnUrl);
    const repo = this.repos.find((candidate) => candidate.id === url.searchParams.get('repo'));
    const file = repo?.files.find((candidate) => candidate.path === url.searchParams.get('path'));
    if (!file || url.pathname !== `/repos/${sha256(file.content)}`) return this.fail(res, 404, 'EntryNotFound');
    this.serve(req, res, file);
  }

  /** Serves a file, honouring `Range: bytes=N-` and any armed cut. */
  private serve(req: IncomingMessage, res: ServerResponse, file: FakeFile): void {
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start >= file.content.length && file.content.length > 0) {
      res.writeHead(416, { 'content-range': `bytes */${file.content.length}` });
      return void res.end();
    }
    const body = file.content.subarray(start);
    const headers: Record<string, string> = {
      'content-length': String(body.length),
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
    };
    if (range) headers['content-range'] = `bytes ${start}-${file.content.length - 1}/${file.content.length}`;
    res.writeHead(range ? 206 : 200, headers);
    const cut = this.cuts.get(file.path);
    if (cut === undefined) return void res.end(body);
    this.cuts.delete(file.path);
    res.write(body.subarray(0, cut), () => res.socket?.destroy());
  }

  private fail(res: ServerResponse, status: number, code: string, message = code): void {
    res.writeHead(status, { 'x-error-code': code, 'x-error-message': message, 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: message }));
  }

  private json(res: ServerResponse, value: unknown): void {
    const body = Buffer.from(JSON.stringify(value));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
    res.end(body);
  }
}

export { gitBlobSha1, sha256 };
