import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthesizeModel } from './synthesize-model';
import type { SynthPreset } from './model-presets';

describe('synthesizeModel', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'slm-synth-'));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const folderBytes = (dir: string): number =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .reduce((sum, entry) => sum + statSync(path.join(entry.parentPath, entry.name)).size, 0);

  it('writes the Hub layout for the tiny preset, under 5 MB, byte-identical for one seed', async () => {
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    const c = path.join(root, 'c');
    await synthesizeModel({ preset: 'tiny', dtype: 'q4', outDir: a });
    await synthesizeModel({ preset: 'tiny', dtype: 'q4', outDir: b });
    await synthesizeModel({ preset: 'tiny', dtype: 'q4', outDir: c, seed: 7 });
    const files = [
      'config.json',
      'generation_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'special_tokens_map.json',
      'onnx/model_q4.onnx',
    ];
    for (const file of files) expect(readFileSync(path.join(b, file))).toEqual(readFileSync(path.join(a, file)));
    expect(readFileSync(path.join(c, 'onnx/model_q4.onnx'))).not.toEqual(readFileSync(path.join(a, 'onnx/model_q4.onnx')));
    expect(folderBytes(a)).toBeLessThan(5 * 1024 * 1024);
    const config = JSON.parse(readFileSync(path.join(a, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      model_type: 'llama4_text',
      tie_word_embeddings: true,
      slm_synthetic: { preset: 'tiny', dtype: 'q4', seed: 42 },
    });
    const tokenizerConfig = JSON.parse(readFileSync(path.join(a, 'tokenizer_config.json'), 'utf8'));
    expect(tokenizerConfig.chat_template).toContain('<|start_header_id|>');
  });

  it('rejects an unknown preset or dtype', async () => {
    await expect(synthesizeModel({ preset: 'huge' as SynthPreset, dtype: 'fp32', outDir: root })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(synthesizeModel({ preset: 'tiny', dtype: 'fp8' as 'fp32', outDir: root })).rejects.toThrow(/unknown dtype "fp8"/);
  });
});
