import type { TokenGenerator } from '../generation/token-generator';
import { Sequence, type SequenceState } from './sequence';

/** The lifecycle only: a sequence never calls its generator. */
const sequence = (): Sequence => new Sequence(7, {} as TokenGenerator, 100);

const walk = (path: SequenceState[]): Sequence => {
  const s = sequence();
  for (const state of path) s.moveTo(state);
  return s;
};

describe('Sequence', () => {
  it('goes queued → prefilling → decoding → finished, counting as admitted while prefilling and decoding', () => {
    const s = sequence();
    expect([s.state, s.admitted]).toEqual(['queued', false]);
    s.moveTo('prefilling');
    expect([s.state, s.admitted]).toEqual(['prefilling', true]);
    s.moveTo('decoding');
    expect([s.state, s.admitted]).toEqual(['decoding', true]);
    s.moveTo('finished');
    expect([s.state, s.admitted]).toEqual(['finished', false]);
  });

  it('may finish from any live state, and go back to the queue from prefilling (its prefill thread died)', () => {
    expect(walk(['finished']).state).toBe('finished');
    expect(walk(['prefilling', 'finished']).state).toBe('finished');
    expect(walk(['prefilling', 'queued', 'prefilling', 'decoding']).state).toBe('decoding');
  });

  it.each([
    [[], 'decoding'],
    [['prefilling', 'decoding'], 'prefilling'],
    [['prefilling', 'decoding'], 'queued'],
    [['finished'], 'finished'],
    [['prefilling', 'finished'], 'queued'],
  ] as [SequenceState[], SequenceState][])('refuses %j → %s', (path, next) => {
    const s = walk(path);
    const before = s.state;
    expect(() => s.moveTo(next)).toThrow(`sequence 7 cannot go from ${before} to ${next}`);
    expect(s.state).toBe(before);
  });
});
