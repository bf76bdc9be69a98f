import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FinishReason } from '../inference.types';
import { DecoderSession } from '../generation/decoder-session';
import { repetitionPenalty, softmax, temperatureScaling, topK, topP } from '../generation/logits-processors';
import { type ResolvedGenerationConfig, TokenGenerator } from '../generation/token-generator';
import { type ModelFolder, loadModelFolder } from '../model/model-folder';
import { SeededRandom } from '../seeded-random';
import { compileDecoderGraph } from '../onnx/graph-compiler';
import { synthesizeModel } from '../synth/synthesize-model';
import { BatchScheduler, type PromptPrefiller, type SchedulerEvents } from './batch-scheduler';
import { PrefillThread } from './prefill-thread';

/**
 * A batched token may differ from its solo run's only where noise can flip it: a greedy top-2 logit margin
 * below `topTwo`, or a seeded draw within `draw` of its token's or nucleus's edge. Noise: kernels of other
 * row counts sum in another order (~1e-5), and in q4 the int8 activations (accuracy level 4) can turn that
 * into one rounding step: a relative 1e-6 change to the tiny q4 model's KV cache moved some logits by 0.045.
 */
const NOISE_MARGINS = { fp32: { topTwo: 1e-4, draw: 1e-3 }, q4: { topTwo: 0.1, draw: 0.05 } } as const;

interface Request {
  id: number;
  prompt: number[];
  config: ResolvedGenerationConfig;
  /** Tick at which the request arrives. */
  arrivesAt: number;
  /** Tick at which it is cancelled (mid-batch), if any. */
  cancelAt?: number;
}

interface Outcome {
  tokens: number[];
  finishReason?: FinishReason;
}

const VARIANTS = [
  { name: 'fp32', dtype: 'fp32' as const },
  { name: 'q4', dtype: 'q4' as const },
  { name: 'fp32 with float16 KV and num_logits_to_keep', dtype: 'fp32' as const, kvCacheDtype: 'float16' as const, numLogitsToKeep: true },
];

