import { StreamingDetokenizer } from '../model/streaming-detokenizer';
import { minNewTokens, repetitionPenalty, softmax, topK, topP } from './logits-processors';
import { Sampler, argmax } from './sampler';
import { StopStringMatcher } from './stop-string-matcher';
import { ThinkSplitter, promptOpensThinking, splitThinking } from './think-splitter';

describe('StreamingDetokenizer', () => {
  // A byte-level vocabulary: token id = byte value, decoded with replacement characters like a real tokenizer.
  const decode = (ids: number[]): string => new TextDecoder().decode(Uint8Array.from(ids));

  it('never splits a multi-byte character across chunks', () => {
    const text = 'a€b😀c数';
    const bytes = [...Buffer.from(text, 'utf8')];
    const detokenizer = new StreamingDetokenizer(decode);
    const pieces = bytes.map((byte) => detokenizer.push(byte));
    pieces.push(detokenizer.flush());
    expect(pieces.join('')).toBe(text);
    expect(pieces.some((piece) => piece.includes('\uFFFD'))).toBe(false);
    expect(pieces.filter((piece) => piece !== '')).toEqual(['a', '€', 'b', '😀', 'c', '数']);
  });

  it('flushes an incomplete character at the end as a replacement character', () => {
    const detokenizer = new StreamingDetokenizer(decode);
    expect(detokenizer.push(0x61)).toBe('a');
    expect(detokenizer.push(0xe2)).toBe('');
    expect(detokenizer.flush()).toBe('\uFFFD');
  });

  it('holds an invalid byte sequence back for at most 4 tokens, then streams on', () => {
    const detokenizer = new StreamingDetokenizer(decode);
    // 0xff never starts a UTF-8 character; 0xe2 0x82 is the start of '€' left unfinished.
    expect([0xff, 0xe2, 0x82].map((byte) => detokenizer.push(byte))).toEqual(['', '', '']);
    expect(detokenizer.push(0x61)).toBe('\uFFFD\uFFFDa');
    expect(detokenizer.push(0xff)).toBe('');
    const pieces = [0xff, 0xff, 0xff, 0x62].map((byte) => detokenizer.push(byte));
    expect(pieces).toEqual(['', '', '\uFFFD\uFFFD\uFFFD\uFFFD', 'b']);
    expect(detokenizer.flush()).toBe('');
  });
});

describe('StopStringMatcher', () => {
  it('holds back a possible stop string and drops it when it completes', () => {
    const matcher = new StopStringMatcher(['###', 'END']);
    expect(matcher.push('hello #')).toEqual({ emit: 'hello ', stopped: false });
    expect(matcher.push('#')).toEqual({ emit: '', stopped: false });
    expect(matcher.push('# more')).toEqual({ emit: '', stopped: true });
  });

  it('releases held text that turned out not to be a stop string', () => {
    const matcher = new StopStringMatcher(['END']);
    expect(matcher.push('the EN')).toEqual({ emit: 'the ', stopped: false });
    expect(matcher.push('D? no, ENt')).toEqual({ emit: '', stopped: true });
    const other = new StopStringMatcher(['END']);
    expect(other.push('E')).toEqual({ emit: '', stopped: false });
    expect(other.push('x')).toEqual({ emit: 'Ex', stopped: false });
    expect(other.flush()).toBe('');
  });
});

describe('ThinkSplitter', () => {
  function run(splitter: ThinkSplitter, chunks: string[]): { reasoning: string; answer: string } {
    const parts = chunks.flatMap((text) => splitter.push(text));
    parts.push(...splitter.flush());
    return {
      reasoning: parts
        .filter((p) => p.channel === 'reasoning')
        .map((p) => p.text)
        .join(''),
      answer: parts
        .filter((p) => p.channel === 'answer')
        .map((p) => p.text)
        .join(''),
    };
  }

  it('labels reasoning and answer even when the markers are split across chunks, without the markers', () => {
    const splitter = new ThinkSplitter();
    const streamed = run(splitter, ['<thi', 'nk>\nstep 1', ', step 2\n</th', 'ink>\n\nThe answer', ' is 4 ', '\n']);
    expect(streamed).toEqual({ reasoning: 'step 1, step 2', answer: 'The answer is 4' });
    expect({ reasoning: splitter.reasoning, answer: splitter.answer }).toEqual(streamed);
    expect(streamed).toEqual(splitThinking('<think>\nstep 1, step 2\n</think>\n\nThe answer is 4 \n'));
  });

  it('streams reasoning as reasoning when the prompt opened the think block (only </think> is generated)', () => {
    const splitter = new ThinkSplitter({ startsInReasoning: promptOpensThinking('<|user|>2+2?<|assistant|><think>\n') });
    const streamed = run(splitter, ['Two', ' plus two', ' is four.\n</', 'think>', '\n\n4']);
    expect(streamed).toEqual({ reasoning: 'Two plus two is four.', answer: '4' });
    expect({ reasoning: splitter.reasoning, answer: splitter.answer }).toEqual(streamed);
  });

  it('keeps inner whitespace: only the ends of each channel are trimmed', () => {
    const streamed = run(new ThinkSplitter(), ['<think>a ', ' ', '\nb</think> x', '  ', 'y  ']);
    expect(streamed).toEqual({ reasoning: 'a  \nb', answer: 'x  y' });
  });

  it('tells whether a prompt opens a think block', () => {
    expect(promptOpensThinking('assistant\n<think>\n')).toBe(true);
    expect(promptOpensThinking('assistant\n<think>\n\n</think>\n\n')).toBe(false);
    expect(promptOpensThinking('assistant\n')).toBe(false);
  });

  it('splits a finished output', () => {
    expect(splitThinking('<think> a </think> b')).toEqual({ reasoning: 'a', answer: 'b' });
    expect(splitThinking('plain')).toEqual({ reasoning: '', answer: 'plain' });
    expect(splitThinking('<think>unfinished')).toEqual({ reasoning: 'unfinished', answer: '' });
  });
});

