import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { transformFileSync } from '@swc/core';
import { synthesizeModel } from '../synth/synthesize-model';

/**
 * The engine as it runs from dist/: plain CommonJS files, where the worker thread is the compiled
 * `inference-engine.worker.js` sibling (no TypeScript hook). The sources are compiled to a temporary folder.
 */
describe('InferenceEngine compiled to JavaScript', () => {
  let root: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'slm-compiled-'));
    const srcRoot = path.resolve(__dirname, '..');
    const outRoot = path.join(root, 'lib');
    for (const entry of readdirSync(srcRoot, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts') || /\.(spec|int-spec|e2e-spec)\.ts$/.test(entry.name)) continue;
      const file = path.join(entry.parentPath, entry.name);
      const { code } = transformFileSync(file, {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      });
      const out = path.join(outRoot, path.relative(srcRoot, file)).replace(/\.ts$/, '.js');
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, code);
    }
    await synthesizeModel({ preset: 'tiny', dtype: 'fp32', outDir: path.join(root, 'model') });
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('loads and generates with the compiled worker script', async () => {
    expect(readFileSync(path.join(root, 'lib', 'engine', 'inference-engine.worker.js'), 'utf8')).toContain('DecoderSession');
    const script = `
      const { InferenceEngine } = require(${JSON.stringify(path.join(root, 'lib', 'index.js'))});
      (async () => {
        const engine = await InferenceEngine.load({ modelDir: ${JSON.stringify(path.join(root, 'model'))} });
        const result = await engine.generate({ messages: [{ role: 'user', content: 'hello there' }], options: { maxNewTokens: 5, temperature: 0 } }).result;
        await engine.close();
        console.log(JSON.stringify(result));
      })().catch((error) => { console.error(error); process.exit(1); });
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
      env: { ...process.env, NODE_PATH: path.resolve(__dirname, '../../../../node_modules') },
    });
    const result = JSON.parse(stdout);
    expect(result.completionTokens).toBe(5);
    expect(result.finishReason).toBe('length');
  });
});