describe.each(VARIANTS)('continuous batching on the tiny $name model', ({ dtype, ...variant }) => {
  let dir: string;
  let folder: ModelFolder;
  let session: DecoderSession;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'slm-batch-'));
    await synthesizeModel({ preset: 'tiny', dtype, outDir: dir, ...variant });
    folder = loadModelFolder(dir);
    session = await DecoderSession.create({
      onnxPath: folder.onnxPath,
      numLayers: folder.geometry.numLayers,
      numKvHeads: folder.geometry.numKvHeads,
      headDim: folder.geometry.headDim,
      intraOpThreads: 1,
    });
  });

  afterAll(async () => {
    await session?.release();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (maxNewTokens: number, sampled: boolean, seed: number): ResolvedGenerationConfig => ({
    maxNewTokens,
    temperature: sampled ? 0.9 : 0,
    topP: sampled ? 0.9 : 1,
    topK: sampled ? 40 : 0,
    seed,
    repetitionPenalty: sampled ? 1.1 : 1,
    eosTokenIds: folder.eosTokenIds,
    contextLength: folder.geometry.contextLength,
  });

  /** Mixed prompt lengths (3 to 150 tokens), output lengths and arrival times; odd ids sample with a seed. */
  const requests = (): Request[] => {
    const random = new SeededRandom(7);
    const promptLengths = [5, 150, 17, 3, 64, 40, 90, 9, 33, 120];
    const newTokens = [30, 12, 45, 20, 8, 36, 25, 40, 15, 28];
    const arrivals = [0, 0, 1, 3, 4, 9, 15, 16, 30, 31];
    return promptLengths.map((length, i) => ({
      id: i + 1,
      prompt: Array.from({ length }, () => 10 + (random.nextUint32() % 240)),
      config: config(newTokens[i], i % 2 === 1, 1000 + i),
      arrivesAt: arrivals[i],
    }));
  };

  /** The request alone through TokenGenerator.step (prefill, batch-1 decode), with the top-2 margin of each step. */
  const solo = async (request: Request): Promise<Outcome & { margins: number[] }> => {
    const margins: number[] = [];
    const spy = Object.create(session) as DecoderSession;
    const draws = new SeededRandom(request.config.seed);
    const tokens: number[] = [];
    /** The tokens the margins' replay of each seeded draw picked: they must be the sampler's. */
    const replayed: number[] = [];
    spy.step = async (stepTokens, cache) => {
      const logits = await session.step(stepTokens, cache);
      if (request.config.temperature === 0) margins.push(topTwoMargin(logits));
      else {
        const draw = drawMargin(logits, [...request.prompt, ...tokens], request.config, draws.next());
        margins.push(draw.margin);
        replayed.push(draw.token);
      }
      return logits;
    };
    const generator = new TokenGenerator(spy, request.prompt, request.config);
    try {
      for (;;) {
        const { token, finishReason } = await generator.step();
        tokens.push(token);
        if (replayed.length > 0) expect(replayed[replayed.length - 1]).toBe(token);
        if (finishReason) return { tokens, finishReason, margins };
      }
    } finally {
      generator.dispose();
    }
  };

  const runBatched = async (
    list: Request[],
    options: { maxBatchSize: number; prefillChunkTokens: number; maxKvTokens?: number; prefillTokenBudget?: number },
    prefiller?: PromptPrefiller,
  ): Promise<{ outcomes: Map<number, Outcome>; maxBatch: number; prefillBatches: number[][]; reports: string[] }> => {
    // Decode steps (`step N`: N rows) and token reports (`tokens N`: N tokens in one call), in order.
    const reports: string[] = [];
    const outcomes = new Map<number, Outcome>(list.map((request) => [request.id, { tokens: [] }]));
    const events: SchedulerEvents = {
      tokens: (step) => {
        reports.push(`tokens ${step.length}`);
        for (const { id, token } of step) outcomes.get(id)!.tokens.push(token);
      },
      done: (id, finishReason) => (outcomes.get(id)!.finishReason = finishReason),
      failed: (id, code, message) => {
        throw new Error(`request ${id} failed: ${code} ${message}`);
      },
    };
    // Records the prompt lengths of every batched prefill run.
    const prefillBatches: number[][] = [];
    const spy = Object.create(session) as DecoderSession;
    spy.prefillBatch = (prompts, cache) => {
      prefillBatches.push(prompts.map((prompt) => prompt.length));
      return session.prefillBatch(prompts, cache);
    };
    spy.stepBatch = (tokens, positions, cache) => {
      reports.push(`step ${tokens.length}`);
      return session.stepBatch(tokens, positions, cache);
    };
    const scheduler = new BatchScheduler(spy, { maxKvTokens: 1_000_000, ...options }, events, prefiller);
    let maxBatch = 0;
    try {
      for (let tick = 0; tick < 10_000; tick++) {
        for (const request of list) {
          if (request.arrivesAt === tick) scheduler.submit(request.id, request.prompt, request.config);
          if (request.cancelAt === tick) scheduler.cancel(request.id);
        }
        if (scheduler.idle && list.every((request) => request.arrivesAt <= tick)) break;
        await scheduler.tick();
        maxBatch = Math.max(maxBatch, scheduler.batchSize);
      }
    } finally {
      scheduler.dispose();
    }
    return { outcomes, maxBatch, prefillBatches, reports };
  };

  /** Every request's tokens equal its solo run's, or differ first where the solo top-2 margin is float noise. */
  const expectSoloEquivalent = async (list: Request[], outcomes: Map<number, Outcome>): Promise<string[]> => {
    const report: string[] = [];
    for (const request of list) {
      const reference = await solo(request);
      const batched = outcomes.get(request.id)!;
      expect(batched.finishReason).toBe(reference.finishReason);
      const first = reference.tokens.findIndex((token, i) => batched.tokens[i] !== token);
      if (first < 0) {
        expect(batched.tokens).toEqual(reference.tokens);
        continue;
      }
      const margin = reference.margins[first];
      const kind = request.config.temperature === 0 ? 'top-2 logit margin' : 'draw margin';
      report.push(`request ${request.id}: token ${first} differs, solo ${kind} ${margin.toExponential(2)}`);
      // Only a near-tie may differ (see NOISE_MARGINS).
      expect(margin).toBeLessThan(request.config.temperature === 0 ? NOISE_MARGINS[dtype].topTwo : NOISE_MARGINS[dtype].draw);
    }
    return report;
  };

  it('gives every request of a shared batch (joins, leaves, chunked prefill) the tokens of its solo run', async () => {
    const list = requests();
    const { outcomes, maxBatch, reports } = await runBatched(list, { maxBatchSize: 4, prefillChunkTokens: 16 });
    expect(maxBatch).toBe(4);
    // Each decode step reports the tokens of all its rows in one call, right after it.
    const steps = reports.flatMap((entry, i) => (entry.startsWith('step') ? [[entry, reports[i + 1]]] : []));
    expect(steps.length).toBeGreaterThan(10);
    for (const [step, next] of steps) expect(next).toBe(step.replace('step', 'tokens'));
    expect(steps.some(([step]) => step === 'step 4')).toBe(true);
    const report = await expectSoloEquivalent(list, outcomes);
    console.log(`${variant.kvCacheDtype ?? dtype}: ${report.length === 0 ? 'all tokens identical to the solo runs' : report.join('; ')}`);
    // Nothing was excused wholesale: at most a couple of near-ties.
    expect(report.length).toBeLessThanOrEqual(2);
  });

  it('prefills a burst of newcomers together, left-padded, and each gets the tokens of its solo run', async () => {
    // Eight requests at once (prompts of 3 to 120 tokens, half sampled with a seed), two more while they decode.
    const list = requests().map((request, i) => ({ ...request, arrivesAt: i < 8 ? 0 : 5 }));
    const { outcomes, maxBatch, prefillBatches } = await runBatched(list, {
      maxBatchSize: 10,
      prefillChunkTokens: 16,
      prefillTokenBudget: 400,
    });
    expect(maxBatch).toBeGreaterThanOrEqual(6);
    // The budget holds several rows at once (rows × longest prompt ≤ 400), and every run respects it.
    expect(Math.max(...prefillBatches.map((rows) => rows.length))).toBeGreaterThanOrEqual(3);
    for (const rows of prefillBatches) expect(rows.length * Math.max(...rows)).toBeLessThanOrEqual(400);
    // Prompts of different lengths shared a run, so the left padding was exercised.
    expect(prefillBatches.some((rows) => new Set(rows).size > 1)).toBe(true);
    const report = await expectSoloEquivalent(list, outcomes);
    console.log(
      `${variant.kvCacheDtype ?? dtype} batched prefill ${JSON.stringify(prefillBatches)}: ${report.length === 0 ? 'all tokens identical to the solo runs' : report.join('; ')}`,
    );
    expect(report.length).toBeLessThanOrEqual(2);
  });

  it('removes a request cancelled mid-batch and leaves the others unaffected', async () => {
    const list = requests().slice(0, 5);
    // Request 2's 150-token prompt takes ticks 1–19 in chunks of 8; it is cancelled while decoding.
    list[1].cancelAt = 30;
    list[1].config = config(200, true, 5);
    list[3].cancelAt = 4; // arrives at tick 3, still waiting behind request 2's prefill
    const { outcomes } = await runBatched(list, { maxBatchSize: 3, prefillChunkTokens: 8 });
    expect(outcomes.get(2)!.finishReason).toBe('cancelled');
    expect(outcomes.get(2)!.tokens.length).toBeGreaterThan(0);
    expect(outcomes.get(2)!.tokens.length).toBeLessThan(200);
    expect(outcomes.get(4)!.finishReason).toBe('cancelled');
    const report = await expectSoloEquivalent([list[0], list[2], list[4]], outcomes);
    expect(report.length).toBeLessThanOrEqual(1);
  });

  describe('with a prefill thread', () => {
    let thread: PrefillThread;

    beforeAll(async () => {
      const { numLayers, numKvHeads, headDim } = folder.geometry;
      thread = await PrefillThread.start({
        onnxPath: folder.onnxPath,
        numLayers,
        numKvHeads,
        headDim,
        positionOffset: 0,
        intraOpThreads: 1,
        // Whole prompts, as the solo runs prefill them: a prompt split differently runs kernels of other
        // shapes, whose float rounding may differ on some CPUs (AVX2 EPYC), and a sampled token must match exactly.
        chunkTokens: 256,
      });
    });

    afterAll(async () => {
      await thread?.close();
    });

    /**
     * The thread, counting the prompts it runs; `dieAfter` prompts later it fails as a dead thread does.
     * `landAfterMs` holds each result back that long (a prompt that takes a while).
     */
    const counted = (dieAfter = Infinity, landAfterMs = 0) => {
      const prompts: number[] = [];
      const prefiller: PromptPrefiller & { prompts: number[]; alive: boolean } = {
        prompts,
        alive: true,
        prefill(promptIds) {
          if (prompts.length >= dieAfter) {
            prefiller.alive = false;
            return Promise.reject(new Error('prefill thread exited'));
          }
          prompts.push(promptIds.length);
          const landed = thread.prefill(promptIds);
          return landAfterMs === 0 ? landed : new Promise((resolve) => setTimeout(() => resolve(landed), landAfterMs));
        },
      };
      return prefiller;
    };

    it('runs every prompt there while the batch decodes, and each request gets the tokens of its solo run', async () => {
      const list = requests();
      const prefiller = counted();
      const { outcomes, maxBatch } = await runBatched(list, { maxBatchSize: 4, prefillChunkTokens: 16 }, prefiller);
      expect(maxBatch).toBe(4);
      // Whole prompts (up to 150 tokens, past the 16-token chunk of this thread) ran on the prefill thread.
      expect(prefiller.prompts.sort((a, b) => a - b)).toEqual(list.map((request) => request.prompt.length).sort((a, b) => a - b));
      const report = await expectSoloEquivalent(list, outcomes);
      console.log(
        `${variant.kvCacheDtype ?? dtype} prefill thread: ${report.length === 0 ? 'all tokens identical to the solo runs' : report.join('; ')}`,
      );
      expect(report.length).toBeLessThanOrEqual(2);
    });

    it('cancels a request whose prompt is on the prefill thread, and the others are unaffected', async () => {
      // Request 1 decodes from tick 1; request 2 arrives at tick 2, its 150-token prompt goes to the thread
      // (held there 200 ms, while request 1 decodes a tick per step) and is cancelled at tick 4.
      const list = requests().slice(0, 2);
      list[1].arrivesAt = 2;
      list[1].cancelAt = 4;
      const prefiller = counted(Infinity, 200);
      const { outcomes } = await runBatched(list, { maxBatchSize: 4, prefillChunkTokens: 16 }, prefiller);
      expect(prefiller.prompts).toEqual([5, 150]);
      expect(outcomes.get(2)).toEqual({ tokens: [], finishReason: 'cancelled' });
      const report = await expectSoloEquivalent([list[0]], outcomes);
      expect(report.length).toBeLessThanOrEqual(1);
    });

    it('does not start on a graph it cannot load, and says why', async () => {
      const { numLayers, numKvHeads, headDim } = folder.geometry;
      const missing = path.join(dir, 'onnx', 'missing.onnx');
      await expect(
        PrefillThread.start({ onnxPath: missing, numLayers, numKvHeads, headDim, positionOffset: 0, intraOpThreads: 1, chunkTokens: 64 }),
      ).rejects.toThrow(missing);
    });

    it('goes back to prefilling between decode steps when the thread dies, losing no request', async () => {
      const list = requests();
      const prefiller = counted(3);
      const { outcomes } = await runBatched(list, { maxBatchSize: 4, prefillChunkTokens: 16 }, prefiller);
      expect(prefiller.alive).toBe(false);
      expect(prefiller.prompts).toHaveLength(3);
      const report = await expectSoloEquivalent(list, outcomes);
      expect(report.length).toBeLessThanOrEqual(2);
    });
  });

  it('admits no more than the KV budget holds, and the waiting requests still match their solo runs', async () => {
    // Each request reserves 100 KV tokens (prompt + maxNewTokens): a budget of 260 holds two at a time.
    const list = requests()
      .slice(0, 6)
      .map((request) => ({
        ...request,
        prompt: request.prompt.slice(0, 60),
        config: { ...request.config, maxNewTokens: 100 - Math.min(60, request.prompt.length) },
      }));
    const { outcomes, maxBatch } = await runBatched(list, { maxBatchSize: 6, prefillChunkTokens: 32, maxKvTokens: 260 });
    expect(maxBatch).toBeLessThanOrEqual(2);
    const report = await expectSoloEquivalent(list, outcomes);
    expect(report.length).toBeLessThanOrEqual(1);
  });
});

