import { parentPort, workerData } from 'node:worker_threads';
import { InferenceError } from '../inference.errors';
import { DecoderSession } from '../generation/decoder-session';
import { PrefixCache, type PrefixCacheOptions } from '../generation/prefix-cache';
import { readFileSync } from 'node:fs';
import { compileDecoderGraph } from '../onnx/graph-compiler';
import { graphOpTypes, tuneMatMulNBits } from '../onnx/matmul-nbits-tuning';
import { BatchScheduler } from './batch-scheduler';
import { int8WeightsOf } from './cpu-features';
import type { EngineWorkerData, FromWorker, ToWorker } from './engine-protocol';
import { PrefillThread } from './prefill-thread';

/**
 * The engine's worker thread: owns the onnxruntime session and a BatchScheduler (continuous batching).
 * Between two scheduler ticks (one decode step of the whole batch, at most one prefill chunk) the thread
 * yields, so new requests join and cancel messages arrive within one step.
 */
const port = parentPort!;
const data = workerData as EngineWorkerData;
let session: DecoderSession | undefined;
let prefillThread: PrefillThread | undefined;
let prefillFailure: string | undefined;
let scheduler: BatchScheduler | undefined;
let looping = false;
let closing = false;

/**
 * Prompt tokens per run on the prefill thread: long prompts run in pieces to bound the run's transient
 * memory (an export whose LM head the graph compiler could not rewrite returns logits for every position:
 * 128 × a 128k vocabulary is 64 MB in float32). Prefill speed per token is about the same from 64 to 512
 * tokens a run.
 */
const PREFILL_THREAD_CHUNK = 128;
/**
 * Prompt prefixes are reused in blocks of this many tokens: small enough that a system prompt or a
 * shared header is reused almost whole, large enough that a prompt's block hashes cost nothing.
 */
const PREFIX_BLOCK_TOKENS = 16;

const post = (message: FromWorker): void => port.postMessage(message);
const yieldToMessages = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The graphs onnxruntime loads, and what the compiler did or could not do to them. */
interface PreparedGraphs {
  onnxPath: string;
  /** The int8 copy prompts run on, when there is one. */
  int8OnnxPath?: string;
  tunedNodes: number;
  lastPositionLogits: boolean;
  compileFallback?: string;
  fusedAttention: boolean;
  fusedAttentionFallback?: string;
  int8Fallback?: string;
  opTypes: Set<string>;
}

/** Reads the export once (op types, compiler input) and compiles or tunes it as `data` asks. */
function prepareGraphs(): PreparedGraphs {
  const prepared: PreparedGraphs = {
    onnxPath: data.onnxPath,
    tunedNodes: 0,
    lastPositionLogits: false,
    fusedAttention: false,
    opTypes: new Set(),
  };
  try {
    // Read here and let go when this returns, before onnxruntime loads the graph.
    const graph = readFileSync(data.onnxPath);
    prepared.opTypes = graphOpTypes(graph);
    if (data.compileGraph) {
      const options = {
        tuneMatMulNBits: data.tuneMatMulNBits,
        cacheDir: data.tunedGraphCacheDir,
        source: graph,
        fusedAttention: data.fusedAttention
          ? { numLayers: data.numLayers, numHeads: data.numHeads, numKvHeads: data.numKvHeads, headDim: data.headDim }
          : undefined,
      };
      const compiled = compileDecoderGraph(data.onnxPath, options);
      Object.assign(prepared, {
        onnxPath: compiled.onnxPath,
        tunedNodes: compiled.tunedNodes,
        lastPositionLogits: compiled.lastPositionLogits,
        fusedAttention: compiled.fusedAttention,
        compileFallback: compiled.fallbackReason,
        fusedAttentionFallback: compiled.fusedAttentionFallbackReason,
      });
      // Graphs without 4-bit products (fp32, fp16) have nothing for the int8 pass to do: no warning.
      if (data.int8MinRows > 0 && prepared.opTypes.has('MatMulNBits')) {
        const cpu = int8WeightsOf();
        const int8 =
          'weights' in cpu ? compileDecoderGraph(data.onnxPath, { ...options, int8: true, int8Weights: cpu.weights }) : undefined;
        if (int8 && int8.int8Products > 0) prepared.int8OnnxPath = int8.onnxPath;
        else prepared.int8Fallback = 'unsupported' in cpu ? cpu.unsupported : int8?.int8FallbackReason;
      }
    } else if (data.tuneMatMulNBits) {
      Object.assign(prepared, tuneMatMulNBits(data.onnxPath, { cacheDir: data.tunedGraphCacheDir, source: graph }));
    }
  } catch (error) {
    // A file the wire reader cannot walk loads as it is, so onnxruntime names what is wrong with it.
    if (data.compileGraph) prepared.compileFallback = `the graph could not be read (${(error as Error).message})`;
  }
  return prepared;
}

/**
 * The session over the prepared graphs, falling back to fewer rewrites when one does not load: without the
 * int8 graph, then the export itself (a missing external data file, say: its own error then names
 * the file the user knows).
 */
