import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InferenceEngine } from '../engine/inference.engine';
import { synthesizeModel } from '../synth/synthesize-model';

describe('loading a model folder', () => {
  let root: string;
  let good: string;
  let counter = 0;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'slm-load-'));
    good = path.join(root, 'good');
    await synthesizeModel({ preset: 'tiny', dtype: 'fp32', outDir: good });
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** A fresh copy of the good folder, changed by `edit`. */
  const variant = (edit: (dir: string) => void): string => {
    const dir = path.join(root, `variant-${counter++}`);
    cpSync(good, dir, { recursive: true });
    edit(dir);
    return dir;
  };
  const editJson = (file: string, change: (json: Record<string, unknown>) => void): void => {
    const json = JSON.parse(readFileSync(file, 'utf8'));
    change(json);
    writeFileSync(file, JSON.stringify(json));
  };
  const expectLoadError = async (modelDir: string, message: RegExp, code = 'MODEL_LOAD_FAILED', dtype?: string) => {
    await expect(InferenceEngine.load({ modelDir, dtype })).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
  };

  it('names a missing folder', () => expectLoadError(path.join(root, 'nope'), /nope does not exist/));
  it('names a missing config.json', () =>
    expectLoadError(
      variant((d) => unlinkSync(path.join(d, 'config.json'))),
      /config\.json is missing/,
    ));
  it('names a corrupt config.json', () =>
    expectLoadError(
      variant((d) => writeFileSync(path.join(d, 'config.json'), '{ not json')),
      /config\.json is not valid JSON/,
    ));
  it('names a missing tokenizer.json', () =>
    expectLoadError(
      variant((d) => unlinkSync(path.join(d, 'tokenizer.json'))),
      /tokenizer\.json is missing/,
    ));
  it('names a tokenizer.json that is not a tokenizer', () =>
    expectLoadError(
      variant((d) => writeFileSync(path.join(d, 'tokenizer.json'), '{"version":"1.0"}')),
      /tokenizer\.json has no "model"/,
    ));
  it('refuses an unsupported model_type', () =>
    expectLoadError(
      variant((d) => editJson(path.join(d, 'config.json'), (c) => (c.model_type = 'bert'))),
      /unsupported model_type "bert"/,
    ));
  it('names the missing graph file of the requested dtype', () =>
    expectLoadError(good, /model_fp16\.onnx is missing/, 'MODEL_LOAD_FAILED', 'fp16'));
  it('refuses an unknown dtype', () => expectLoadError(good, /unknown dtype "fp8"/, 'INVALID_ARGUMENT', 'fp8'));
  it('names a corrupt graph file', () =>
    expectLoadError(
      variant((d) => writeFileSync(path.join(d, 'onnx', 'model.onnx'), 'garbage')),
      /model\.onnx could not be loaded by onnxruntime/,
    ));
  it('refuses a graph whose signature does not match config.json', () =>
    expectLoadError(
      variant((d) => editJson(path.join(d, 'config.json'), (c) => (c.num_hidden_layers = 3))),
      /unsupported graph signature: 2 past_key_values layers, but config\.json num_hidden_layers is 3/,
    ));
  it('refuses invalid engine options', async () => {
    await expect(InferenceEngine.load({ modelDir: good, maxConcurrency: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(InferenceEngine.load({ modelDir: good, intraOpThreads: 1.5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(InferenceEngine.load({ modelDir: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  describe('external data and a separate chat template', () => {
    let external: string;

    beforeAll(async () => {
      external = path.join(root, 'external');
      await synthesizeModel({
        preset: 'tiny',
        dtype: 'fp32',
        outDir: external,
        externalData: true,
        externalDataChunkBytes: 64 * 1024,
        separateChatTemplate: true,
      });
    });

    it('runs a graph whose weights are in .onnx_data chunks exactly like the single-file graph', async () => {
      const messages = [{ role: 'user' as const, content: 'hello there' }];
      const options = { maxNewTokens: 8, temperature: 0 };
      const a = await InferenceEngine.load({ modelDir: good });
      const b = await InferenceEngine.load({ modelDir: external });
      try {
        const ra = await a.generate({ messages, options }).result;
        const rb = await b.generate({ messages, options }).result;
        expect(rb.promptTokens).toBe(ra.promptTokens);
        expect(rb.tokenIds).toEqual(ra.tokenIds);
      } finally {
        await a.close();
        await b.close();
      }
    });

    const externalVariant = (declared: boolean): string => {
      const dir = path.join(root, `external-${counter++}`);
      cpSync(external, dir, { recursive: true });
      unlinkSync(path.join(dir, 'onnx', 'model.onnx_data_1'));
      if (!declared) editJson(path.join(dir, 'config.json'), (c) => delete c['transformers.js_config']);
      return dir;
    };

    it('names a missing external data chunk that config.json declares', () =>
      expectLoadError(externalVariant(true), /external data .*model\.onnx_data_1 is missing/));

    it('names the graph when an undeclared external data chunk is missing', () =>
      expectLoadError(externalVariant(false), /model\.onnx could not be loaded by onnxruntime: .*model\.onnx_data_1/));
  });
});