/**
 * How close a sampled step's draw fell to an edge of the token it drew (in probability): the solo run's
 * logits through the generator's processors, the cumulative distribution in token order, and the seeded
 * number its sampler drew. Float noise in the logits moves the edges by about that noise.
 */
function drawMargin(raw: Float32Array, sequence: number[], config: ResolvedGenerationConfig, r: number): { margin: number; token: number } {
  const logits = Float32Array.from(raw);
  const processors = [temperatureScaling(config.temperature)];
  if (config.repetitionPenalty !== 1) processors.unshift(repetitionPenalty(config.repetitionPenalty));
  if (config.topK > 0) processors.push(topK(config.topK));
  for (const processor of processors) processor.process(logits, sequence);
  // Noise near the nucleus's edge may take a token out of it (or one more in), rescaling every probability.
  const nucleusMargin = config.topP < 1 ? nucleusEdgeMargin(softmax(logits), config.topP) : Infinity;
  if (config.topP < 1) topP(config.topP).process(logits, sequence);
  const probabilities = softmax(logits);
  let below = 0;
  for (let token = 0; token < probabilities.length; token++) {
    const probability = probabilities[token];
    if (probability > 0 && r < below + probability) return { margin: Math.min(r - below, below + probability - r, nucleusMargin), token };
    below += probability;
  }
  return { margin: 0, token: -1 };
}

