import { Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { checkRequestId } from '@slm/platform';
import { batchProblemSchema, batchRequestSchema, offsetQuerySchema } from '../batches/batch.schemas';
import { BatchService, type BatchProblem } from '../batches/batch.service';
import { TimeSlicer } from '../batches/time-slicer';
import { RequireScope } from '../auth/api-key.guard';
import { callerOf } from '../auth/api-keys.service';
import { ClientLimitsService } from '../limits/client-limits.service';
import { CountRequests } from '../metrics/request-metrics';
import { parseInput, problemOfInput } from '../solve/problem.schemas';
import { tenantOf } from '../tenancy/tenants';
import type { HttpRequest, HttpResponse } from './http.types';
import { startRaw } from './sse';

/** Batch solving through the queues: submit, progress, results (JSONL, in input order), cancel. */
@ApiTags('batches')
@RequireScope('batch')
@Controller('/v1/batches')
export class BatchesController {
  constructor(
    private readonly batches: BatchService,
    private readonly limits: ClientLimitsService,
  ) {}

  @Post()
  @HttpCode(202)
  @CountRequests('rest', 'batch_submit')
  @ApiOperation({
    summary:
      'Queue a batch: a JSON body {problems, idempotencyKey?, priority?, metadata?}, a bare JSON array, or a JSONL upload (Content-Type: application/jsonl, one problem per line; Idempotency-Key and X-Priority headers).',
  })
  async submit(@Req() req: HttpRequest): Promise<{ batchId: string; total: number; deduplicated: boolean }> {
    const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
    const request = this.requestOf(req.body);
    const headerPriority = header('x-priority');
    const headerKey = header('idempotency-key');
    const options = {
      idempotencyKey: request.idempotencyKey ?? (headerKey !== undefined ? checkRequestId(headerKey, 'Idempotency-Key header') : undefined),
      priority:
        request.priority ??
        (headerPriority !== undefined ? parseInput(offsetQuerySchema.shape.offset, headerPriority, 'X-Priority header') : undefined),
      metadata: request.metadata,
      samples: request.samples,
      verify: request.verify,
    };
    // The count first (the body reader counted already): an oversized batch is refused before any problem is checked.
    this.batches.checkSize(request.problems.length);
    const slicer = new TimeSlicer();
    const problems: BatchProblem[] = [];
    for (let index = 0; index < request.problems.length; index++) {
      const { priority, ...input } = parseInput(batchProblemSchema, request.problems[index], `problems[${index}]`);
      problems.push({ problem: problemOfInput(input), priority });
      await slicer.maybeYield();
    }
    // The parsed body is not needed any more: a big batch's raw items are tens of MB while it is queued.
    req.body = undefined;
    request.problems = [];
    const caller = callerOf(req);
    await this.limits.checkBatchProblems(caller, problems.length);
    const batch = await this.batches.submit(tenantOf(req), problems, options);
    await this.limits.noteBatch(caller, batch.batchId);
    return batch;
  }

  @Get('/:id')
  @CountRequests('rest', 'batch_status')
  @ApiOperation({ summary: 'A batch state, counts per state and per domain, and progress.' })
  async status(@Param('id') id: string, @Req() req: HttpRequest) {
    return { status: await this.batches.status(tenantOf(req), id) };
  }

  @Get('/:id/results')
  @ApiOperation({ summary: 'Finished items as JSONL in input order, streamed, from ?offset= up to the first unfinished problem.' })
  async results(@Param('id') id: string, @Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    const { offset } = parseInput(offsetQuerySchema, req.query, 'query');
    const tenant = tenantOf(req);
    const status = await this.batches.status(tenant, id);
    const raw = startRaw(res, 200, {
      'content-type': 'application/jsonl; charset=utf-8',
      'x-slm-batch-state': status.state ?? '',
      'x-slm-batch-total': String(status.total),
    });
    try {
      for await (const line of this.batches.items(tenant, id, offset)) {
        if (!raw.write(`${line}\n`)) await new Promise((resolve) => raw.once('drain', resolve));
      }
    } finally {
      raw.end();
    }
  }

  @Delete('/:id')
  @CountRequests('rest', 'batch_cancel')
  @ApiOperation({ summary: 'Cancel a batch: queued problems removed, unfinished ones counted cancelled.' })
  async cancel(@Param('id') id: string, @Req() req: HttpRequest) {
    return { status: await this.batches.cancel(tenantOf(req), id) };
  }

  private requestOf(body: unknown): {
    problems: unknown[];
    idempotencyKey?: string;
    priority?: number;
    metadata?: Record<string, string>;
    samples?: number;
    verify?: boolean;
  } {
    // A bare array, or the problems of a JSONL upload (the body reader parsed its lines).
    if (Array.isArray(body)) return { problems: body };
    // The envelope is checked with its first problem standing in for all of them: each problem is
    // checked on its own below, in slices (z.array over 100,000 items would hold the event loop).
    const problems = (body as { problems?: unknown } | undefined)?.problems;
    const envelope = parseInput(
      batchRequestSchema,
      Array.isArray(problems) ? { ...(body as object), problems: problems.slice(0, 1) } : body,
    );
    return { ...envelope, problems: Array.isArray(problems) ? problems : envelope.problems };
  }
}
