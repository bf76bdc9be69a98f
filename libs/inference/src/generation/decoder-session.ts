import * as ort from 'onnxruntime-node';
import { InferenceError } from '../inference.errors';
import { KvCache, type KvDtype, type KvLayout } from './kv-cache';

export interface DecoderSessionOptions {
  onnxPath: string;
  /**
   * A second graph with the same inputs and outputs whose matrix products are faster on many rows (the
   * compiler's int8 graph): steps that multiply at least `int8MinRows` rows (sequences × new positions:
   * prompts, batches) run on it, the others on `onnxPath`. Default: every step on `onnxPath`.
   */
  int8OnnxPath?: string;
  /** See `int8OnnxPath`. Default 1 (every step on the int8 graph). */
  int8MinRows?: number;
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  /** Added to every position id (Gemma-3 exports count from 1). Default 0. */
  positionOffset?: number;
  /** Default: onnxruntime's (all cores). */
  intraOpThreads?: number;
  /** Default 1. */
  interOpThreads?: number;
}

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;
const KNOWN_INPUTS = new Set(['input_ids', 'attention_mask', 'position_ids', 'num_logits_to_keep', 'attention_bias']);

/**
 * One onnxruntime session over a decoder graph with the MODELS.md contract. It reads the graph's
 * declared inputs at load and feeds exactly those (position_ids and num_logits_to_keep only when declared,
 * float16 KV when the graph says so). `run` is synchronous native work: call it off the main thread.
 *
 * A graph with an `attention_bias` input (the compiler's fused attention) takes its
 * cache as buffers with spare capacity (`kvLayout` 'shared'): the session feeds each buffer as the past and
 * row lengths instead of an attention mask, and the graph returns only the step's new keys and values,
 * which the cache writes into its buffers (KvCache).
 * Such a graph prefills one sequence at a time (`batchedPrefill` false): its rows are right-padded, while the
 * last-position logits of a batched prefill assume left padding.
 */
