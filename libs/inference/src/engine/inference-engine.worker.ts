import { parentPort, workerData } from 'node:worker_threads';
import { InferenceError } from '../inference.errors';
import { DecoderSession } from '../generation/decoder-session';
import { TokenGenerator } from '../generation/token-generator';
import type { EngineWorkerData, FromWorker, ToWorker } from './engine-protocol';

/**
 * The engine's worker thread: owns the onnxruntime session and every request's generator and KV cache.
 * Active requests advance one step each in turn (the seam where continuous batching will go); between
 * steps the thread yields so cancel messages arrive within one step.
 */
interface Active {
  generator: TokenGenerator;
  cancelled: boolean;
}

const port = parentPort!;
const data = workerData as EngineWorkerData;
const active = new Map<number, Active>();
let session: DecoderSession | undefined;
let looping = false;
let closing = false;

const post = (message: FromWorker): void => port.postMessage(message);
const yieldToMessages = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function start(): Promise<void> {
  try {
    session = await DecoderSession.create(data);
    post({ type: 'ready', kvDtype: session.kvDtype, inputNames: [...session.inputNames] });
  } catch (error) {
    const code = error instanceof InferenceError ? error.code : 'MODEL_LOAD_FAILED';
    post({ type: 'loadFailed', code, message: (error as Error).message });
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'generate':
      if (!session) return post({ type: 'failed', id: message.id, code: 'INTERNAL', message: 'model not loaded' });
      active.set(message.id, { generator: new TokenGenerator(session, message.promptIds, message.config), cancelled: false });
      void loop();
      return;
    case 'cancel': {
      const request = active.get(message.id);
      if (request) request.cancelled = true;
      return;
    }
    case 'close':
      closing = true;
      for (const request of active.values()) request.cancelled = true;
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
    while (active.size > 0) {
      for (const [id, request] of [...active]) {
        if (request.cancelled) {
          finish(id, request, 'cancelled');
          continue;
        }
        try {
          const { token, finishReason } = await request.generator.step();
          post({ type: 'token', id, token });
          if (finishReason) finish(id, request, finishReason);
        } catch (error) {
          request.generator.dispose();
          active.delete(id);
          post({ type: 'failed', id, code: 'INTERNAL', message: (error as Error).message });
        }
        await yieldToMessages();
      }
    }
  } finally {
    looping = false;
  }
  if (closing) await shutdown();
}

function finish(id: number, request: Active, finishReason: Extract<FromWorker, { type: 'done' }>['finishReason']): void {
  request.generator.dispose();
  active.delete(id);
  post({ type: 'done', id, finishReason, prefillMs: request.generator.prefillMs, decodeMs: request.generator.decodeMs });
}

async function shutdown(): Promise<void> {
  await session?.release();
  session = undefined;
  port.close();
}

function assertNever(value: never): never {
  throw new Error(`unexpected message ${JSON.stringify(value)}`);
}

void start();
