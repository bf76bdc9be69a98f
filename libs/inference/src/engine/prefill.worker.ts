import { parentPort, workerData } from 'node:worker_threads';
import { DecoderSession } from '../generation/decoder-session';
import { PrefixCache } from '../generation/prefix-cache';
import type { FromPrefill, PrefillWorkerData, ToPrefill } from './engine-protocol';

/**
 * The engine's prefill thread: a second onnxruntime session over the same graph that runs newcomers'
 * prompts while the engine thread keeps decoding the running batch. Prefill is compute-bound and decode
 * memory-bound, so on separate cores they barely slow each other, and running streams never stall
 * behind a prompt. Requests are served one at a time, in arrival order.
 */
const port = parentPort!;
const data = workerData as PrefillWorkerData;
let session: DecoderSession | undefined;
const prefixes = data.prefixCache ? new PrefixCache(data.prefixCache) : undefined;
const queue: { id: number; promptIds: number[] }[] = [];
let busy = false;
let closing = false;

const post = (message: FromPrefill): void => port.postMessage(message);

async function start(): Promise<void> {
  try {
    session = await DecoderSession.create(data);
    post({ type: 'ready' });
  } catch (error) {
    post({ type: 'loadFailed', message: (error as Error).message });
  }
}

port.on('message', (message: ToPrefill) => {
  if (message.type === 'close') {
    closing = true;
    if (!busy) void shutdown();
    return;
  }
  queue.push(message);
  void drain();
});

async function drain(): Promise<void> {
  if (busy || !session) return;
  busy = true;
  try {
    for (let next = queue.shift(); next && !closing; next = queue.shift()) await prefill(session, next.id, next.promptIds);
  } finally {
    busy = false;
  }
  if (closing) await shutdown();
}

async function prefill(decoder: DecoderSession, id: number, promptIds: number[]): Promise<void> {
  const started = performance.now();
  const cache = decoder.newCache();
  try {
    // A cached prefix (the system prompt, a shared few-shot header) is copied in, not recomputed.
    const cachedTokens = prefixes?.restore(promptIds, cache, data.numLayers) ?? 0;
    let logits: Float32Array | undefined;
    for (let at = cachedTokens; at < promptIds.length; at += data.chunkTokens)
      logits = await decoder.step(promptIds.slice(at, at + data.chunkTokens), cache);
    if (!logits) throw new Error('an empty prompt cannot be prefilled');
    prefixes?.store(promptIds, cache, data.numLayers);
    const kv: (Float32Array | Uint16Array)[] = [];
    for (let layer = 0; layer < data.numLayers; layer++) {
      for (const part of ['key', 'value'] as const) kv.push(cache.tensor(layer, part)!.data as Float32Array | Uint16Array);
    }
    // onnxruntime-node's outputs are plain JavaScript buffers, one per tensor: they move, not copy.
    const whole = kv
      .filter((array) => array.byteOffset === 0 && array.byteLength === array.buffer.byteLength)
      .map((array) => array.buffer as ArrayBuffer);
    const message: FromPrefill = {
      type: 'prefilled',
      id,
      logits: logits.slice(),
      kv,
      kvDims: [...cache.tensor(0, 'key')!.dims],
      length: cache.length,
      ms: performance.now() - started,
      cachedTokens,
    };
    port.postMessage(message, [...new Set(whole)]);
  } catch (error) {
    post({ type: 'failed', id, message: (error as Error).message });
  } finally {
    cache.dispose();
  }
}

async function shutdown(): Promise<void> {
  const current = session;
  session = undefined;
  await current?.release();
  port.close();
}

void start();
