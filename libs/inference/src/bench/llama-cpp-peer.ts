import type { Llama, LlamaContext, LlamaModel, Token } from 'node-llama-cpp';
import { InferenceError } from '../inference.errors';

export interface LlamaCppPeerOptions {
  /** The GGUF file (`slm models synth --format gguf|both`). */
  modelPath: string;
  /** CPU threads for every evaluation (llama.cpp's `n_threads` and `n_threads_batch`). */
  threads: number;
  /** Tokens one batch-1 run needs (prompt + new tokens). */
  batch1ContextTokens: number;
  /** Sequences served at once in the aggregate runs (0: no aggregate context). */
  sequences: number;
  /** Tokens each of those sequences needs. */
  sequenceContextTokens: number;
}

/** One batch-1 run: time to the first new token and time for the rest. */
export interface PeerRunTimes {
  timeToFirstTokenMs: number;
  decodeMs: number;
}

/** The model facts llama.cpp read from the GGUF (the tests compare them with the preset). */
export interface LlamaCppModelFacts {
  layers: number;
  heads: number;
  kvHeads: number;
  hiddenSize: number;
  vocabSize: number;
  /** BOS and end-of-turn ids as llama.cpp's vocabulary loader found them. */
  bosTokenId: number | null;
  eotTokenId: number | null;
  sizeBytes: number;
}

type NodeLlamaCpp = typeof import('node-llama-cpp');

/**
 * node-llama-cpp is ESM-only with top-level await, so CommonJS (this build) cannot `require` it; a real
 * dynamic `import()` that the TypeScript/SWC CommonJS output does not rewrite into `require`.
 */
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<NodeLlamaCpp>;

/**
 * llama.cpp (node-llama-cpp, the dev dependency pinned to 3.21.1) as the speed peer of the benchmarks:
 * its prebuilt CPU binary only (`gpu: false`, `build: 'never'`: never a build or a download), greedy
 * sampling, the given thread count for every evaluation. A batch-1 context and, for the aggregate runs,
 * one context with `sequences` sequences that llama.cpp decodes together in one batch per step.
 */
export class LlamaCppPeer {
  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly batch1: LlamaContext,
    private readonly shared: LlamaContext | undefined,
  ) {}

  static async load(options: LlamaCppPeerOptions): Promise<LlamaCppPeer> {
    let binding: NodeLlamaCpp;
    try {
      binding = await importEsm('node-llama-cpp');
    } catch (error) {
      throw new InferenceError('INVALID_ARGUMENT', `--vs-llama-cpp needs the dev dependency node-llama-cpp (${(error as Error).message})`);
    }
    const llama = await binding.getLlama({
      gpu: false,
      build: 'never',
      maxThreads: options.threads,
      logLevel: binding.LlamaLogLevel.error,
    });
    try {
      const model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: 0 });
      const threads = { ideal: options.threads, min: options.threads };
      const batch1 = await model.createContext({ contextSize: options.batch1ContextTokens, sequences: 1, threads });
      const shared =
        options.sequences > 0
          ? await model.createContext({
              contextSize: options.sequenceContextTokens, // per sequence: node-llama-cpp multiplies by `sequences`
              sequences: options.sequences,
              threads,
            })
          : undefined;
      return new LlamaCppPeer(llama, model, batch1, shared);
    } catch (error) {
      await llama.dispose();
      throw error;
    }
  }

  /** What ran: the binary (always the prebuilt one here), its llama.cpp release and the context settings. */
  get runtime(): { buildType: string; llamaCppRelease: string; flashAttention: 'auto' | boolean; batchSize: number } {
    return {
      buildType: this.llama.buildType,
      llamaCppRelease: this.llama.llamaCppRelease.release,
      flashAttention: this.batch1.flashAttention,
      batchSize: this.batch1.batchSize,
    };
  }

  get facts(): LlamaCppModelFacts {
    const metadata = this.model.fileInfo.metadata as unknown as {
      llama: { block_count: number; embedding_length: number; attention: { head_count: number; head_count_kv: number } };
      tokenizer: { ggml: { tokens: string[] } };
    };
    return {
      layers: metadata.llama.block_count,
      heads: metadata.llama.attention.head_count,
      kvHeads: metadata.llama.attention.head_count_kv,
      hiddenSize: metadata.llama.embedding_length,
      vocabSize: metadata.tokenizer.ggml.tokens.length,
      bosTokenId: this.model.tokens.bos,
      eotTokenId: this.model.tokens.eot,
      sizeBytes: this.model.size,
    };
  }

  /** Greedy generation of exactly `newTokens` tokens after `prompt` on a fresh batch-1 sequence. */
  async runBatch1(prompt: number[], newTokens: number): Promise<PeerRunTimes & { tokenIds: number[] }> {
    const sequence = this.batch1.getSequence();
    try {
      const tokenIds: number[] = [];
      const start = performance.now();
      let firstAt = start;
      await this.generateOn(sequence, prompt, newTokens, (token) => {
        if (tokenIds.length === 0) firstAt = performance.now();
        tokenIds.push(token);
      });
      return { timeToFirstTokenMs: firstAt - start, decodeMs: performance.now() - firstAt, tokenIds };
    } finally {
      sequence.dispose();
    }
  }

  /**
   * Serves one request on a free sequence of the shared context; requests running at the same time are
   * decoded together. Calls `onToken` per new token; resolves with the number of new tokens.
   */
  async serve(prompt: number[], newTokens: number, onToken: (token: number) => void): Promise<number> {
    if (!this.shared) throw new Error('the peer was loaded without an aggregate context');
    const sequence = this.shared.getSequence();
    try {
      let count = 0;
      await this.generateOn(sequence, prompt, newTokens, (token) => {
        count++;
        onToken(token);
      });
      return count;
    } finally {
      sequence.dispose();
    }
  }

  private async generateOn(
    sequence: ReturnType<LlamaContext['getSequence']>,
    prompt: number[],
    newTokens: number,
    onToken: (token: number) => void,
  ): Promise<void> {
    // evaluate() keeps generating past end-of-generation tokens: exactly `newTokens`, like the engine's minNewTokens.
    let produced = 0;
    for await (const token of sequence.evaluate(prompt as Token[], { temperature: 0 })) {
      onToken(token);
      if (++produced >= newTokens) break;
    }
  }

  async close(): Promise<void> {
    await this.shared?.dispose();
    await this.batch1.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}
