import type { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { KvCache } from '../generation/kv-cache';
import type { FromPrefill, PrefillWorkerData } from './engine-protocol';
import { spawnWorkerScript } from './worker-script';

/** A prompt prefilled on the prefill thread: the last position's logits, its time, and its KV cache. */
export interface RemotePrefill {
  logits: Float32Array;
  ms: number;
  /** Prompt tokens taken from the prefix cache rather than computed. */
  cachedTokens: number;
  /** Fills `cache` (empty) with the prompt's keys and values. */
  into(cache: KvCache): KvCache;
}

/**
 * The engine thread's handle on its prefill thread (prefill.worker.ts): `prefill(promptIds)` resolves when
 * the prompt has run there. If the thread dies, pending and later prefills reject and `alive` turns false,
 * so the scheduler goes back to prefilling on its own thread.
 */
export class PrefillThread {
  private readonly pending = new Map<number, { resolve: (value: RemotePrefill) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private dead: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly data: PrefillWorkerData,
  ) {
    worker.on('message', (message: FromPrefill) => this.onMessage(message));
    worker.on('error', (error) => this.die(new Error(`prefill thread crashed: ${error.message}`)));
    worker.once('exit', () => this.die(new Error('prefill thread exited')));
  }

  /** Starts the thread and loads its session; rejects with the load error. */
  static start(data: PrefillWorkerData): Promise<PrefillThread> {
    const worker = spawnWorkerScript('prefill.worker', data);
    return new Promise((resolve, reject) => {
      const onMessage = (message: FromPrefill): void => {
        if (message.type !== 'ready' && message.type !== 'loadFailed') return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        if (message.type === 'ready') resolve(new PrefillThread(worker, data));
        else void worker.terminate().then(() => reject(new Error(message.message)));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  prefill(promptIds: readonly number[]): Promise<RemotePrefill> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'prefill', id, promptIds: [...promptIds] });
    });
  }

  /** Lets the current prefill finish, then stops the thread. */
  async close(): Promise<void> {
    if (this.dead) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'close' });
    await exited;
  }

  private onMessage(message: FromPrefill): void {
    if (message.type !== 'prefilled' && message.type !== 'failed') return;
    const waiter = this.pending.get(message.id);
    this.pending.delete(message.id);
    if (!waiter) return;
    if (message.type === 'failed') return waiter.reject(new Error(message.message));
    const { kv, kvDims, length, logits, ms, cachedTokens } = message;
    const { numLayers } = this.data;
    waiter.resolve({
      logits,
      ms,
      cachedTokens,
      into: (cache) => {
        const outputs: Record<string, ort.Tensor> = {};
        for (let layer = 0; layer < numLayers; layer++) {
          for (const [part, name] of ['key', 'value'].entries()) {
            outputs[`present.${layer}.${name}`] = new ort.Tensor(cache.dtype, kv[layer * 2 + part], kvDims);
          }
        }
        cache.load(outputs, length);
        return cache;
      },
    });
  }

  private die(error: Error): void {
    if (this.dead) return;
    this.dead = error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
