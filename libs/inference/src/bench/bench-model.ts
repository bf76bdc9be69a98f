/** What every engine benchmark is told about the model it loads. */
export interface BenchModelOptions {
  /** The model folder (Hub layout) the engine runs. */
  modelDir: string;
  /** The graph to run (fp32, q4, …). Default: the folder's. */
  dtype?: string;
  /** Fused attention over shared KV buffers (EngineOptions.fusedAttention). Default: the engine's (on). */
  fusedAttention?: boolean;
  /** Steps of at least this many rows on the int8 graph, 0: none (EngineOptions.int8MinRows). Default: the engine's. */
  int8MinRows?: number;
}

/** The engine options a benchmark's model options stand for. */
export function benchEngineOptions(options: BenchModelOptions): BenchModelOptions {
  const { modelDir, dtype, fusedAttention, int8MinRows } = options;
  return { modelDir, dtype, fusedAttention, int8MinRows };
}