/** How close the running sum of the probabilities, largest first, comes to `p` around the nucleus's last token. */
function nucleusEdgeMargin(probabilities: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(probabilities).sort().reverse();
  for (let i = 0, sum = 0; i < sorted.length; sum += sorted[i++]) if (sum + sorted[i] >= p) return Math.min(p - sum, sum + sorted[i] - p);
  return Infinity;
}

function topTwoMargin(logits: Float32Array): number {
  let first = -Infinity;
  let second = -Infinity;
  for (const value of logits) {
    if (value > first) {
      second = first;
      first = value;
    } else if (value > second) second = value;
  }
  return first - second;
}

describe('continuous batching over shared KV buffers (fused attention)', () => {
  let dir: string;
  let session: DecoderSession;
  let eosTokenIds: number[];
  let contextLength: number;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'slm-batch-shared-'));
    await synthesizeModel({ preset: 'tiny', dtype: 'fp32', outDir: dir });
    const folder = loadModelFolder(dir);
    ({ eosTokenIds } = folder);
    ({ contextLength } = folder.geometry);
    const compiled = compileDecoderGraph(folder.onnxPath, { fusedAttention: folder.geometry });
    session = await DecoderSession.create({ ...folder.geometry, onnxPath: compiled.onnxPath, intraOpThreads: 1 });
  });

  afterAll(async () => {
    await session?.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prefills newcomers one after another in a tick until the token budget is spent', async () => {
    expect(session.batchedPrefill).toBe(false);
    // Prompt tokens per step, then the first tokens reported before the first decode step.
    const steps: number[] = [];
    const spy = Object.create(session) as DecoderSession;
    spy.step = (tokens, cache) => {
      steps.push(tokens.length);
      return session.step(tokens, cache);
    };
    const firstTokens: number[] = [];
    const events: SchedulerEvents = {
      tokens: (step) => firstTokens.push(...step.map(({ id }) => id)),
      done: () => undefined,
      failed: (id, code, message) => {
        throw new Error(`request ${id} failed: ${code} ${message}`);
      },
    };
    const scheduler = new BatchScheduler(
      spy,
      { maxBatchSize: 8, prefillChunkTokens: 16, prefillTokenBudget: 40, maxKvTokens: 10_000 },
      events,
    );
    const config: ResolvedGenerationConfig = {
      maxNewTokens: 4,
      temperature: 0,
      topP: 1,
      topK: 0,
      seed: 1,
      repetitionPenalty: 1,
      eosTokenIds,
      contextLength,
    };
    for (const [id, length] of [
      [1, 10],
      [2, 20],
      [3, 12],
    ])
      scheduler.submit(
        id,
        Array.from({ length }, (_, i) => 20 + i),
        config,
      );
    try {
      await scheduler.tick();
      // 40 tokens: request 1 whole (10), request 2 in chunks of 16 and 4, then 10 of request 3's 12.
      expect(steps).toEqual([10, 16, 4, 10]);
      expect(firstTokens.slice(0, 2)).toEqual([1, 2]);
      await scheduler.tick();
      // The next tick: the rest of request 3 (2 tokens) and its first token.
      expect(steps.slice(4)).toEqual([2]);
      expect(firstTokens).toContain(3);
    } finally {
      scheduler.dispose();
    }
  });
});
