import { z } from 'zod';
import { generationOptionFields } from '@slm/contracts';
import { AppError, ErrorCode, REQUEST_ID_RULE, requestIdSchema } from '@slm/platform';
import { problemFields, withOneInput } from '../solve/problem.schemas';

/** One problem of a batch (array item or JSONL line): a solve problem plus its own priority. */
export const batchProblemSchema = withOneInput({
  ...problemFields,
  priority: z.number().int().min(0).max(2_097_151).optional().describe('1 is the highest; 0 or unset takes the batch priority'),
});
export type BatchProblemInput = z.infer<typeof batchProblemSchema>;

/** POST /v1/batches as JSON (a bare array of problems is accepted too). */
export const batchRequestSchema = z
  .object({
    problems: z.array(z.unknown()).min(1, 'a batch needs at least one problem'),
    idempotencyKey: requestIdSchema
      .optional()
      .describe(`a resubmission with the same key returns the first batch (or the Idempotency-Key header). ${REQUEST_ID_RULE}`),
    priority: z
      .number()
      .int()
      .min(0)
      .max(2_097_151)
      .optional()
      .describe('queue priority of every problem: 1 is the highest, 0 (default) the lowest'),
    metadata: z.record(z.string(), z.string()).optional(),
    samples: generationOptionFields.samples.optional().describe('options.samples of every problem that sets none'),
    verify: generationOptionFields.verify.optional().describe('options.verify of every problem that sets none'),
  })
  .strict();
export type BatchRequestInput = z.infer<typeof batchRequestSchema>;

export const offsetQuerySchema = z.object({ offset: z.coerce.number().int().min(0).default(0) });

/** A batch with more problems than ROUTER_MAX_BATCH_SIZE (`count` when known: a parser stops counting at one over). */
export function tooManyProblems(maxBatchSize: number, count?: number): AppError {
  const size = count === undefined ? `more than ${maxBatchSize} problems` : `${count} problems`;
  return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `batch of ${size} exceeds the limit of ${maxBatchSize} (ROUTER_MAX_BATCH_SIZE)`);
}
