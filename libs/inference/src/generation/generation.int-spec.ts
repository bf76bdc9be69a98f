import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InferenceEngine } from '../engine/inference.engine';
import type { ChatMessage } from '../inference.types';
import { loadModelFolder } from '../model/model-folder';
import { TextTokenizer } from '../model/text-tokenizer';
import { synthesizeModel } from '../synth/synthesize-model';
import { DecoderSession } from './decoder-session';

const PROMPTS: ChatMessage[][] = [
  [{ role: 'user', content: 'What is 12 + 12?' }],
  [{ role: 'user', content: 'hello there' }],
  [
    { role: 'system', content: 'Please reason step by step, and put your final answer within \\boxed{}.' },
    { role: 'user', content: 'the cat is on the mat' },
  ],
  [{ role: 'user', content: 'Ünïcödé — 数学 ✓' }],
];

const VARIANTS = [
  { name: 'fp32', dtype: 'fp32' as const },
  { name: 'q4', dtype: 'q4' as const },
  // The contract's optional parts: float16 KV tensors and a num_logits_to_keep input.
  { name: 'fp32 with float16 KV and num_logits_to_keep', dtype: 'fp32' as const, kvCacheDtype: 'float16' as const, numLogitsToKeep: true },
];

describe.each(VARIANTS)('generation on the tiny $name model', ({ dtype, ...variant }) => {
  let root: string;
  let dir: string;
  let engine: InferenceEngine;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'slm-gen-'));
    dir = path.join(root, `tiny-${dtype}`);
    await synthesizeModel({ preset: 'tiny', dtype, outDir: dir, ...variant });
    // int8 prefill changes the arithmetic on purpose (its tolerance: onnx/int8-products.int-spec.ts): off for exact equality.
    engine = await InferenceEngine.load({ modelDir: dir, int8MinRows: 0 });
  });

  afterAll(async () => {
    await engine?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('gives exactly the greedy token ids of transformers.js on the same folder', async () => {
    const { AutoModelForCausalLM, AutoTokenizer, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = root;
    const reference = await AutoModelForCausalLM.from_pretrained(path.basename(dir), { dtype });
    const referenceTokenizer = await AutoTokenizer.from_pretrained(path.basename(dir));
    try {
      for (const messages of PROMPTS) {
        const ours = await engine.generate({ messages, options: { maxNewTokens: 24, temperature: 0 } }).result;
        const encoded = referenceTokenizer.apply_chat_template(messages, { add_generation_prompt: true, return_dict: true }) as unknown as {
          input_ids: { data: BigInt64Array; dims: number[] };
          attention_mask: unknown;
        };
        const theirPrompt = Array.from(encoded.input_ids.data, Number);
        const ourPrompt = new TextTokenizer(loadModelFolder(dir)).encodeChat(messages);
        expect(ourPrompt).toEqual(theirPrompt);
        expect(ourPrompt.filter((id) => id === ourPrompt[0]).length).toBe(1); // one BOS, not two
        const output = (await reference.generate({
          ...(encoded as object),
          max_new_tokens: 24,
          do_sample: false,
        } as never)) as unknown as { data: BigInt64Array };
        const theirs = Array.from(output.data, Number).slice(theirPrompt.length);
        expect(ours.tokenIds).toEqual(theirs);
        expect(ours.tokenIds.length).toBeGreaterThan(0);
      }
    } finally {
      await reference.dispose();
    }
  });

  it('decodes with the KV cache to the same logits as recomputing the whole sequence', async () => {
    const folder = loadModelFolder(dir);
    const session = await DecoderSession.create({
      onnxPath: folder.onnxPath,
      numLayers: folder.geometry.numLayers,
      numKvHeads: folder.geometry.numKvHeads,
      headDim: folder.geometry.headDim,
      intraOpThreads: 1,
    });
    expect(session.kvDtype).toBe(variant.kvCacheDtype ?? 'float32');
    expect(session.inputNames.includes('num_logits_to_keep')).toBe(variant.numLogitsToKeep === true);
    try {
      const sequence = new TextTokenizer(folder).encodeChat(PROMPTS[2]).concat([270, 281, 12, 40, 41]);
      const full = session.newCache();
      const recomputed = await session.step(sequence, full);
      full.dispose();
      const cache = session.newCache();
      let incremental = await session.step(sequence.slice(0, sequence.length - 5), cache);
      for (const token of sequence.slice(sequence.length - 5)) incremental = await session.step([token], cache);
      expect(cache.length).toBe(sequence.length);
      cache.dispose();
      let maxDiff = 0;
      for (let i = 0; i < recomputed.length; i++) maxDiff = Math.max(maxDiff, Math.abs(recomputed[i] - incremental[i]));
      expect(recomputed.length).toBe(folder.geometry.vocabSize);
      expect(maxDiff).toBeLessThan(1e-4);
    } finally {
      await session.release();
    }
  });
});
