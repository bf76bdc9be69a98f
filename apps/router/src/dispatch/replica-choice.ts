/** What the choice knows of one replica. */
export interface ReplicaLoad {
  /** Calls this router has open on it. */
  inFlight: number;
  /** What it takes at once (slots + queue) as it reports; undefined while unknown. */
  capacity?: number;
  /** Its expected call latency, ms ({@link LatencyEstimate}); undefined before its first answer. */
  latencyMs?: number;
}

/**
 * Latencies below this count as this, ms: an estimate that has decayed to nothing (or a loopback
 * replica answering in microseconds) still weighs its in-flight calls.
 */
const LATENCY_FLOOR_MS = 1;

/**
 * What one more call on the replica is expected to cost: its latency times the calls it would then
 * hold, per slot it reports. A replica without a latency yet is free while idle (a new replica takes
 * work at once) and the last choice while its first call is out (a probe, not a flood).
 */
export function loadCost(replica: ReplicaLoad, slots = 1): number {
  if (replica.latencyMs === undefined) return replica.inFlight === 0 ? 0 : Number.POSITIVE_INFINITY;
  return (Math.max(replica.latencyMs, LATENCY_FLOOR_MS) * (replica.inFlight + 1)) / slots;
}

/** True when the replica has a free slot by its reported capacity (no capacity known: no limit here). */
export function hasFreeSlot(replica: ReplicaLoad): boolean {
  return replica.capacity === undefined || replica.inFlight < replica.capacity;
}

/**
 * Least loaded of two picked at random ("power of two choices"): nearly as good as scanning every
 * replica for the least loaded, without every router herding onto the same one. Ties go to the
 * first pick. `eligible` must not be empty. Capacities divide the cost only when both report one.
 */
export function chooseReplica<T extends ReplicaLoad>(eligible: readonly T[], random: () => number = Math.random): T {
  if (eligible.length === 1) return eligible[0] as T;
  const first = Math.floor(random() * eligible.length);
  // The second pick is another replica: an offset of 1..n-1 from the first.
  const second = (first + 1 + Math.floor(random() * (eligible.length - 1))) % eligible.length;
  const a = eligible[first] as T;
  const b = eligible[second] as T;
  const bothKnown = a.capacity !== undefined && b.capacity !== undefined && a.capacity > 0 && b.capacity > 0;
  return loadCost(b, bothKnown ? b.capacity : 1) < loadCost(a, bothKnown ? a.capacity : 1) ? b : a;
}
