/** The dimensions of a decoder; the presets copy MobileLLM-R1's published geometry (MODELS.md). */
export interface DecoderGeometry {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  maxPositionEmbeddings: number;
  ropeTheta: number;
  rmsNormEps: number;
}

export type SynthPreset = 'tiny' | 'mobilellm-r1-140m' | 'mobilellm-r1-360m' | 'mobilellm-r1-950m';
export type SynthDtype = 'fp32' | 'q4';
export const SYNTH_PRESETS: readonly SynthPreset[] = ['tiny', 'mobilellm-r1-140m', 'mobilellm-r1-360m', 'mobilellm-r1-950m'];
export const SYNTH_DTYPES: readonly SynthDtype[] = ['fp32', 'q4'];

const REAL_COMMON = { vocabSize: 128256, headDim: 64, maxPositionEmbeddings: 32768, ropeTheta: 8e6, rmsNormEps: 1e-5 };

/** Geometry per preset; `tiny` takes its vocabulary size from the synthetic tokenizer. */
export const PRESET_GEOMETRY: Record<SynthPreset, DecoderGeometry> = {
  tiny: {
    vocabSize: 0,
    hiddenSize: 64,
    intermediateSize: 128,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 16,
    maxPositionEmbeddings: 512,
    ropeTheta: 10000,
    rmsNormEps: 1e-5,
  },
  'mobilellm-r1-140m': { ...REAL_COMMON, hiddenSize: 576, intermediateSize: 2048, numLayers: 15, numHeads: 9, numKvHeads: 3 },
  'mobilellm-r1-360m': { ...REAL_COMMON, hiddenSize: 1024, intermediateSize: 4096, numLayers: 15, numHeads: 16, numKvHeads: 4 },
  'mobilellm-r1-950m': { ...REAL_COMMON, hiddenSize: 1536, intermediateSize: 6144, numLayers: 22, numHeads: 24, numKvHeads: 6 },
};

/** Parameters of a decoder with tied embeddings (norm weights included). */
export function parameterCount(g: DecoderGeometry): number {
  const attention = g.hiddenSize * g.headDim * (2 * g.numHeads + 2 * g.numKvHeads);
  const mlp = 3 * g.hiddenSize * g.intermediateSize;
  return g.vocabSize * g.hiddenSize + g.numLayers * (attention + mlp + 2 * g.hiddenSize) + g.hiddenSize;
}
