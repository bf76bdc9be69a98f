import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from './program';
import { formatEta } from './batch.commands';
import { defaultRouterUrl } from './router-client';
import { captureOutput } from '../test/captured-output';

describe('router commands', () => {
  const { out, err } = captureOutput();

  describe('router URL', () => {
    it('comes from SLM_ROUTER_URL, else ROUTER_HTTP_PORT, else port 8080, as `npm start` does', () => {
      expect(defaultRouterUrl({})).toBe('http://127.0.0.1:8080');
      expect(defaultRouterUrl({ ROUTER_HTTP_PORT: '9191' })).toBe('http://127.0.0.1:9191');
      expect(defaultRouterUrl({ ROUTER_HTTP_PORT: '9191', SLM_ROUTER_URL: 'http://router.internal:80' })).toBe('http://router.internal:80');
    });

    describe('against a router on ROUTER_HTTP_PORT', () => {
      let server: http.Server;
      const requests: string[] = [];
      const saved = { port: process.env.ROUTER_HTTP_PORT, url: process.env.SLM_ROUTER_URL };
      beforeAll(async () => {
        server = http.createServer((req, res) => {
          requests.push(`${req.method} ${req.url}`);
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ status: { batchId: 'b1', state: 'BATCH_STATE_COMPLETED' } }));
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        process.env.ROUTER_HTTP_PORT = String((server.address() as AddressInfo).port);
        delete process.env.SLM_ROUTER_URL;
      });
      afterAll(async () => {
        for (const [name, value] of [
          ['ROUTER_HTTP_PORT', saved.port],
          ['SLM_ROUTER_URL', saved.url],
        ] as const) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
        await new Promise((resolve) => server.close(resolve));
      });

      it('is reached without --url', async () => {
        expect(await runCli(['batch', 'status', 'b1'])).toBe(0);
        expect(err.join('')).toBe('');
        expect(requests).toEqual(['GET /v1/batches/b1']);
        expect(JSON.parse(out.join(''))).toMatchObject({ batchId: 'b1', state: 'BATCH_STATE_COMPLETED' });
      });
    });
  });

  describe('progress ETA', () => {
    it('shows "-" until a rate exists, then the time left', () => {
      expect(formatEta(0, 100, 0)).toBe('-');
      expect(formatEta(0, 100, Number.NaN)).toBe('-');
      expect(formatEta(10, 100, 3)).toBe('30s');
      expect(formatEta(10, 1000, 5)).toBe('3m18s');
      expect(formatEta(0, 100_000, 10)).toBe('2h46m');
      expect(formatEta(100, 100, 0)).toBe('0s');
    });
  });
});
