/** One chat turn; the model's chat template renders the list into the prompt. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Sampling and stopping options; camelCase versions of generation_config.json fields. */
export interface GenerationOptions {
  /** New tokens at most, >= 1. Default: generation_config.json `max_new_tokens`, else 256. */
  maxNewTokens?: number;
  /** EOS tokens are suppressed until this many tokens are generated (benchmarks), >= 0. Default 0. */
  minNewTokens?: number;
  /** >= 0; 0 = greedy. Default: generation_config.json `temperature` when `do_sample` is not false, else 0. */
  temperature?: number;
  /** Nucleus sampling mass in (0, 1]. Default: generation_config.json `top_p`, else 1 (off). */
  topP?: number;
  /** Keep the k most likely tokens, >= 0; 0 = off. Default: generation_config.json `top_k`, else 0. */
  topK?: number;
  /** uint32 seed for reproducible sampling. Default: a random seed per request. */
  seed?: number;
  /** Stop strings; the matched string and anything after it are not returned. Default none. */
  stop?: string[];
  /** > 0; 1 = off (CTRL-style penalty on every token already in the sequence). Default: generation_config.json, else 1. */
  repetitionPenalty?: number;
}

export interface GenerationRequest {
  /** Rendered with the model's chat template (the caller includes its system prompt). */
  messages: ChatMessage[];
  /** Token ids to use as the prompt instead of rendering `messages` (benchmarks, golden tests). */
  promptTokenIds?: number[];
  options?: GenerationOptions;
  /** Cancellation and deadlines: generation stops within one decode step. */
  signal?: AbortSignal;
}

export type FinishReason = 'stop' | 'stop_sequence' | 'length' | 'context_length' | 'cancelled';

export interface TokenChunk {
  text: string;
  tokenIds: number[];
  channel: 'reasoning' | 'answer';
}

export interface GenerationResult {
  /** Full text, reasoning included. */
  text: string;
  /** Inside <think>…</think> (empty if none). */
  reasoning: string;
  /** After </think> (the whole text if there is no think block). */
  answer: string;
  /** Generated token ids (an EOS token that ended generation included). */
  tokenIds: number[];
  promptTokens: number;
  completionTokens: number;
  /** From the request to taking a slot in the running batch (waiting behind other requests), ms. */
  queuedMs: number;
  /** From the request to its first token (the wait in the queue and the prefill), ms. */
  timeToFirstTokenMs: number;
  /** Prompt tokens whose keys and values came from the prefix cache (OpenAI's `cached_tokens`). */
  cachedPromptTokens: number;
  totalMs: number;
  decodeTokensPerSecond: number;
  /** Aborted requests resolve with 'cancelled' and the partial output. */
  finishReason: FinishReason;
}

/** One request in flight: iterate the chunks as they come; `result` settles after the last chunk. */
export interface GenerationHandle extends AsyncIterable<TokenChunk> {
  readonly result: Promise<GenerationResult>;
}

export interface ModelInfo {
  /** Hub id from config (`_name_or_path`) or the folder name. */
  modelId: string;
  modelDir: string;
  parameterCount: number;
  /** 'fp32' | 'fp16' | 'q4' | 'q4f16' | 'int8' | 'uint8' | 'q8' | 'bnb4'. */
  dtype: string;
  /** max_position_embeddings. */
  contextLength: number;
  /** True for models written by `slm models synth` (marker in config.json). */
  syntheticWeights: boolean;
}

/** What a worker hosts. InferenceEngine implements it; tests of other units may implement fakes. */
export interface TextGenerationEngine {
  readonly info: ModelInfo;
  readonly capacity: { maxConcurrency: number; maxQueue: number };
  /** What the host should log at start: the engine runs, but not as configured (e.g. without its prefill thread). */
  readonly warnings?: readonly string[];
  /**
   * Throws InferenceError('QUEUE_FULL') synchronously when the bounded queue is full, and
   * InferenceError('INVALID_ARGUMENT' | 'INPUT_TOO_LONG') synchronously for bad input.
   */
  generate(request: GenerationRequest): GenerationHandle;
  /**
   * The KV cache budget in tokens and the part the running requests reserve (prompt + maxNewTokens
   * each, capped by the context, as admission counts them). Absent: the engine has no such budget.
   */
  kvCacheUse?(): { budgetTokens: number; reservedTokens: number };
  /** Runs one short generation so the first real request is not slow. */
  warmUp(): Promise<void>;
  close(): Promise<void>;
}

