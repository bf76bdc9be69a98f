import type { JobsOptions } from 'bullmq';
import type { RouterConfig } from '../config/router.config';

/** BullMQ's lowest priority: what a problem without one gets, so that any priority runs first. */
export const LOWEST_PRIORITY = 2_097_151;

/**
 * The default options of every solve job, in one place: retries with exponential backoff
 * (transient worker failures), and results kept as long as the batch record.
 */
export function defaultJobOptions(config: RouterConfig): JobsOptions {
  const age = config.batches.resultTtlSeconds;
  return {
    attempts: config.batches.attempts,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age },
    removeOnFail: { age },
  };
}

/** The API's priority (1 highest, 0 unset = lowest) as BullMQ's (1 highest, larger lower). */
export function bullPriorityOf(priority: number | undefined): number {
  return priority && priority > 0 ? Math.min(priority, LOWEST_PRIORITY) : LOWEST_PRIORITY;
}
