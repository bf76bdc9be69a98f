/** What every engine benchmark is told about the model it loads. */
export interface BenchModelOptions {
  /** The model folder (Hub layout) the engine runs. */
  modelDir: string;
  /** The graph to run (fp32, q4, …). Default: the folder's. */
  dtype?: string;
  /** Fused attention over shared KV buffers (EngineOptions.fusedAttention). Default: the engine's (on). */
  fusedAttention?: boolean;
}
