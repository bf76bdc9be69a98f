import type {
  GenerationHandle,
  GenerationRequest,
  GenerationResult,
  ModelInfo,
  TextGenerationEngine,
  TokenChunk,
} from '../src/engine.types';

/**
 * A stand-in for libs/inference in tests of the worker runtime: the same admission rules
 * (QUEUE_FULL thrown synchronously past maxConcurrency + maxQueue), the same AbortSignal
 * behaviour (resolves 'cancelled' with the partial output, frees the slot), deterministic text.
 * A prompt containing HANG emits one token and then waits until it is aborted. `reply` may be a
 * script: a function of the call's number (0, 1, …) and request, so samples can answer differently.
 */
export class FakeEngine implements TextGenerationEngine {
  readonly info: ModelInfo = {
    modelId: 'fake/tiny',
    modelDir: '/nowhere',
    parameterCount: 1234,
    dtype: 'fp32',
    contextLength: 512,
    syntheticWeights: true,
  };
  readonly capacity: { maxConcurrency: number; maxQueue: number };
  active = 0;
  private waiting: Array<() => void> = [];
  readonly requests: GenerationRequest[] = [];
  warmedUp = false;
  closed = false;

  /** Makes the next `generate` calls throw this error (a transient failure). */
  failNext: Error[] = [];
  /** When false, HANG in a prompt is ignored (a replica that completes what another left). */
  honourHang = true;

  constructor(
    capacity = { maxConcurrency: 1, maxQueue: 0 },
    private readonly reply:
      string | ((call: number, request: GenerationRequest) => string) = '<think>2 plus 2 is 4</think>The answer is \\boxed{4}.',
  ) {
    this.capacity = capacity;
  }

  generate(request: GenerationRequest): GenerationHandle {
    if (request.messages.length === 0) throw Object.assign(new Error('messages is empty'), { code: 'INVALID_ARGUMENT' });
    if (this.active >= this.capacity.maxConcurrency && this.waiting.length >= this.capacity.maxQueue) {
      throw Object.assign(new Error(`queue of ${this.capacity.maxQueue} is full`), { code: 'QUEUE_FULL' });
    }
    const failure = this.failNext.shift();
    if (failure) throw failure;
    const call = this.requests.length;
    this.requests.push(request);
    const reply = typeof this.reply === 'function' ? this.reply(call, request) : this.reply;
    const hang = this.honourHang && request.messages.some((m) => m.content.includes('HANG'));
    const chunks: TokenChunk[] = [];
    const raw: string[] = [];
    let resolveResult!: (r: GenerationResult) => void;
    const result = new Promise<GenerationResult>((resolve) => (resolveResult = resolve));
    const pending: Array<(c: IteratorResult<TokenChunk>) => void> = [];
    const queued: Array<IteratorResult<TokenChunk>> = [];
    const push = (item: IteratorResult<TokenChunk>) => {
      const taker = pending.shift();
      if (taker) taker(item);
      else queued.push(item);
    };
    void (async () => {
      await this.acquire(request.signal);
      const started = performance.now();
      const pieces = this.tokenize(reply);
      let finishReason: GenerationResult['finishReason'] = 'stop';
      const max = request.options?.maxNewTokens ?? Infinity;
      for (let i = 0; i < pieces.length; i++) {
        if (request.signal?.aborted) {
          finishReason = 'cancelled';
          break;
        }
        if (i >= max) {
          finishReason = 'length';
          break;
        }
        const piece = pieces[i] as { raw: string; chunk: TokenChunk };
        raw.push(piece.raw);
        chunks.push(piece.chunk);
        // Like libs/inference's engine: the think markers are not streamed, nor is a chunk left empty.
        if (piece.chunk.text) push({ value: piece.chunk, done: false });
        if (hang && i === 0)
          await new Promise<void>((resolve) =>
            request.signal ? request.signal.addEventListener('abort', () => resolve(), { once: true }) : undefined,
          );
        await new Promise((resolve) => setImmediate(resolve));
      }
      this.release();
      const text = raw.join('');
      const reasoning = chunks
        .filter((c) => c.channel === 'reasoning')
        .map((c) => c.text)
        .join('');
      const answer = chunks
        .filter((c) => c.channel === 'answer')
        .map((c) => c.text)
        .join('');
      push({ value: undefined, done: true });
      resolveResult({
        text,
        reasoning,
        answer,
        tokenIds: chunks.flatMap((c) => c.tokenIds),
        promptTokens: request.messages.reduce((n, m) => n + m.content.split(/\s+/).length, 0),
        completionTokens: chunks.length,
        queuedMs: 0,
        cachedPromptTokens: 0,
        timeToFirstTokenMs: 1,
        totalMs: performance.now() - started,
        decodeTokensPerSecond: 1000,
        finishReason,
      });
    })();
    return {
      result,
      [Symbol.asyncIterator]: () => ({
        next: () => {
          const item = queued.shift();
          return item ? Promise.resolve(item) : new Promise<IteratorResult<TokenChunk>>((resolve) => pending.push(resolve));
        },
      }),
    };
  }

  async warmUp(): Promise<void> {
    this.warmedUp = true;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private tokenize(text: string): Array<{ raw: string; chunk: TokenChunk }> {
    const end = text.indexOf('</think>');
    const parts = text.split(/(?<=\s)|(?=<\/think>)|(?<=<\/think>)/);
    let position = 0;
    return parts.map((part, i) => {
      const chunk: TokenChunk = {
        text: part.replace(/<\/?think>/g, ''),
        tokenIds: [i + 10],
        channel: end >= 0 && position < end + '</think>'.length - 1 ? 'reasoning' : 'answer',
      };
      position += part.length;
      return { raw: part, chunk };
    });
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (this.active < this.capacity.maxConcurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const go = () => {
        this.active++;
        resolve();
      };
      this.waiting.push(go);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.waiting.indexOf(go);
          if (i >= 0) this.waiting.splice(i, 1);
          resolve();
          this.active++;
        },
        { once: true },
      );
    });
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}
