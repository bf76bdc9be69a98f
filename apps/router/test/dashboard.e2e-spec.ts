import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ApiKeyStore } from '@slm/platform';
import { QueueWorkers } from './queue-workers';
import { postJson, startHarness, untilReady, type Harness } from './router-harness';

/** Debian's chromium (CI installs it, see .ci/run); never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium';
/** Where the screenshot of the last run is left (a test artifact). */
export const SCREENSHOT = path.join(os.tmpdir(), 'slm-router-dashboard.png');

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`dashboard.e2e-spec: skipped, ${CHROMIUM} is missing (apt-get install chromium)`);
const describeWithBrowser = haveChromium ? describe : describe.skip;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithBrowser('the /dashboard page in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    // Root in a container has no user namespace for Chromium's sandbox.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 20_000 });
  });
  afterAll(() => browser?.close());

  describe('open router (no API key)', () => {
    let h: Harness;
    let queueWorkers: QueueWorkers;
    beforeAll(async () => {
      // Health rounds of 1 s (each check may take that long): a busy 2-core machine does not flap the replicas.
      h = await startHarness({ ROUTER_HEALTH_INTERVAL_MS: '1000' });
      // What real workers report: capacity (the load bars) and decode speed (tokens/s).
      for (const [i, worker] of Object.values(h.workers).entries()) {
        worker.behaviour = {
          capacity: { maxConcurrency: 4, maxQueue: 12 },
          timing: { timeToFirstTokenMs: 40, totalMs: 90, decodeTokensPerSecond: 120 + 35 * i },
        };
      }
      await untilReady(h);
      // Slow consumers: the batch is seen running before it completes.
      queueWorkers = new QueueWorkers(process.env.REDIS_URL as string, h.prefix, 2, { jobMs: 60 });
    });
    afterAll(async () => {
      await queueWorkers.close();
      await h.close();
    });

    it('loads without a console error, shows the three workers, and a batch submitted meanwhile reaching 100%', async () => {
      const page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
      const problems: string[] = [];
      page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));

      // Traffic while the page watches: every domain, a low-confidence route, a stream.
      let traffic = true;
      const texts = ['integral of x', 'python function', 'atom energy', 'unsure integral', 'integral of x^2', 'python bug'];
      const background = (async () => {
        for (let i = 0; traffic; i++) {
          await postJson(`${h.base}/v1/solve`, { text: texts[i % texts.length], stream: i % 4 === 0 });
          await sleep(40);
        }
      })();

      try {
        const response = await page.goto(`${h.base}/dashboard`, { timeout: 10_000 });
        expect(response?.status()).toBe(200);
        await page.waitForSelector('tr[data-replica]', { timeout: 10_000 });
        await waitForReplicas(page, 3);
        const replicas = await page.$$eval('tr[data-replica]', (rows) =>
          rows.map((r) => ({
            address: r.getAttribute('data-replica'),
            domain: r.getAttribute('data-domain'),
            state: r.getAttribute('data-state'),
          })),
        );
        expect(replicas.sort((a, b) => String(a.domain).localeCompare(String(b.domain)))).toEqual([
          { address: h.workers.code.address, domain: 'code', state: 'serving' },
          { address: h.workers.math.address, domain: 'math', state: 'serving' },
          { address: h.workers.science.address, domain: 'science', state: 'serving' },
        ]);

        const batch = await postJson(`${h.base}/v1/batches`, {
          problems: Array.from({ length: 36 }, (_, i) => ({ text: `${texts[i % 3]} #${i}` })),
        });
        expect(batch.status).toBe(202);
        const row = `tr[data-batch-id="${batch.json.batchId}"]`;
        await page.waitForSelector(row, { timeout: 10_000 });
        await page.waitForSelector(`${row}[data-state="completed"]`, { timeout: 20_000 });
        expect(await page.$eval(row, (r) => r.getAttribute('data-progress'))).toBe('1');
        expect(await page.$eval(`${row} .bar em`, (e) => e.textContent)).toMatch(/^100%\s+\(36 \/ 36\)$/);
        // The artifact: a few seconds of traffic in the charts, and a second batch on its way.
        const second = await postJson(`${h.base}/v1/batches`, {
          problems: Array.from({ length: 900 }, (_, i) => ({ text: `${texts[i % 3]} again #${i}` })),
        });
        await page.waitForSelector(`tr[data-batch-id="${second.json.batchId}"][data-state="running"]`, { timeout: 10_000 });
        await sleep(2500);
      } finally {
        traffic = false;
        await background;
      }
      expect(await page.$$eval('#latency tr', (rows) => rows.length)).toBeGreaterThan(1);
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      console.log(`dashboard screenshot: ${SCREENSHOT}`);
      expect(problems).toEqual([]);
      await page.close();
    }, 60_000);
  });

  describe('router with API keys', () => {
    const prefix = `dash${randomUUID().slice(0, 8)}`;
    let redis: Redis;
    let h: Harness;
    let admin: string;
    let solveOnly: string;
    beforeAll(async () => {
      redis = new Redis(process.env.REDIS_URL as string);
      const store = new ApiKeyStore(redis, prefix);
      admin = (await store.create({ name: 'ops', scopes: ['admin'] })).key;
      solveOnly = (await store.create({ name: 'app', scopes: ['solve'] })).key;
      h = await startHarness({ QUEUE_PREFIX: prefix });
      await untilReady(h);
    });
    afterAll(async () => {
      await h.close();
      redis.disconnect();
    });

    it('serves the page openly, its data only to an admin key, and the page asks for one', async () => {
      expect((await fetch(`${h.base}/dashboard`)).status).toBe(200);
      const state = (authorization?: string) =>
        fetch(`${h.base}/v1/dashboard/state`, { headers: authorization ? { authorization: `Bearer ${authorization}` } : {} });
      expect((await state()).status).toBe(401);
      expect((await state(solveOnly)).status).toBe(403);
      expect((await state(admin)).status).toBe(200);

      const page = await browser.newPage();
      await page.goto(`${h.base}/dashboard`, { timeout: 10_000 });
      await page.waitForSelector('#key-form', { state: 'visible', timeout: 10_000 });
      await page.fill('#key', solveOnly);
      await page.click('#key-form button');
      await page.waitForSelector('#key-error:text-is("that key lacks the admin scope")', { timeout: 10_000 });
      await page.fill('#key', admin);
      await page.click('#key-form button');
      await waitForReplicas(page, 3);
      expect(await page.isVisible('#key-form')).toBe(false);
      await page.close();
    }, 60_000);
  });
});

async function waitForReplicas(page: Page, count: number): Promise<void> {
  // A locator, not a predicate string: evaluating a string in the page is eval, which the
  // dashboard's Content-Security-Policy (no 'unsafe-eval') rightly refuses.
  const serving = page.locator('tr[data-replica][data-state="serving"]');
  await serving.nth(count - 1).waitFor({ timeout: 10_000 });
  expect(await serving.count()).toBe(count);
}
