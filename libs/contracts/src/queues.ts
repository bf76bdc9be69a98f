import type { Problem } from './generated/slmrouter/v1/Problem';
import type { Result } from './generated/slmrouter/v1/Result';
import type { RouteDecision } from './generated/slmrouter/v1/RouteDecision';

/** Job names used on the solve queues. */
export const JobName = {
  /** Solve one problem; the job's return value is a {@link Result}. */
  SOLVE: 'solve',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/** The job id of problem `index` of batch `batchId` on its domain's queue (one job per problem, so no problem is queued twice). */
export function batchJobId(batchId: string, index: number): string {
  return `${batchId}-${index}`;
}

/**
 * The Redis pub/sub channel on which the router announces a cancelled batch (the message is the batch
 * id); every worker stops the jobs of that batch it is running. `prefix` is the queues' key prefix.
 */
export function batchCancelChannel(prefix: string): string {
  return `${prefix}:batch-cancelled`;
}

/** Payload of a {@link JobName.SOLVE} job: the problem in the proto's JSON shape, plus batch bookkeeping. */
export interface SolveJobData {
  /** The problem, as in the gRPC contract (text or conversation, options, requestId, metadata). */
  problem: Problem;
  /** The router's decision; echoed in the result. */
  route?: RouteDecision;
  /** The batch the problem belongs to, if any. */
  batchId?: string;
  /** Position of the problem in its batch. */
  index?: number;
  /**
   * W3C trace context (`traceparent`, `tracestate`) of the submission, when it was traced: the
   * worker's trace of this problem links to it.
   */
  traceContext?: Record<string, string>;
}

/** Payload and return type per job name (a new job name without an entry is a compile error). */
export interface JobTypes {
  [JobName.SOLVE]: { data: SolveJobData; result: Result };
}
export type JobDataOf<N extends JobName> = JobTypes[N]['data'];
export type JobResultOf<N extends JobName> = JobTypes[N]['result'];