describe('logits processors and sampler', () => {
  it('suppresses EOS until minNewTokens tokens are generated', () => {
    const processor = minNewTokens([3, 4], 2, 5);
    const early = Float32Array.from([0, 1, 2, 9, 8]);
    processor.process(early, [1, 1, 1, 1, 1, 7]); // prompt of 5 + 1 new token
    expect(Array.from(early)).toEqual([0, 1, 2, -Infinity, -Infinity]);
    expect(argmax(early)).toBe(2);
    const late = Float32Array.from([0, 1, 2, 9, 8]);
    processor.process(late, [1, 1, 1, 1, 1, 7, 7]);
    expect(argmax(late)).toBe(3);
  });

  it('top-k keeps the k best', () => {
    const logits = Float32Array.from([1, 5, 3, 4, 2]);
    topK(2).process(logits, []);
    expect(Array.from(logits)).toEqual([-Infinity, 5, -Infinity, 4, -Infinity]);
  });

  it('top-p keeps the smallest set reaching p', () => {
    const logits = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);
    topP(0.7).process(logits, []);
    expect(Array.from(logits).map(Number.isFinite)).toEqual([true, true, false, false]);
    const probs = softmax(logits);
    expect(probs[0]).toBeCloseTo(0.625);
  });

  it('top-p keeps what sorting every candidate keeps, on flat and peaked 128k vocabularies, ties and filtered tokens included', () => {
    // The definition: candidates sorted by probability (a stable sort: ties in token order), kept while the mass is under p.
    const reference = (logits: Float32Array, p: number): boolean[] => {
      const probs = softmax(logits);
      const floor = (1 - p) / (2 * logits.length);
      const candidates = [...probs.keys()].filter((i) => probs[i] >= floor).sort((a, b) => probs[b] - probs[a]);
      const kept = new Array<boolean>(logits.length).fill(false);
      for (let i = 0, mass = 0; i < candidates.length && mass < p; i++) {
        kept[candidates[i]] = true;
        mass += probs[candidates[i]];
      }
      return kept;
    };
    let state = 42;
    const uniform = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
    const cases: [string, Float32Array, number][] = [];
    for (const spread of [0.3, 1, 3, 8])
      cases.push([`gaussian ×${spread}`, Float32Array.from({ length: 128_256 }, () => gaussian() * spread), 0.95]);
    // Ties straddling the cut: 1,000 tokens share one logit, a few are needed.
    const ties = Float32Array.from({ length: 50_000 }, (_, i) => (i % 50 === 7 ? 2 : -3 + (i % 13) / 10));
    cases.push(['ties at the cut', ties, 0.5]);
    const filtered = Float32Array.from({ length: 20_000 }, (_, i) => (i % 3 === 0 ? -Infinity : gaussian() * 2));
    cases.push(['filtered tokens', filtered, 0.9]);
    cases.push(['one token', Float32Array.from([0.5]), 0.9]);
    for (const [name, logits, p] of cases) {
      const expected = reference(logits, p);
      const filteredLogits = Float32Array.from(logits);
      topP(p).process(filteredLogits, []);
      const kept = Array.from(filteredLogits, Number.isFinite);
      expect({ name, kept: kept.filter(Boolean).length, same: kept.every((k, i) => k === expected[i]) }).toEqual({
        name,
        kept: expected.filter(Boolean).length,
        same: true,
      });
    }
  });

  it('repetition penalty lowers tokens already in the sequence', () => {
    const logits = Float32Array.from([2, -2, 1]);
    repetitionPenalty(2).process(logits, [0, 1, 1]);
    expect(Array.from(logits)).toEqual([1, -4, 1]);
  });

  it('greedy takes the argmax; sampling follows the distribution with a reproducible seed', () => {
    expect(argmax(Float32Array.from([0, 3, 3, 1]))).toBe(1);
    const logits = Float32Array.from([0, Math.log(3)]);
    const draw = (seed: number) => {
      const sampler = new Sampler(false, seed);
      return Array.from({ length: 4000 }, () => sampler.sample(logits));
    };
    const a = draw(7);
    expect(draw(7)).toEqual(a);
    const share = a.filter((t) => t === 1).length / a.length;
    expect(share).toBeGreaterThan(0.72);
    expect(share).toBeLessThan(0.78);
  });
});
