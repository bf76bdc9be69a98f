import { chooseReplica, hasFreeSlot, loadCost, type ReplicaLoad } from './replica-choice';

/** A seeded generator, so that the draws (and the test) are the same on every run. */
function seeded(seed = 42): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

interface Named extends ReplicaLoad {
  name: string;
}

function tally(replicas: Named[], draws = 3000): Record<string, number> {
  const random = seeded();
  const counts: Record<string, number> = Object.fromEntries(replicas.map((r) => [r.name, 0]));
  for (let i = 0; i < draws; i++) counts[chooseReplica(replicas, random).name]! += 1;
  return counts;
}

describe('chooseReplica (least loaded of two random choices)', () => {
  it('sends nothing to a replica holding many calls while the others are idle', () => {
    const counts = tally([
      { name: 'busy', inFlight: 10, capacity: 24, latencyMs: 5 },
      { name: 'a', inFlight: 0, capacity: 24, latencyMs: 5 },
      { name: 'b', inFlight: 0, capacity: 24, latencyMs: 5 },
    ]);
    expect(counts.busy).toBe(0);
    // Round robin would have given each a third; the idle ones share the work.
    expect(counts.a).toBeGreaterThan(1000);
    expect(counts.b).toBeGreaterThan(1000);
  });

  it('spreads over equal replicas', () => {
    const counts = tally(['a', 'b', 'c'].map((name) => ({ name, inFlight: 2, capacity: 8, latencyMs: 5 })));
    for (const name of ['a', 'b', 'c']) expect(counts[name]).toBeGreaterThan(800);
  });

  it('avoids a slow replica until the fast ones hold more than its latency is worth', () => {
    const fast = (name: string, inFlight: number) => ({ name, inFlight, capacity: 24, latencyMs: 5 });
    expect(tally([{ name: 'slow', inFlight: 0, capacity: 24, latencyMs: 200 }, fast('a', 8), fast('b', 8)]).slow).toBe(0);
    // 40 open calls of 5 ms each outweigh one of 200 ms: the slow replica is worth a call now.
    expect(tally([{ name: 'slow', inFlight: 0, capacity: 24, latencyMs: 200 }, fast('a', 40), fast('b', 40)]).slow).toBeGreaterThan(1000);
  });

  it('gives a new replica work at once, but one call at a time until it has answered', () => {
    const measured = { name: 'old', inFlight: 0, capacity: 8, latencyMs: 1 };
    expect(tally([{ name: 'new', inFlight: 0 }, measured]).new).toBe(3000);
    expect(
      tally([
        { name: 'new', inFlight: 1 },
        { ...measured, inFlight: 50 },
      ]).new,
    ).toBe(0);
  });

  it('weighs open calls per reported slot', () => {
    // 8 of 16 slots taken is a lighter load than 3 of 4.
    const counts = tally([
      { name: 'big', inFlight: 8, capacity: 16, latencyMs: 5 },
      { name: 'small', inFlight: 3, capacity: 4, latencyMs: 5 },
    ]);
    expect(counts.small).toBe(0);
  });

  it('compares raw open calls when a replica has not reported its capacity', () => {
    expect(loadCost({ inFlight: 3, latencyMs: 2 })).toBe(8);
    const counts = tally([
      { name: 'unknown', inFlight: 1, latencyMs: 5 },
      { name: 'known', inFlight: 4, capacity: 100, latencyMs: 5 },
    ]);
    expect(counts.known).toBe(0);
  });

  it('counts a replica at its capacity as having no free slot', () => {
    expect(hasFreeSlot({ inFlight: 8, capacity: 8 })).toBe(false);
    expect(hasFreeSlot({ inFlight: 7, capacity: 8 })).toBe(true);
    expect(hasFreeSlot({ inFlight: 1000 })).toBe(true);
  });
});
