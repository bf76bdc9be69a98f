import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from './program';
import { captureOutput } from '../test/captured-output';

/** What the stand-in router answers per problem text: a Result (200) or an error (status, code). */
const SCRIPT: Record<string, { result: unknown } | { status: number; code: string }> = {
  'half?': {
    result: {
      extracted: { value: '1/2', kind: 'boxed' },
      syntheticWeights: true,
      verification: {
        method: 'self-consistency',
        samples: 4,
        samplesRequested: 4,
        voteShare: 0.75,
        answers: [
          { value: '1/2', count: 3 },
          { value: '2', count: 1 },
        ],
        noAnswer: 0,
      },
    },
  },
  'apples?': {
    result: {
      extracted: { value: '', kind: '' },
      syntheticWeights: true,
      verification: {
        method: 'self-consistency',
        samples: 2,
        samplesRequested: 4,
        voteShare: 0,
        answers: [],
        noAnswer: 2,
        earlyStopped: true,
      },
    },
  },
  'busy?': { status: 429, code: 'QUEUE_FULL' },
};

// The router is outside this unit: a local server answers POST /v1/solve with scripted Result JSON.
describe('slm eval math against a stand-in router', () => {
  const { out, err } = captureOutput();
  const bodies: unknown[] = [];
  let server: http.Server;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slm-eval-'));
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => (raw += chunk));
      req.on('end', () => {
        const body = JSON.parse(raw) as { text: string };
        bodies.push(body);
        const answer = req.url === '/v1/solve' && req.method === 'POST' ? SCRIPT[body.text] : undefined;
        res.setHeader('content-type', 'application/json');
        if (answer && 'result' in answer) return void res.end(JSON.stringify({ result: answer.result }));
        res.statusCode = answer?.status ?? 404;
        res.end(JSON.stringify({ error: { code: answer?.code ?? 'NOT_FOUND', message: 'scripted' } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => (process.exitCode = undefined));

  it('prints one JSON report: pass@1, majority@k, no answer, vote share, HTTP errors and skipped lines', async () => {
    const file = path.join(dir, 'gsm.jsonl');
    const lines = [
      '{"problem": "half?", "answer": "0.5"}',
      '{"question": "apples?", "answer": "Two apples. #### 2"}',
      'not json',
      '',
      '{"problem": "busy?", "answer": "1"}',
    ];
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    expect(await runCli(['eval', 'math', '--data', file, '--samples', '4', '--url', url, '--max-new-tokens', '64', '--json'])).toBe(0);
    expect(process.exitCode).toBe(3);
    expect(bodies).toContainEqual({ text: 'half?', domain: 'math', options: { samples: 4, maxNewTokens: 64 } });
    const report = JSON.parse(out.join(''));
    expect(report).toMatchObject({
      data: file,
      url,
      samples: 4,
      problems: 3,
      scored: 2,
      passAt1: 0.375,
      majorityAtK: 0.5,
      noAnswer: 1,
      meanVoteShare: 0.375,
      syntheticWeights: true,
      errors: { count: 1, byCode: { 'HTTP 429 QUEUE_FULL': 1 }, problems: [{ line: 5, status: 429, code: 'QUEUE_FULL' }] },
      skippedLines: [{ line: 3, reason: 'not JSON' }],
    });
    expect(err.join('')).toMatch(/synthetic.*accuracy means nothing/);
  });

  it('prints a summary without --json, and fails with exit 1 when no problem could be scored', async () => {
    const file = path.join(dir, 'busy.jsonl');
    fs.writeFileSync(file, '{"problem": "busy?", "answer": "1"}\n');
    // runCli reports a failed command through console.error, which Jest's console does not send to stderr.
    jest.spyOn(console, 'error').mockImplementation((...args) => void err.push(`${args.join(' ')}\n`));
    expect(await runCli(['eval', 'math', '--data', file, '--url', url])).toBe(1);
    expect(out.join('')).toMatch(/errors +1 +\(HTTP 429 QUEUE_FULL ×1\)/);
    expect(err.join('')).toMatch(/no problem could be scored/);
  });

  it('documents what it reads and its exit codes in --help', async () => {
    expect(await runCli(['eval', 'math', '--help'])).toBe(0);
    const help = out.join('');
    expect(help).toContain('"problem"');
    expect(help).toContain('####');
    expect(help).toMatch(/\n +3 +the report is printed, but some problems were not scored/);
  });
});
