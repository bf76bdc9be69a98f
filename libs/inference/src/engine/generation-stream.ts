import type { GenerationHandle, GenerationResult, TokenChunk } from '../inference.types';

/** A GenerationHandle fed by the engine: chunks are buffered until the consumer pulls them. */
export class GenerationStream implements GenerationHandle {
  readonly result: Promise<GenerationResult>;
  private readonly chunks: TokenChunk[] = [];
  private waiting: (() => void) | undefined;
  private ended = false;
  private failure: Error | undefined;
  private resolveResult!: (result: GenerationResult) => void;
  private rejectResult!: (error: Error) => void;

  constructor() {
    this.result = new Promise<GenerationResult>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    // Callers that only iterate must not see an unhandled rejection; `result` still rejects for them.
    this.result.catch(() => undefined);
  }

  push(chunk: TokenChunk): void {
    this.chunks.push(chunk);
    this.wake();
  }

  end(result: GenerationResult): void {
    this.ended = true;
    this.resolveResult(result);
    this.wake();
  }

  fail(error: Error): void {
    this.ended = true;
    this.failure = error;
    this.rejectResult(error);
    this.wake();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TokenChunk> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk) {
        yield chunk;
        continue;
      }
      if (this.ended) {
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }
}
