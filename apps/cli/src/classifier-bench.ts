import * as os from 'node:os';
import { DOMAINS, DomainClassifier, encodeWordNgrams, fitNaiveBayes, readSeedExamples } from '@slm/classifier';
import { benchTexts } from './classifier-bench-texts';

/** Percentiles of a sorted array. */
function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** `slm bench classifier`: latency and throughput of the classifier, beside the Naive Bayes peer. */
export function benchClassifier(flags: { texts: number; rounds: number; model?: string; evictMb: number }): void {
  const classifier = DomainClassifier.load(flags.model);
  const texts = benchTexts(flags.texts);
  const p = new Float64Array(DOMAINS.length);
  // The peer: the Naive Bayes baseline over hashed word 1–2-grams (what `slm router eval` scores
  // beside the shipped model), fitted on the committed seed examples: its cost per text does not
  // depend on what it was trained on.
  const seeds = readSeedExamples();
  const words = encodeWordNgrams(seeds);
  const naiveBayes = fitNaiveBayes(words, Int32Array.from(seeds.keys()));
  const score = (mode: 'scores' | 'explain' | 'naiveBayes', t: string): void => {
    if (mode === 'explain') classifier.classify(t);
    else if (mode === 'scores') classifier.probabilitiesInto(t, p);
    else naiveBayes.scoreText(t, p);
  };
  // In a server the classifier shares the caches with everything else a request runs (HTTP, gRPC,
  // the framework), so its weights and token table are mostly out of cache when a text comes: the
  // cold pass touches this much memory before each text, one pass over the texts.
  const evict = new Float64Array((flags.evictMb * 1024 * 1024) / 8);
  const evictCaches = (): void => {
    for (let i = 0; i < evict.length; i += 8) evict[i]++; // one write per 64-byte line
  };
  const measure = (mode: 'scores' | 'explain' | 'naiveBayes', cold = false): Record<string, number> => {
    for (const t of texts) score(mode, t); // warm-up (JIT)
    const rounds = cold ? 1 : flags.rounds;
    const times = new Float64Array(texts.length * rounds);
    let k = 0;
    let timed = 0n;
    for (let r = 0; r < rounds; r++) {
      for (const t of texts) {
        if (cold) evictCaches();
        const t0 = process.hrtime.bigint();
        score(mode, t);
        const elapsed = process.hrtime.bigint() - t0;
        timed += elapsed;
        times[k++] = Number(elapsed) / 1000;
      }
    }
    const totalS = Number(timed) / 1e9;
    times.sort();
    const r3 = (x: number): number => Math.round(x * 1000) / 1000;
    return {
      p50Us: r3(percentile(times, 0.5)),
      p90Us: r3(percentile(times, 0.9)),
      p99Us: r3(percentile(times, 0.99)),
      maxUs: r3(times[times.length - 1]),
      textsPerSecond: Math.round(times.length / totalS),
    };
  };
  const result = {
    bench: 'classifier',
    texts: texts.length,
    rounds: flags.rounds,
    meanChars: Math.round(texts.reduce((s, t) => s + t.length, 0) / texts.length),
    maxChars: Math.max(...texts.map((t) => t.length)),
    scoresOnly: measure('scores'),
    withTopFeatures: measure('explain'),
    peerNaiveBayesWordNgrams: measure('naiveBayes'),
    ...(evict.length > 0 && {
      coldCache: {
        evictedMiB: flags.evictMb,
        withTopFeatures: measure('explain', true),
        peerNaiveBayesWordNgrams: measure('naiveBayes', true),
      },
    }),
    node: process.version,
    cpu: `${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}`,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