async function loadDecoder(prepared: PreparedGraphs): Promise<DecoderSession> {
  const { onnxPath, int8OnnxPath } = prepared;
  if (int8OnnxPath) {
    try {
      return await DecoderSession.create({ ...data, onnxPath, int8OnnxPath, int8MinRows: data.int8MinRows });
    } catch (error) {
      prepared.int8Fallback = `the int8 graph did not load (${(error as Error).message})`;
      prepared.int8OnnxPath = undefined;
    }
  }
  try {
    return await DecoderSession.create({ ...data, onnxPath });
  } catch (error) {
    if (onnxPath === data.onnxPath) throw error;
    Object.assign(prepared, {
      compileFallback: `onnxruntime could not load the rewritten graph ${onnxPath} (${(error as Error).message})`,
      onnxPath: data.onnxPath,
      tunedNodes: 0,
      lastPositionLogits: false,
      fusedAttention: false,
    });
    return DecoderSession.create({ ...data, onnxPath: data.onnxPath });
  }
}

/** The prefill thread, on the graph prompts run on; undefined (and `prefillFailure` set) when it did not start. */
async function startPrefillThread(prepared: PreparedGraphs): Promise<PrefillThread | undefined> {
  const { numLayers, numKvHeads, headDim, positionOffset } = data;
  try {
    return await PrefillThread.start({
      // Every run there is a prompt (many rows): the int8 graph alone serves it.
      onnxPath: prepared.int8OnnxPath ?? prepared.onnxPath,
      numLayers,
      numKvHeads,
      headDim,
      positionOffset,
      intraOpThreads: data.prefillThreads,
      chunkTokens: PREFILL_THREAD_CHUNK,
      prefixCache: prefixCacheOptions(),
    });
  } catch (error) {
    // The model loaded here, so it serves without the thread (prompts between decode steps); the host logs why.
    prefillFailure = (error as Error).message;
    return undefined;
  }
}

/** The prefix cache's options; undefined when it is off. */
function prefixCacheOptions(): PrefixCacheOptions | undefined {
  return data.prefixCacheBytes > 0 ? { blockTokens: PREFIX_BLOCK_TOKENS, budgetBytes: data.prefixCacheBytes } : undefined;
}

async function start(): Promise<void> {
  try {
    const prepared = prepareGraphs();
    session = await loadDecoder(prepared);
    // An export's own GroupQueryAttention reads each row's real positions from the start of the KV buffer
    // (right padding), so a left-padded batch would be wrong: such graphs decode one sequence at a time.
    const leftPaddingUnsafe = prepared.opTypes.has('GroupQueryAttention');
    const maxBatchSize = leftPaddingUnsafe ? 1 : data.maxBatchSize;
    const kvBytesPerToken = session.kvBytesPerToken;
    const maxKvTokens = Math.floor(data.kvCacheBudgetBytes / kvBytesPerToken);
    if (data.prefillThreads > 0) prefillThread = await startPrefillThread(prepared);
    // Prompts prefilled here (no prefill thread) reuse prefixes here; the prefill thread keeps its own.
    const prefixOptions = prefillThread ? undefined : prefixCacheOptions();
    scheduler = new BatchScheduler(
      session,
      {
        maxBatchSize,
        prefillChunkTokens: data.prefillChunkTokens,
        prefillTokenBudget: data.prefillTokenBudget,
        maxKvTokens,
        prefixes: prefixOptions && new PrefixCache(prefixOptions),
      },
      {
        // One message per step for all its rows, not one per token.
        tokens: (events) => post({ type: 'tokens', ids: events.map((event) => event.id), tokens: events.map((event) => event.token) }),
        done: (id, finishReason, timings) => post({ type: 'done', id, finishReason, ...timings }),
        failed: (id, code, message) => post({ type: 'failed', id, code, message }),
      },
      prefillThread,
    );
    post({
      type: 'ready',
      kvDtype: session.kvDtype,
      inputNames: [...session.inputNames],
      kvBytesPerToken,
      maxKvTokens,
      onnxPath: prepared.onnxPath,
      int8OnnxPath: prepared.int8OnnxPath,
      tunedNodes: prepared.tunedNodes,
      lastPositionLogits: prepared.lastPositionLogits || session.inputNames.includes('num_logits_to_keep'),
      compileFallback: prepared.compileFallback,
      fusedAttention: prepared.fusedAttention,
      fusedAttentionFallback: prepared.fusedAttentionFallback,
      int8Fallback: prepared.int8Fallback,
      maxBatchSize,
      prefillThreads: prefillThread ? data.prefillThreads : 0,
      prefillFailure,
    });
  } catch (error) {
    const code = error instanceof InferenceError ? error.code : 'MODEL_LOAD_FAILED';
    post({ type: 'loadFailed', code, message: (error as Error).message });
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'generate':
      if (!scheduler || closing) return post({ type: 'failed', id: message.id, code: 'INTERNAL', message: 'model not loaded' });
      scheduler.submit(message.id, message.promptIds, message.config);
      void loop();
      return;
    case 'cancel':
      scheduler?.cancel(message.id);
      return;
    case 'close':
      closing = true;
      scheduler?.cancelAll();
      if (!looping) void shutdown();
      return;
    default:
      return assertNever(message);
  }
});

async function loop(): Promise<void> {
  if (looping) return;
  looping = true;
  try {
    while (scheduler && !scheduler.idle) {
      await scheduler.tick();
      await yieldToMessages();
    }
  } finally {
    looping = false;
  }
  if (closing) await shutdown();
}

async function shutdown(): Promise<void> {
  scheduler?.dispose();
  scheduler = undefined;
  await prefillThread?.close();
  prefillThread = undefined;
  await session?.release();
  session = undefined;
  port.close();
}

function assertNever(value: never): never {
  throw new Error(`unexpected message ${JSON.stringify(value)}`);
}

void start();
