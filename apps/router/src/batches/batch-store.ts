import type { BatchItem, JobName, Result, SolveJobData, WorkerDomain } from '@slm/contracts';

/** A solve job as it goes onto its domain's queue. */
export interface SolveJob {
  domain: WorkerDomain;
  name: typeof JobName.SOLVE;
  data: SolveJobData;
  opts: { jobId: string; priority: number };
}

/** How a problem of a batch ended. */
export type Outcome = 'completed' | 'failed' | 'cancelled';

/** One problem's outcome, as recorded in its batch. */
export interface OutcomeRecord {
  index: number;
  /** The queue its job went to; `other` for a problem refused before routing. */
  domain: WorkerDomain | 'other';
  outcome: Outcome;
  item: BatchItem;
  /**
   * The caller's requestId a completed result is kept under for reuse: when that copy exists, the
   * batch refers to it instead of storing the result a second time.
   */
  requestId?: string;
}

/** The event of a queue's stream an outcome came from: the store advances the queue's cursor to it in the same step. */
export interface EventCursor {
  queue: string;
  eventId: string;
}

/** The fields a batch record is created with. */
export interface NewBatch {
  tenant: string;
  total: number;
  priority: number;
  metadata: Record<string, string>;
}

/** A batch record as read for its status. */
export interface StoredBatch {
  /** The record's fields: id, tenant, total, state, counters (`completed`, `math:failed` …), metadata JSON. */
  fields: Record<string, string>;
  /** Indexes of the problems running now. */
  activeIndexes: string[];
  /** One character per problem: the domain its job went to (m, c, s; x refused). Empty when nothing is active. */
  domainChars: string;
}

/** What an idempotency key named: nothing yet (this batch takes it), another body, a batch fully submitted, or one whose submission died half-way. */
export type IdempotencyClaim =
  { kind: 'new' } | { kind: 'conflict' } | { kind: 'submitted'; batchId: string; total: number } | { kind: 'resume'; batchId: string };

/** What submitting a problem with a requestId found: an earlier result, nobody solving it, or a job of another batch solving it. */
export type Claim = { kind: 'solved'; result: Result } | { kind: 'owner' } | { kind: 'waiting' } | { kind: 'conflict' };

/** A problem of a batch with a caller's requestId, to claim. */
export interface RequestClaim {
  index: number;
  requestId: string;
  /** Identifies the problem: the same requestId with another fingerprint is a conflict. */
  fingerprint: string;
  job: SolveJob;
}

/** A waiting job to act on once the owner of its requestId finished (see InFlightRequests). */
export interface HandoverEntry {
  action: 'answer' | 'solve';
  tenant: string;
  requestId: string;
  job: SolveJob;
}

/** A batch as the metrics and the dashboard list it. */
export interface RunningBatch {
  batchId: string;
  tenant: string;
  /** `running`, `completed` or `cancelled`. */
  state: string;
  total: number;
  completed: number;
  failed: number;
  cancelled: number;
  createdAtMs: number;
}

/**
 * Which path a write takes: `api` fails fast while the store is unreachable (a caller is waiting);
 * `writer` waits the outage out and applies writes in the order they were issued (queue outcomes).
 */
export type Via = 'api' | 'writer';

/**
 * Where batches live: the batch record and its counters, results, running set and domain letters,
 * idempotency keys, the requestIds shared between batches and their handovers, and each queue's
 * event cursor. Every step that must be atomic (recording an outcome with its counters and the
 * cursor, a cancel, claiming and finishing a requestId) is one call here. RedisBatchStore is the
 * real one; a unit test drives BatchService with an in-memory one.
 */
export abstract class BatchStore {
  /** True while the store answers (no round trip). */
  abstract isConnected(): boolean;

  /** Closes the store's connections. */
  abstract close(): Promise<void>;

  /** Takes a tenant's idempotency key for `batchId` and a body fingerprint, or says what it already names. */
  abstract claimIdempotencyKey(tenant: string, key: string, batchId: string, bodyFingerprint: string): Promise<IdempotencyClaim>;

  /** Creates (or, for a resumed submission, refreshes) a running batch record and lists it as running. */
  abstract createBatch(batchId: string, batch: NewBatch): Promise<void>;

  /** Writes the domain letters of problems `start`.. and the running per-domain totals (`math:total` …). */
  abstract recordDomains(batchId: string, start: number, domainChars: string, totals: Record<string, number>): Promise<void>;

  /** The batch's state (`running`, `completed`, `cancelled`), undefined when unknown. */
  abstract stateOf(batchId: string, via?: Via): Promise<string | undefined>;

  /** Marks a submission complete: a resubmission with its idempotency key returns it as is. */
  abstract markSubmitted(batchId: string): Promise<void>;

  /**
   * Records outcomes, each exactly once (an outcome already recorded stands), with the batch's
   * counters; the last marks the batch completed. With `cursor` (one outcome), the queue's event
   * cursor moves to it in the same step. Writes go in pipelined round trips, in order, on the writer.
   */
  abstract recordOutcomes(batchId: string, outcomes: readonly OutcomeRecord[], cursor?: EventCursor): Promise<void>;

  /** Marks a problem running (unless it has an outcome already) and moves the queue's event cursor. */
  abstract markActive(batchId: string, index: number, cursor: EventCursor): Promise<void>;

  /** The batch record with its running problems; undefined when unknown or expired. */
  abstract readBatch(batchId: string): Promise<StoredBatch | undefined>;

  /** The result items (JSON) of a tenant's batch's problems `start`..`start + count` (null for a problem without an outcome yet). */
  abstract readResults(tenant: string, batchId: string, start: number, count: number): Promise<(string | null)[]>;

  /**
   * Starts a cancel: a running batch of `tenant` becomes cancelled and the workers are told.
   * Returns the state found and the total; undefined for an unknown batch or another tenant's.
   */
  abstract startCancel(tenant: string, batchId: string): Promise<{ state: string | null; total: number } | undefined>;

  /** One character per problem: the domain its job went to (m, c, s; x refused). */
  abstract domainsOf(batchId: string): Promise<string>;

  /**
   * Cancels the unfinished problems `start`..`end` (outcomes recorded stand) with the item
   * `itemHead + index + itemTail`; returns the indexes newly cancelled that carry a requestId.
   */
  abstract cancelProblems(batchId: string, start: number, end: number, itemHead: string, itemTail: string): Promise<number[]>;

  /** Where a queue's event reader resumes: the stored cursor, else (first time) `streamEnd()`, kept for the next reader. */
  abstract eventCursor(queue: string, streamEnd: () => Promise<string>): Promise<string>;

  /** The running batches (at most `limit`, oldest first), then those finished in the last `recentMs`. */
  abstract runningBatches(limit: number, recentMs: number): Promise<RunningBatch[]>;

  /** Claims each problem's requestId, within the tenant, for its job (see InFlightRequests). */
  abstract claimRequests(tenant: string, batchId: string, entries: readonly RequestClaim[]): Promise<Map<number, Claim>>;

  /** Records that a batch's job finished for its requestId (if it has one); returns the handovers queued. */
  abstract finishRequest(batchId: string, index: number, outcome: Outcome, result: Result | undefined, via: Via): Promise<number>;

  /** The first `count` queued handovers, as stored (pass one back to removeHandover once done). */
  abstract pendingHandovers(count: number): Promise<string[]>;

  abstract removeHandover(entry: string): Promise<void>;

  /** The completed result of a tenant's requestId, undefined once expired. */
  abstract solvedResult(tenant: string, requestId: string): Promise<Result | undefined>;
}