export class DecoderSession {
  private readonly hasPositionIds: boolean;
  private readonly hasLogitsToKeep: boolean;
  readonly kvLayout: KvLayout;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly int8Session: ort.InferenceSession | undefined,
    private readonly options: DecoderSessionOptions,
    readonly kvDtype: KvDtype,
    readonly kvHeads: number,
    readonly headDim: number,
  ) {
    this.hasPositionIds = session.inputNames.includes('position_ids');
    this.hasLogitsToKeep = session.inputNames.includes('num_logits_to_keep');
    this.kvLayout = session.inputNames.includes('attention_bias') ? 'shared' : 'concat';
  }

  /** Several prompts can be prefilled in one run (`prefillBatch`). */
  get batchedPrefill(): boolean {
    return this.kvLayout === 'concat';
  }

  static async create(options: DecoderSessionOptions): Promise<DecoderSession> {
    const session = await loadSession(options.onnxPath, options);
    let int8Session: ort.InferenceSession | undefined;
    try {
      const { kvDtype, kvHeads, headDim } = checkSignature(session, options);
      if (options.int8OnnxPath) {
        int8Session = await loadSession(options.int8OnnxPath, options);
        const signature = (loaded: ort.InferenceSession): string => JSON.stringify([loaded.inputNames, loaded.outputNames]);
        if (signature(int8Session) !== signature(session))
          throw new InferenceError(
            'MODEL_LOAD_FAILED',
            `${options.int8OnnxPath}: its inputs and outputs differ from ${options.onnxPath}'s`,
          );
      }
      return new DecoderSession(session, int8Session, options, kvDtype, kvHeads, headDim);
    } catch (error) {
      await session.release();
      await int8Session?.release();
      throw error;
    }
  }

  /** KV cache bytes per token of one sequence: layers × 2 (key, value) × kv_heads × head_dim × element size. */
  get kvBytesPerToken(): number {
    return this.options.numLayers * 2 * this.kvHeads * this.headDim * (this.kvDtype === 'float16' ? 2 : 4);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  /**
   * An empty KV cache of `rows` sequences: 1 (default) for `step`; a batch's cache starts with 0 and gets
   * its rows from `prefillBatch` or `repack`.
   */
  newCache(rows = 1): KvCache {
    return new KvCache(this.options.numLayers, this.kvHeads, this.headDim, this.kvDtype, rows, this.kvLayout);
  }

  /**
   * Runs `tokens` after what `cache` (one sequence) holds, updates the cache and returns the logits of the
   * last position (a view into the output, not a copy; it asks for the last position only where the graph
   * has `num_logits_to_keep`).
   */
  async step(tokens: readonly number[], cache: KvCache): Promise<Float32Array> {
    if (cache.size !== 1 || cache.padOf(0) !== 0) throw new Error(`step runs one unpadded sequence, not a cache of ${cache.size} rows`);
    const past = cache.length;
    const offset = this.options.positionOffset ?? 0;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [1, tokens.length]),
    };
    if (this.hasPositionIds) {
      feeds.position_ids = new ort.Tensor(
        'int64',
        BigInt64Array.from(tokens, (_, i) => BigInt(past + i + offset)),
        [1, tokens.length],
      );
    }
    const outputs = await this.run(feeds, cache, tokens.length);
    cache.update(outputs, tokens.length);
    const logits = outputs.logits as ort.Tensor;
    const vocab = logits.dims[logits.dims.length - 1];
    const rows = logits.dims[logits.dims.length - 2];
    return rowsOf(logits, rows - 1, 1, vocab);
  }

  /**
   * One decode step for every sequence of a batch: row r feeds `tokens[r]` at position `positions[r]`
   * (its own length, whatever its left padding) and attends to its real positions only (attention mask 0
   * over the padding). Updates `cache` and returns the `[batch, vocab]` next-token logits (row r at
   * r·vocab), read straight from the output tensor.
   */
  async stepBatch(
    tokens: readonly number[],
    positions: readonly number[],
    cache: KvCache,
  ): Promise<{ logits: Float32Array; vocab: number }> {
    const batch = tokens.length;
    if (batch !== cache.size || positions.length !== batch) throw new Error(`batch of ${batch} tokens for a cache of ${cache.size} rows`);
    const offset = this.options.positionOffset ?? 0;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [batch, 1]),
    };
    if (this.hasPositionIds)
      feeds.position_ids = new ort.Tensor(
        'int64',
        BigInt64Array.from(positions, (p) => BigInt(p + offset)),
        [batch, 1],
      );
    const outputs = await this.run(feeds, cache, 1);
    cache.update(outputs, 1);
    const logits = outputs.logits as ort.Tensor;
    const vocab = logits.dims[logits.dims.length - 1];
    const rows = logits.dims[logits.dims.length - 2];
    if (rows !== 1) throw new Error(`a decode step returned ${rows} positions per row`);
    return { logits: rowsOf(logits, 0, batch, vocab), vocab };
  }

  /**
   * Prefills several prompts in one run: left-padded to the longest (attention mask 0 over each row's
   * padding, position ids counting from each row's first real token), into `cache` (emptied first).
   * Returns each row's next-token logits (views where the output is float32).
   */
  async prefillBatch(prompts: readonly (readonly number[])[], cache: KvCache): Promise<Float32Array[]> {
    if (!this.batchedPrefill) throw new Error('this graph prefills one sequence at a time (shared-buffer KV cache)');
    if (prompts.length === 0 || prompts.some((prompt) => prompt.length === 0)) throw new Error('a batched prefill needs non-empty prompts');
    cache.startPrefill(prompts.map((prompt) => prompt.length));
    const width = Math.max(...prompts.map((prompt) => prompt.length));
    const batch = prompts.length;
    const offset = this.options.positionOffset ?? 0;
    const ids = new BigInt64Array(batch * width);
    const positions = new BigInt64Array(batch * width);
    prompts.forEach((prompt, row) => {
      const pad = width - prompt.length;
      for (let i = 0; i < prompt.length; i++) {
        ids[row * width + pad + i] = BigInt(prompt[i]);
        positions[row * width + pad + i] = BigInt(i + offset);
      }
      // Padding columns get position `offset` (any in-range value: they are masked out).
      for (let i = 0; i < pad; i++) positions[row * width + i] = BigInt(offset);
    });
    const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [batch, width]) };
    if (this.hasPositionIds) feeds.position_ids = new ort.Tensor('int64', positions, [batch, width]);
    const outputs = await this.run(feeds, cache, width);
    cache.update(outputs, width);
    const logits = outputs.logits as ort.Tensor;
    const vocab = logits.dims[logits.dims.length - 1];
    const rows = logits.dims[logits.dims.length - 2];
    return prompts.map((_, row) => rowsOf(logits, row * rows + rows - 1, 1, vocab));
  }

  /**
   * Runs the graph for a step that appends `newColumns` positions to every row of `cache` — on the int8
   * graph when the step has at least `int8MinRows` rows — with the cache inputs, the attention mask (concat)
   * or bias (shared, after making room in the buffers), and the last-position request where the graph takes one.
   */
  private async run(feeds: Record<string, ort.Tensor>, cache: KvCache, newColumns: number): Promise<ort.InferenceSession.OnnxValueMapType> {
    if (this.hasLogitsToKeep) feeds.num_logits_to_keep = LAST_ONLY;
    const rows = cache.size * newColumns;
    const session = this.int8Session && rows >= (this.options.int8MinRows ?? 1) ? this.int8Session : this.session;
    if (this.kvLayout === 'concat') return session.run({ ...feeds, attention_mask: cache.attentionMask(newColumns), ...cache.feeds() });
    cache.reserve(newColumns);
    return session.run({ ...feeds, attention_bias: cache.attentionBias(newColumns), ...cache.feeds() });
  }

  async release(): Promise<void> {
    await this.session.release();
    await this.int8Session?.release();
  }
}