export interface EngineOptions {
  modelDir: string;
  /** Which onnx/model_*.onnx to run. Default: config.json `transformers.js_config.dtype`, else the files present (q4 first). */
  dtype?: string;
  /** onnxruntime intra-op threads of the decode session. Default: available cores less the prefill thread's, at least 1 (measured: see README). */
  intraOpThreads?: number;
  /** onnxruntime inter-op threads. Default 1 (the decoder graph is one sequential chain). */
  interOpThreads?: number;
  /**
   * Intra-op threads of the prefill thread: a second session over the same graph, on its own thread, runs
   * newcomers' prompts while the running batch keeps decoding (prefill is compute-bound, decode
   * memory-bound: on separate cores they barely slow each other, and running streams never stall behind a
   * prompt). Costs a second copy of the weights in memory. 0: no prefill thread; prompts are prefilled
   * between decode steps in chunks of `prefillChunkTokens`. Default 1 where there are 2 cores or more and
   * the memory limit (the container's cgroup limit, else the machine's) holds about 2.5x the graph's size
   * plus the KV budget and 512 MB; else 0.
   */
  prefillThreads?: number;
  /**
   * Maximum batch size: requests decoding at once, in one continuously rebuilt batch (newcomers join
   * between decode steps, finished requests leave). Default 8.
   */
  maxConcurrency?: number;
  /** Requests allowed to wait for a place in the batch. Default 16. */
  maxQueue?: number;
  /**
   * Prompt tokens prefilled between two decode steps at most; a longer prompt is prefilled in chunks,
   * so running streams keep their pace. Default 128.
   */
  prefillChunkTokens?: number;
  /**
   * Prompt tokens a tick may prefill between two decode steps: with the export's attention, padded tokens
   * (rows × longest prompt) of one left-padded run of several newcomers (a longer prompt is prefilled alone
   * in chunks of `prefillChunkTokens`); with fused attention, chunks of one newcomer after another. Default
   * 2 × `prefillChunkTokens` (see engine/inference.engine.ts: a burst of newcomers waits behind half as
   * many decode steps).
   */
  prefillTokenBudget?: number;
  /**
   * KV cache memory budget in MB: every admitted request reserves (prompt + maxNewTokens, capped by the
   * context) × layers × 2 × kv_heads × head_dim × bytes per element; requests wait while the budget is
   * full, and one that can never fit is refused with INPUT_TOO_LONG. Padding of the batch is not counted.
   * Default 1024.
   */
  kvCacheBudgetMb?: number;
  /**
   * Memory for the prefix cache in MB: the keys and values of recent prompts' leading 16-token blocks
   * (the system prompt and chat-template head every request shares, a batch's common header), reused by
   * later prompts that start the same way instead of being prefilled again: on the prefill thread where
   * there is one, else on the engine's own thread. 0 turns it off. Default 64.
   */
  prefixCacheMb?: number;
  /**
   * Load-time graph tuning: MatMulNBits nodes (q4 graphs) whose `accuracy_level` is unset or 0 run with 4
   * (int8 compute, about twice as fast on CPU; logits move slightly, see README). The tuned graph is cached
   * beside the source as `onnx/.<name>.<sha256>.tuned.onnx`. Graphs without such nodes load unchanged.
   * Default true.
   */
  tuneMatMulNBits?: boolean;
  /**
   * Load-time graph compiler: the engine runs a copy of the export's graph (same weights, byte for byte)
   * whose LM head reads the last position only, so prefill computes [batch, 1, vocab] logits instead of
   * one row per prompt token (nothing in the engine reads the others). Cached beside the source as
   * `onnx/.<name>.<key>.compiled.onnx` (key: source size, mtime, first and last MiB, onnxruntime version).
   * A graph whose LM head the compiler does not recognise loads unchanged, with a warning saying why.
   * False: the export's graph as it is (tuned when `tuneMatMulNBits`). Default true.
   */
  compileGraph?: boolean;
  /**
   * With `compileGraph`: also rewrite each layer's attention to read the engine's KV buffers (spare capacity,
   * rows attending to their own lengths) and return only the step's keys and values, so no step copies the
   * whole cache (onnx/fused-attention.ts). A graph whose
   * attention the compiler does not recognise keeps it, with a warning saying why. Default true.
   */
  fusedAttention?: boolean;
  /**
   * With `compileGraph` and a 4-bit graph: steps that multiply at least this many rows (sequences × new
   * positions: prompts, batches of sequences) run on a second graph whose 4-bit matrix products (the LM head
   * excepted) are int8 ones — on the 2-core Xeon measured, 3x faster prefill and 3.6x faster products for a
   * batch of 16 (onnxruntime's integer GEMM reaches the CPU's VNNI/AMX units; its 4-bit kernel does not);
   * smaller steps (one sequence decoding) stay on the 4-bit graph, faster for a row or two. Costs a second
   * session: the int8 weights (twice the 4-bit ones) and a copy of the other initializers. Its logits differ
   * from the 4-bit graph's by the re-quantisation (int8 per output column, activations per token: measured
   * within 0.12 % of the largest logit on the 360M preset), so with it a sequence's tokens can depend on what
   * it is batched with, as in other batching servers; 0 keeps every step on the 4-bit graph (batch-invariant
   * output). Default 4.
   */
  int8MinRows?: number;
  /** Where tuned and compiled graphs go when the model folder is read-only. Default `<os tmpdir>/slm-tuned-graphs`. */
  tunedGraphCacheDir?: string;
}
