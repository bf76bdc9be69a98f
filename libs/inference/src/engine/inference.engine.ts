import { statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { InferenceError } from '../inference.errors';
import type {
  ChatMessage,
  EngineOptions,
  FinishReason,
  GenerationHandle,
  GenerationRequest,
  ModelInfo,
  TextGenerationEngine,
} from '../inference.types';
import { resolveGenerationOptions } from '../generation/generation-options';
import { StopStringMatcher } from '../generation/stop-string-matcher';
import { ThinkSplitter, promptOpensThinking } from '../generation/think-splitter';
import type { ResolvedGenerationConfig } from '../generation/token-generator';
import { type ModelFolder, loadModelFolder } from '../model/model-folder';
import { StreamingDetokenizer } from '../model/streaming-detokenizer';
import { TextTokenizer } from '../model/text-tokenizer';
import type { EngineWorkerData, FromWorker, ToWorker } from './engine-protocol';
import { GenerationStream } from './generation-stream';
import { defaultIntraOpThreads, defaultPrefillThreads } from './resource-defaults';
import { spawnWorkerScript } from './worker-script';

/** Default batch size: measured on 2 cores, aggregate decode keeps growing up to 16–32 (see README). */
const DEFAULT_MAX_BATCH = 8;
/**
 * Default prompt tokens per prefill chunk between decode steps (bounds the stall of running streams). 128
 * since prompts run on the int8 graph: a chunk stalls the streams about as long as 64 tokens did on the
 * 4-bit graph (360M q4, 2 threads: ~140 ms), and 16 clients arriving together see their first token sooner
 * (TTFT p99 4.0 → 3.0 s, aggregate 118 → 126 tokens/s; docs/benchmarks.md).
 */
const DEFAULT_PREFILL_CHUNK = 128;
/**
 * Default prefillTokenBudget, in prefill chunks: two. Prompts on the int8 graph run one after another
 * (shared-buffer graphs prefill one sequence at a time), so a tick's budget decides how many decode steps a
 * burst of newcomers waits behind: with two chunks, 16 clients arriving together on 360M q4 (2 threads,
 * no prefill thread) saw TTFT p99 2.6 s against 3.2–3.3 s with one chunk (llama.cpp, all 16 prompts in one
 * batch: 3.0 s), and aggregate decode rose from 134–143 to 147 tokens/s; a tick then stalls the running
 * streams for up to two chunks (~280 ms). With a prefill thread (the default where memory allows) prompts
 * run there and this budget is not used.
 */
const PREFILL_BUDGET_CHUNKS = 2;
/**
 * Default EngineOptions.int8MinRows: measured on 2 Xeon cores (360M shapes, eight [rows, 1024] × [1024, 4096]
 * products), int8 is slower for 1–2 rows (0.96 vs 0.73 ms at 1) and faster from 4 (1.2 vs 1.5 ms; 16 rows:
 * 1.6 vs 5.7 ms).
 */
const DEFAULT_INT8_MIN_ROWS = 4;
/** Default KV cache budget. */
const DEFAULT_KV_BUDGET_MB = 1024;
/** Default prefix cache: a few hundred prompt headers of the 360M model (30 KiB per token in float32). */
const DEFAULT_PREFIX_CACHE_MB = 64;

const ROLES = new Set(['system', 'user', 'assistant']);
/** Prompt tokens decoded to see whether the prompt opens a think block (the generation prompt is short). */
const PROMPT_TAIL_TOKENS = 16;

interface RequestState {
  id: number;
  promptIds: number[];
  config: ResolvedGenerationConfig;
  stream: GenerationStream;
  detokenizer: StreamingDetokenizer;
  stopMatcher: StopStringMatcher;
  think: ThinkSplitter;
  tokenIds: number[];
  unsentIds: number[];
  text: string;
  startedAt: number;
  /** When the request took a slot in the running batch (performance.now()). */
  admittedAt?: number;
  /** Prompt tokens the prefix cache supplied (set when the engine thread reports the request done). */
  cachedPromptTokens?: number;
  firstTokenAt?: number;
  lastTokenAt?: number;
  finished: boolean;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** The batching limits an engine runs with (after defaults; see EngineOptions). */
export interface BatchingLimits {
  /** The batch size in effect: 1 for graphs with GroupQueryAttention (they assume right padding). */
  maxBatchSize: number;
  /** Intra-op threads of the decode session. */
  intraOpThreads: number;
  /** Intra-op threads of the prefill thread (0: prompts are prefilled between decode steps). */
  prefillThreads: number;
  prefillChunkTokens: number;
  prefillTokenBudget: number;
  kvCacheBudgetMb: number;
  /** Prefix cache memory (0: off); it lives on the prefill thread where there is one, else beside the decode session. */
  prefixCacheMb: number;
  /** KV cache bytes per token of one sequence (from the graph's geometry and KV dtype). */
  kvBytesPerToken: number;
  /** Tokens (prompt + maxNewTokens of every admitted request) the KV budget holds. */
  maxKvTokens: number;
  /** The graph onnxruntime runs (the compiled or tuned copy, or the export's own graph). */
  onnxPath: string;
  /** MatMulNBits nodes whose accuracy_level was rewritten to 4 at load. */
  tunedMatMulNBitsNodes: number;
  /**
   * Prefill computes the last position's logits only: the graph compiler moved the LM head behind a
   * last-position slice, or the export declares `num_logits_to_keep` (fed 1).
   */
  lastPositionLogits: boolean;
  /** Attention reads the KV buffers and returns only each step's keys and values (EngineOptions.fusedAttention). */
  fusedAttention: boolean;
  /** The int8 graph steps of at least `int8MinRows` rows run on; undefined: every step runs on `onnxPath`. */
  int8OnnxPath?: string;
  /** In effect: 0 when there is no int8 graph (EngineOptions.int8MinRows). */
  int8MinRows: number;
}

/** A memory budget in MB: a finite number above 0 (or 0 too, `orZero`: off). */
function megabytesOf(name: string, value: number | undefined, fallback: number, { orZero = false } = {}): number {
  const chosen = value ?? fallback;
  if (typeof chosen !== 'number' || !Number.isFinite(chosen) || chosen < 0 || (chosen === 0 && !orZero))
    throw new InferenceError('INVALID_ARGUMENT', `${name} must be a number ${orZero ? '>=' : '>'} 0, got ${value}`);
  return chosen;
}

/**
 * Hosts one model: tokenizes and checks requests on the calling thread, runs onnxruntime in a worker
 * thread (so the host's event loop stays free), streams text back. Up to `maxConcurrency` requests decode
 * together in one continuously rebuilt batch (see BatchScheduler); more wait in a bounded queue, and a
 * full queue refuses at once with QUEUE_FULL.
 */
export class InferenceEngine implements TextGenerationEngine {
  readonly info: ModelInfo;
  readonly capacity: { maxConcurrency: number; maxQueue: number };
  readonly batching: BatchingLimits;
  readonly warnings: string[] = [];
  private readonly queue: RequestState[] = [];
  private readonly running = new Map<number, RequestState>();
  private nextId = 1;
  private closed = false;
  private workerError: Error | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly folder: ModelFolder,
    private readonly tokenizer: TextTokenizer,
    private readonly worker: Worker,
    options: Required<Pick<EngineOptions, 'maxConcurrency' | 'maxQueue'>>,
    batching: BatchingLimits,
  ) {
    this.info = {
      modelId: folder.modelId,
      modelDir: folder.dir,
      parameterCount: folder.parameterCount,
      dtype: folder.dtype,
      contextLength: folder.geometry.contextLength,
      syntheticWeights: folder.syntheticWeights,
    };
    this.capacity = { maxConcurrency: options.maxConcurrency, maxQueue: options.maxQueue };
    this.batching = batching;
    worker.on('message', (message: FromWorker) => this.onWorkerMessage(message));
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('error', (error) => this.failAll(new InferenceError('INTERNAL', `inference worker crashed: ${error.message}`)));
    worker.once('exit', () => this.failAll(new InferenceError('INTERNAL', 'inference worker exited')));
  }

  /** Loads the model folder and starts the worker thread; rejects with MODEL_LOAD_FAILED naming the file. */
  static async load(options: EngineOptions): Promise<InferenceEngine> {
    if (!options || typeof options.modelDir !== 'string' || options.modelDir === '') {
      throw new InferenceError('INVALID_ARGUMENT', 'modelDir is required');
    }
    const positive = (name: string, value: number | undefined, fallback: number, min = 1): number => {
      const chosen = value ?? fallback;
      if (!Number.isInteger(chosen) || chosen < min) {
        throw new InferenceError('INVALID_ARGUMENT', `${name} must be an integer >= ${min}, got ${value}`);
      }
      return chosen;
    };
    const interOpThreads = positive('interOpThreads', options.interOpThreads, 1);
    const maxConcurrency = positive('maxConcurrency', options.maxConcurrency, DEFAULT_MAX_BATCH);
    const maxQueue = positive('maxQueue', options.maxQueue, 16, 0);
    const prefillChunkTokens = positive('prefillChunkTokens', options.prefillChunkTokens, DEFAULT_PREFILL_CHUNK);
    const prefillTokenBudget = positive('prefillTokenBudget', options.prefillTokenBudget, PREFILL_BUDGET_CHUNKS * prefillChunkTokens);
    const kvCacheBudgetMb = megabytesOf('kvCacheBudgetMb', options.kvCacheBudgetMb, DEFAULT_KV_BUDGET_MB);
    const prefixCacheMb = megabytesOf('prefixCacheMb', options.prefixCacheMb, DEFAULT_PREFIX_CACHE_MB, { orZero: true });
    const folder = loadModelFolder(options.modelDir, options.dtype);
    const graphBytes = [folder.onnxPath, ...folder.externalDataPaths].reduce((sum, file) => sum + statSync(file).size, 0);
    const prefillThreads = positive(
      'prefillThreads',
      options.prefillThreads,
      defaultPrefillThreads(graphBytes, kvCacheBudgetMb * 1024 * 1024),
      0,
    );
    const intraOpThreads = positive('intraOpThreads', options.intraOpThreads, defaultIntraOpThreads(prefillThreads));
    const tokenizer = new TextTokenizer(folder);
    const data: EngineWorkerData = {
      onnxPath: folder.onnxPath,
      numLayers: folder.geometry.numLayers,
      numHeads: folder.geometry.numHeads,
      numKvHeads: folder.geometry.numKvHeads,
      headDim: folder.geometry.headDim,
      positionOffset: folder.positionOffset,
      intraOpThreads,
      interOpThreads,
      prefillThreads,
      maxBatchSize: maxConcurrency,
      prefillChunkTokens,
      prefillTokenBudget,
      kvCacheBudgetBytes: kvCacheBudgetMb * 1024 * 1024,
      prefixCacheBytes: Math.floor(prefixCacheMb * 1024 * 1024),
      tuneMatMulNBits: options.tuneMatMulNBits ?? true,
      compileGraph: options.compileGraph ?? true,
      fusedAttention: options.fusedAttention ?? true,
      int8MinRows: positive('int8MinRows', options.int8MinRows, DEFAULT_INT8_MIN_ROWS, 0),
      tunedGraphCacheDir: options.tunedGraphCacheDir,
    };
    const worker = spawnWorkerScript('inference-engine.worker', data);
    const ready = await new Promise<Extract<FromWorker, { type: 'ready' }>>((resolve, reject) => {
      const onMessage = (message: FromWorker): void => {
        if (message.type === 'ready') {
          cleanup();
          resolve(message);
        } else if (message.type === 'loadFailed') {
          cleanup();
          void worker.terminate();
          reject(new InferenceError(message.code, message.message));
        }
      };
      const onError = (error: Error): void => {
        cleanup();
        reject(new InferenceError('MODEL_LOAD_FAILED', `inference worker failed to start: ${error.message}`));
      };
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
    });
    if (ready.maxKvTokens < 2) {
      await worker.terminate();
      throw new InferenceError(
        'INVALID_ARGUMENT',
        `kvCacheBudgetMb ${kvCacheBudgetMb} holds ${ready.maxKvTokens} tokens of this model (${ready.kvBytesPerToken} bytes per token)`,
      );
    }
    // The worker may lower the batch size (graphs that cannot run left-padded batches).
    const engine = new InferenceEngine(
      folder,
      tokenizer,
      worker,
      { maxConcurrency: ready.maxBatchSize, maxQueue },
      {
        maxBatchSize: ready.maxBatchSize,
        intraOpThreads,
        prefillThreads: ready.prefillThreads,
        prefillChunkTokens,
        prefillTokenBudget,
        kvCacheBudgetMb,
        prefixCacheMb,
        kvBytesPerToken: ready.kvBytesPerToken,
        maxKvTokens: ready.maxKvTokens,
        onnxPath: ready.onnxPath,
        tunedMatMulNBitsNodes: ready.tunedNodes,
        lastPositionLogits: ready.lastPositionLogits,
        fusedAttention: ready.fusedAttention,
        int8OnnxPath: ready.int8OnnxPath,
        int8MinRows: ready.int8OnnxPath ? data.int8MinRows : 0,
      },
    );
    engine.warnings.push(...loadWarnings(ready));
    return engine;
  }

  generate(request: GenerationRequest): GenerationHandle {
    if (this.closed || this.workerError) {
      throw new InferenceError('INTERNAL', this.workerError ? this.workerError.message : 'the engine is closed');
    }
    if (!request || typeof request !== 'object') throw new InferenceError('INVALID_ARGUMENT', 'request must be an object');
    const contextLength = this.folder.geometry.contextLength;
    const config = resolveGenerationOptions(request.options, this.folder.generationConfig, this.folder.eosTokenIds, contextLength);
    const promptIds = this.promptIds(request);
    if (promptIds.length >= contextLength) {
      throw new InferenceError(
        'INPUT_TOO_LONG',
        `the prompt has ${promptIds.length} tokens; the model's context is ${contextLength} tokens (prompt plus at least one new token)`,
        { promptTokens: promptIds.length, contextLength },
      );
    }
    const needed = Math.min(promptIds.length + config.maxNewTokens, contextLength);
    if (needed > this.batching.maxKvTokens) {
      throw new InferenceError(
        'INPUT_TOO_LONG',
        `the request needs ${needed} KV cache tokens (prompt ${promptIds.length} + maxNewTokens ${config.maxNewTokens}, ` +
          `capped by the context); the KV budget of ${this.batching.kvCacheBudgetMb} MB holds ${this.batching.maxKvTokens}`,
        { promptTokens: promptIds.length, maxNewTokens: config.maxNewTokens, maxKvTokens: this.batching.maxKvTokens },
      );
    }
    const busy = this.running.size >= this.capacity.maxConcurrency;
    if (busy && this.queue.length >= this.capacity.maxQueue) {
      throw new InferenceError(
        'QUEUE_FULL',
        `the model is busy: ${this.capacity.maxConcurrency} request(s) running and ${this.queue.length} waiting`,
      );
    }
    const state: RequestState = {
      id: this.nextId++,
      promptIds,
      config,
      stream: new GenerationStream(),
      detokenizer: new StreamingDetokenizer((ids) => this.tokenizer.decode(ids)),
      stopMatcher: new StopStringMatcher(config.stop),
      think: new ThinkSplitter({ startsInReasoning: this.promptOpensThinking(promptIds) }),
      tokenIds: [],
      unsentIds: [],
      text: '',
      startedAt: performance.now(),
      finished: false,
      signal: request.signal,
    };
    if (request.signal?.aborted) {
      this.finish(state, 'cancelled');
      return state.stream;
    }
    if (request.signal) {
      state.onAbort = () => this.abort(state);
      request.signal.addEventListener('abort', state.onAbort, { once: true });
    }
    this.queue.push(state);
    this.dispatch();
    return state.stream;
  }

  kvCacheUse(): { budgetTokens: number; reservedTokens: number } {
    const context = this.folder.geometry.contextLength;
    let reservedTokens = 0;
    for (const state of this.running.values()) reservedTokens += Math.min(context, state.promptIds.length + state.config.maxNewTokens);
    return { budgetTokens: this.batching.maxKvTokens, reservedTokens: Math.min(reservedTokens, this.batching.maxKvTokens) };
  }

  async warmUp(): Promise<void> {
    await this.generate({ messages: [{ role: 'user', content: 'Hi' }], options: { maxNewTokens: 2, temperature: 0 } }).result;
  }

  /** Cancels queued and running requests (they resolve as 'cancelled') and stops the worker. */
  async close(): Promise<void> {
    if (this.closed) return this.exited;
    this.closed = true;
    for (const state of this.queue.splice(0)) this.finish(state, 'cancelled');
    for (const state of this.running.values()) this.send({ type: 'cancel', id: state.id });
    this.send({ type: 'close' });
    await this.exited;
  }

  /** The tokenizer and model folder (for tools such as benchmarks). */
  get modelFolder(): ModelFolder {
    return this.folder;
  }

  /** Whether the prompt's end opens a think block (templates that start the reasoning for the model). */
  private promptOpensThinking(promptIds: number[]): boolean {
    return promptOpensThinking(this.tokenizer.decode(promptIds.slice(-PROMPT_TAIL_TOKENS), false));
  }

  private promptIds(request: GenerationRequest): number[] {
    if (request.promptTokenIds !== undefined) {
      const ids = request.promptTokenIds;
      const vocab = this.folder.geometry.vocabSize;
      if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => Number.isInteger(id) && id >= 0 && id < vocab)) {
        throw new InferenceError('INVALID_ARGUMENT', `promptTokenIds must be a non-empty array of ids in [0, ${vocab})`);
      }
      return [...ids];
    }
    const messages = request.messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      throw new InferenceError('INVALID_ARGUMENT', 'messages must be a non-empty array');
    }
    for (const message of messages as ChatMessage[]) {
      if (!message || !ROLES.has(message.role) || typeof message.content !== 'string') {
        throw new InferenceError('INVALID_ARGUMENT', 'each message needs a role (system, user, assistant) and a string content');
      }
    }
    if (messages.every((message) => message.content.trim() === '')) {
      throw new InferenceError('INVALID_ARGUMENT', 'the prompt is empty');
    }
    return this.tokenizer.encodeChat(messages);
  }

  private dispatch(): void {
    // A request keeps its slot until the worker confirms it stopped (results may settle earlier).
    while (this.queue.length > 0 && this.running.size < this.capacity.maxConcurrency) {
      const state = this.queue.shift()!;
      this.running.set(state.id, state);
      state.admittedAt = performance.now();
      this.send({ type: 'generate', id: state.id, promptIds: state.promptIds, config: stripStop(state.config) });
    }
  }

  private abort(state: RequestState): void {
    const queued = this.queue.indexOf(state);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.finish(state, 'cancelled');
      return;
    }
    if (this.running.has(state.id)) this.send({ type: 'cancel', id: state.id });
  }

  private onWorkerMessage(message: FromWorker): void {
    switch (message.type) {
      case 'ready':
      case 'loadFailed':
        return;
      case 'tokens':
        message.ids.forEach((id, i) => this.onToken(id, message.tokens[i]));
        return;
      case 'done': {
        const state = this.running.get(message.id);
        this.running.delete(message.id);
        if (state) state.cachedPromptTokens = message.cachedPromptTokens;
        if (state && !state.finished) this.finish(state, message.finishReason);
        this.dispatch();
        return;
      }
      case 'failed': {
        const state = this.running.get(message.id);
        this.running.delete(message.id);
        if (state && !state.finished) this.fail(state, new InferenceError(message.code, message.message));
        this.dispatch();
        return;
      }
      default:
        return assertNever(message);
    }
  }

  /** Hands one token of a step to its request's stream. */
  private onToken(id: number, token: number): void {
    const state = this.running.get(id);
    if (!state || state.finished) return;
    try {
      this.acceptToken(state, token);
    } catch (error) {
      this.send({ type: 'cancel', id: state.id });
      this.fail(state, new InferenceError('INTERNAL', `decoding token ${token} failed: ${(error as Error).message}`));
    }
  }

  private acceptToken(state: RequestState, token: number): void {
    const now = performance.now();
    state.firstTokenAt ??= now;
    state.lastTokenAt = now;
    state.tokenIds.push(token);
    state.unsentIds.push(token);
    const { emit, stopped } = state.stopMatcher.push(state.detokenizer.push(token));
    this.emit(state, emit);
    if (stopped) {
      // The worker may already be a step ahead: the slot stays taken until it confirms.
      this.send({ type: 'cancel', id: state.id });
      this.finish(state, 'stop_sequence');
    }
  }

  private emit(state: RequestState, text: string): void {
    state.text += text;
    for (const part of state.think.push(text)) {
      state.stream.push({ text: part.text, tokenIds: state.unsentIds.splice(0), channel: part.channel });
    }
  }

  private finish(state: RequestState, finishReason: FinishReason): void {
    if (state.finished) return;
    if (finishReason !== 'stop_sequence')
      this.emit(state, state.stopMatcher.push(state.detokenizer.flush()).emit + state.stopMatcher.flush());
    for (const part of state.think.flush()) {
      state.stream.push({ text: part.text, tokenIds: state.unsentIds.splice(0), channel: part.channel });
    }
    state.finished = true;
    if (state.onAbort) state.signal?.removeEventListener('abort', state.onAbort);
    const end = performance.now();
    const decodeSpan = (state.lastTokenAt ?? end) - (state.firstTokenAt ?? end);
    // From the splitter that labelled the stream: the streamed and the unary answers cannot differ.
    const { reasoning, answer } = state.think;
    state.stream.end({
      text: state.text,
      reasoning,
      answer,
      tokenIds: state.tokenIds,
      promptTokens: state.promptIds.length,
      completionTokens: state.tokenIds.length,
      queuedMs: (state.admittedAt ?? end) - state.startedAt,
      cachedPromptTokens: state.cachedPromptTokens ?? 0,
      timeToFirstTokenMs: state.firstTokenAt !== undefined ? state.firstTokenAt - state.startedAt : 0,
      totalMs: end - state.startedAt,
      decodeTokensPerSecond: state.tokenIds.length > 1 && decodeSpan > 0 ? ((state.tokenIds.length - 1) * 1000) / decodeSpan : 0,
      finishReason,
    });
  }

  private fail(state: RequestState, error: Error): void {
    state.finished = true;
    if (state.onAbort) state.signal?.removeEventListener('abort', state.onAbort);
    state.stream.fail(error);
  }

  private failAll(error: Error): void {
    this.workerError ??= error;
    for (const state of [...this.queue.splice(0), ...this.running.values()]) {
      if (state.finished) continue;
      if (this.closed) this.finish(state, 'cancelled');
      else this.fail(state, error);
    }
    this.running.clear();
  }

  private send(message: ToWorker): void {
    if (!this.workerError) this.worker.postMessage(message);
  }
}

function stripStop(config: ResolvedGenerationConfig & { stop?: string[] }): ResolvedGenerationConfig {
  const { stop: _stop, ...rest } = config;
  return rest;
}

function assertNever(value: never): never {
  throw new Error(`unexpected message ${JSON.stringify(value)}`);
}

/** What the engine says at load about running with less than it asked for. */
function loadWarnings(ready: Extract<FromWorker, { type: 'ready' }>): string[] {
  return [
    ready.compileFallback &&
      `graph compiler: ${ready.compileFallback}; running the export's LM head as it is (prefill computes logits for every prompt position)`,
    ready.fusedAttentionFallback &&
      `graph compiler: ${ready.fusedAttentionFallback}; running the export's attention as it is (each decode step copies the KV cache)`,
    ready.int8Fallback && `graph compiler: ${ready.int8Fallback}; every step runs on the 4-bit graph`,
    ready.prefillFailure && `the prefill thread did not start (${ready.prefillFailure}): prompts are prefilled between decode steps`,
  ].filter((warning): warning is string => !!warning);
}