async function loadSession(onnxPath: string, options: DecoderSessionOptions): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(onnxPath, {
      intraOpNumThreads: options.intraOpThreads,
      interOpNumThreads: options.interOpThreads ?? 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
  } catch (error) {
    throw new InferenceError('MODEL_LOAD_FAILED', `${onnxPath} could not be loaded by onnxruntime: ${(error as Error).message}`);
  }
}

const LAST_ONLY = new ort.Tensor('int64', BigInt64Array.from([1n]), []);

/**
 * `count` consecutive rows of `vocab` logits from `first` (a row is one position of one sequence when the
 * output is [batch, seq, vocab] with seq 1, or one position of sequence 0). float32 outputs are viewed in
 * place; float16 ones are widened once.
 */
function rowsOf(logits: ort.Tensor, first: number, count: number, vocab: number): Float32Array {
  const start = first * vocab;
  const end = start + count * vocab;
  if (logits.type === 'float32') return (logits.data as Float32Array).subarray(start, end);
  if (logits.type === 'float16') {
    const half = logits.data as Uint16Array;
    const out = new Float32Array(end - start);
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(half[start + i]);
    return out;
  }
  throw new InferenceError('INTERNAL', `unsupported logits type ${logits.type}`);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * Math.pow(2, -14) * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * Math.pow(2, exponent - 15) * (1 + fraction / 1024);
}

function checkSignature(
  session: ort.InferenceSession,
  options: DecoderSessionOptions,
): { kvDtype: KvDtype; kvHeads: number; headDim: number } {
  const file = options.onnxPath;
  const fail = (message: string): never => {
    throw new InferenceError('MODEL_LOAD_FAILED', `${file}: unsupported graph signature: ${message}`);
  };
  const inputs = session.inputNames;
  const shared = inputs.includes('attention_bias');
  for (const required of shared ? ['input_ids'] : ['input_ids', 'attention_mask']) {
    if (!inputs.includes(required)) fail(`input "${required}" is missing (inputs: ${inputs.join(', ')})`);
  }
  const unknown = inputs.filter((name) => !KNOWN_INPUTS.has(name) && !PAST.test(name));
  if (unknown.length > 0) fail(`unexpected inputs ${unknown.join(', ')} (expected the decoder contract of MODELS.md)`);
  const layers = new Set(inputs.filter((name) => PAST.test(name)).map((name) => Number(PAST.exec(name)![1])));
  if (layers.size !== options.numLayers) {
    fail(`${layers.size} past_key_values layers, but config.json num_hidden_layers is ${options.numLayers}`);
  }
  for (let i = 0; i < options.numLayers; i++) {
    for (const part of ['key', 'value']) {
      if (!inputs.includes(`past_key_values.${i}.${part}`)) fail(`input past_key_values.${i}.${part} is missing`);
      if (!session.outputNames.includes(`present.${i}.${part}`)) fail(`output present.${i}.${part} is missing`);
    }
  }
  if (!session.outputNames.includes('logits')) fail(`output "logits" is missing (outputs: ${session.outputNames.join(', ')})`);
  const meta = session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
  let kvDtype: KvDtype = 'float32';
  let kvHeads = options.numKvHeads;
  let headDim = options.headDim;
  if (meta && meta.isTensor) {
    if (meta.type === 'float16') kvDtype = 'float16';
    else if (meta.type !== 'float32') fail(`past_key_values.0.key has type ${meta.type} (expected float32 or float16)`);
    if (typeof meta.shape[1] === 'number') kvHeads = meta.shape[1];
    if (typeof meta.shape[3] === 'number') headDim = meta.shape[3];
  }
  return { kvDtype, kvHeads, headDim };
}
