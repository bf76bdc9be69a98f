import * as ort from 'onnxruntime-node';

export type KvDtype = 'float32' | 'float16';

/**
 * The key/value cache of one sequence: owns the `present.*` tensors of the last step and feeds them back
 * as `past_key_values.*`. Replaced tensors are disposed at once, and `dispose()` frees everything, so a
 * finished or cancelled request gives its memory back immediately.
 */
export class KvCache {
  private tensors = new Map<string, ort.Tensor>();
  private disposed = false;
  /** Tokens held (the past sequence length). */
  length = 0;

  constructor(
    private readonly numLayers: number,
    private readonly numKvHeads: number,
    private readonly headDim: number,
    readonly dtype: KvDtype,
  ) {}

  /** The `past_key_values.*` feeds: zero-length tensors before the first step. */
  feeds(batchSize = 1): Record<string, ort.Tensor> {
    if (this.disposed) throw new Error('KV cache used after dispose');
    const feeds: Record<string, ort.Tensor> = {};
    for (let i = 0; i < this.numLayers; i++) {
      for (const part of ['key', 'value'] as const) {
        feeds[`past_key_values.${i}.${part}`] =
          this.tensors.get(`present.${i}.${part}`) ?? this.empty(batchSize);
      }
    }
    return feeds;
  }

  /** Takes ownership of the `present.*` outputs of a step and frees the previous ones. */
  update(outputs: ort.InferenceSession.OnnxValueMapType, newLength: number): void {
    for (let i = 0; i < this.numLayers; i++) {
      for (const part of ['key', 'value'] as const) {
        const name = `present.${i}.${part}`;
        const tensor = outputs[name] as ort.Tensor | undefined;
        if (!tensor) throw new Error(`the graph returned no ${name}`);
        this.tensors.get(name)?.dispose();
        this.tensors.set(name, tensor);
      }
    }
    this.length = newLength;
  }

  /** The `present.{layer}.{part}` tensor of the last step ([1, kv_heads, length, head_dim]), if any. */
  tensor(layer: number, part: 'key' | 'value'): ort.Tensor | undefined {
    return this.tensors.get(`present.${layer}.${part}`);
  }

  dispose(): void {
    for (const tensor of this.tensors.values()) tensor.dispose();
    this.tensors.clear();
    this.disposed = true;
    this.length = 0;
  }

  private empty(batchSize: number): ort.Tensor {
    const dims = [batchSize, this.numKvHeads, 0, this.headDim];
    return this.dtype === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
  }
}
