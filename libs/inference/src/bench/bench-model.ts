/** What every engine benchmark is told about the model it loads. */
export interface BenchModelOptions {
  /** The model folder (Hub layout) the engine runs. */
  modelDir: string;
  /** The graph to run (fp32, q4, …). Default: the folder's. */
  dtype?: string;
  /** Fused attention over shared KV buffers (EngineOptions.fusedAttention). Default: the engine's (on). */
  fusedAttention?: boolean;
  /** Prompts on the int8 graph (EngineOptions.int8Prefill). Default: the engine's (on). */
  int8Prefill?: boolean;
}

/** The engine options a benchmark's model options stand for. */
export function benchEngineOptions(options: BenchModelOptions): BenchModelOptions {
  const { modelDir, dtype, fusedAttention, int8Prefill } = options;
  return { modelDir, dtype, fusedAttention, int8Prefill };
}
