import { parentPort, workerData } from 'node:worker_threads';
import { InferenceError } from '../inference.errors';
import { DecoderSession } from '../generation/decoder-session';
import { readFileSync } from 'node:fs';
import { compileDecoderGraph } from '../onnx/graph-compiler';
import { graphOpTypes, tuneMatMulNBits } from '../onnx/matmul-nbits-tuning';
import { BatchScheduler } from './batch-scheduler';
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

async function start(): Promise<void> {
  try {
    let onnxPath = data.onnxPath;
    let tunedNodes = 0;
    let lastPositionLogits = false;
    let compileFallback: string | undefined;
    let fusedAttention = false;
    let fusedAttentionFallback: string | undefined;
    let opTypes = new Set<string>();
    {
      // The graph is read once, for its op types and the compiler, and let go before onnxruntime loads it.
      let graph: Buffer | undefined;
      try {
        graph = readFileSync(data.onnxPath);
        opTypes = graphOpTypes(graph);
        if (data.compileGraph) {
          const compiled = compileDecoderGraph(data.onnxPath, {
            tuneMatMulNBits: data.tuneMatMulNBits,
            cacheDir: data.tunedGraphCacheDir,
            source: graph,
            fusedAttention: data.fusedAttention
              ? { numLayers: data.numLayers, numHeads: data.numHeads, numKvHeads: data.numKvHeads, headDim: data.headDim }
              : undefined,
          });
          ({ onnxPath, tunedNodes, lastPositionLogits, fusedAttention } = compiled);
          compileFallback = compiled.fallbackReason;
          fusedAttentionFallback = compiled.fusedAttentionFallbackReason;
        } else if (data.tuneMatMulNBits) {
          ({ onnxPath, tunedNodes } = tuneMatMulNBits(data.onnxPath, { cacheDir: data.tunedGraphCacheDir, source: graph }));
        }
      } catch (error) {
        // A file the wire reader cannot walk loads as it is, so onnxruntime names what is wrong with it.
        if (data.compileGraph) compileFallback = `the graph could not be read (${(error as Error).message})`;
      }
      graph = undefined;
    }
    try {
      session = await DecoderSession.create({ ...data, onnxPath });
    } catch (error) {
      if (onnxPath === data.onnxPath) throw error;
      // The rewritten copy does not load (a missing external data file, say): the export itself does, or
      // its own error names the file the user knows.
      compileFallback = `onnxruntime could not load the rewritten graph ${onnxPath} (${(error as Error).message})`;
      onnxPath = data.onnxPath;
      tunedNodes = 0;
      lastPositionLogits = false;
      fusedAttention = false;
      session = await DecoderSession.create({ ...data, onnxPath });
    }
    // GroupQueryAttention reads each row's real positions from the start of the KV buffer (right padding,
    // seqlens_k), so a left-padded batch would be wrong: such graphs decode one sequence at a time.
    const leftPaddingUnsafe = opTypes.has('GroupQueryAttention');
    const maxBatchSize = leftPaddingUnsafe ? 1 : data.maxBatchSize;
    const kvBytesPerToken = session.kvBytesPerToken;
    const maxKvTokens = Math.floor(data.kvCacheBudgetBytes / kvBytesPerToken);
    if (data.prefillThreads > 0) {
      const { numLayers, numKvHeads, headDim, positionOffset } = data;
      try {
        const prefixCache =
          data.prefixCacheBytes > 0 ? { blockTokens: PREFIX_BLOCK_TOKENS, budgetBytes: data.prefixCacheBytes } : undefined;
        prefillThread = await PrefillThread.start({
          onnxPath,
          numLayers,
          numKvHeads,
          headDim,
          positionOffset,
          intraOpThreads: data.prefillThreads,
          chunkTokens: PREFILL_THREAD_CHUNK,
          prefixCache,
        });
      } catch (error) {
        // The model loaded here, so it serves without the thread (prompts between decode steps); the host logs why.
        prefillFailure = (error as Error).message;
      }
    }
    scheduler = new BatchScheduler(
      session,
      { maxBatchSize, prefillChunkTokens: data.prefillChunkTokens, prefillTokenBudget: data.prefillTokenBudget, maxKvTokens },
      {
        // One message per step for all its rows, not one per token.
        tokens: (events) => post({ type: 'tokens', ids: events.map((event) => event.id), tokens: events.map((event) => event.token) }),
        done: (id, finishReason, timings) => post({ type: 'done', id, finishReason, ...timings }),
        failed: (id, code, message) => post({ type: 'failed', id, code, message }),
      },
      prefillThread,
    );
    const prefillThreads = prefillThread ? data.prefillThreads : 0;
    post({
      type: 'ready',
      kvDtype: session.kvDtype,
      inputNames: [...session.inputNames],
      kvBytesPerToken,
      maxKvTokens,
      onnxPath,
      tunedNodes,
      lastPositionLogits: lastPositionLogits || session.inputNames.includes('num_logits_to_keep'),
      compileFallback,
      fusedAttention,
      fusedAttentionFallback,
      maxBatchSize,
      prefillThreads,
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
