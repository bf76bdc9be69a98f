import { Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { AppError, ErrorCode, checkRequestId, echoInput, errorCodeOf } from '@slm/platform';
import { batchProblemSchema, batchRequestSchema, offsetQuerySchema } from '../batches/batch.schemas';
import { BatchService, type BatchProblem } from '../batches/batch.service';
import { RouterMetricsService } from '../metrics/router-metrics.service';
import { parseInput, problemOfInput } from '../solve/problem.schemas';
import { QUOTED_MESSAGE_MAX_CHARS, sendError } from './body-reader.middleware';
import type { HttpRequest, HttpResponse } from './http.types';
import { jsonSchemaOf } from './openapi';

/** Batch solving through the queues: submit, progress, results (JSONL, in input order), cancel. */
@ApiTags('batches')
@Controller('/v1/batches')
export class BatchesController {
  constructor(
    private readonly batches: BatchService,
    private readonly metrics: RouterMetricsService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Queue a batch: a JSON body {problems, idempotencyKey?, priority?, metadata?}, a bare JSON array, or a JSONL upload (Content-Type: application/jsonl, one problem per line; Idempotency-Key and X-Priority headers).',
  })
  @ApiConsumes('application/json', 'application/jsonl')
  @ApiBody({ schema: { oneOf: [jsonSchemaOf(batchRequestSchema), { type: 'array', items: jsonSchemaOf(batchProblemSchema) }] } })
  async submit(@Req() req: HttpRequest): Promise<{ batchId: string; total: number; deduplicated: boolean }> {
    const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
    const request = this.requestOf(req.body);
    const headerPriority = header('x-priority');
    const headerKey = header('idempotency-key');
    const options = {
      idempotencyKey: request.idempotencyKey ?? (headerKey !== undefined ? checkRequestId(headerKey, 'Idempotency-Key header') : undefined),
      priority: request.priority ?? (headerPriority !== undefined ? parseInput(offsetQuerySchema.shape.offset, headerPriority, 'X-Priority header') : undefined),
      metadata: request.metadata,
    };
    const problems: BatchProblem[] = request.problems.map((raw, index) => {
      const { priority, ...input } = parseInput(batchProblemSchema, raw, `problems[${index}]`);
      return { problem: problemOfInput(input), priority };
    });
    const submitted = await this.count('submit', () => this.batches.submit(problems, options));
    return submitted;
  }

  @Get('/:id')
  @ApiOperation({ summary: 'A batch state, counts per state and per domain, and progress.' })
  async status(@Param('id') id: string) {
    return { status: await this.count('status', () => this.batches.status(id)) };
  }

  @Get('/:id/results')
  @ApiOperation({ summary: 'Finished items as JSONL in input order, streamed, from ?offset= up to the first unfinished problem.' })
  @ApiProduces('application/jsonl')
  async results(@Param('id') id: string, @Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    try {
      const { offset } = parseInput(offsetQuerySchema, req.query, 'query');
      const status = await this.batches.status(id);
      res.status(200);
      res.setHeader('content-type', 'application/jsonl; charset=utf-8');
      res.setHeader('x-slm-batch-state', status.state ?? '');
      res.setHeader('x-slm-batch-total', String(status.total));
      for await (const line of this.batches.items(id, offset)) {
        if (!res.write(`${line}\n`)) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end();
    } catch (error) {
      sendError(req, res, error);
    }
  }

  @Delete('/:id')
  @ApiOperation({ summary: 'Cancel a batch: queued problems removed, unfinished ones counted cancelled.' })
  async cancel(@Param('id') id: string) {
    return { status: await this.count('cancel', () => this.batches.cancel(id)) };
  }

  private requestOf(body: unknown) {
    if (typeof body === 'string') return { problems: parseJsonLines(body) } as { problems: unknown[]; idempotencyKey?: string; priority?: number; metadata?: Record<string, string> };
    if (Array.isArray(body)) return { problems: body } as { problems: unknown[]; idempotencyKey?: string; priority?: number; metadata?: Record<string, string> };
    return parseInput(batchRequestSchema, body);
  }

  private async count<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      const value = await run();
      this.metrics.requests.inc({ ingress: 'rest', operation: `batch_${operation}`, code: 'OK' });
      return value;
    } catch (error) {
      this.metrics.requests.inc({ ingress: 'rest', operation: `batch_${operation}`, code: errorCodeOf(error) });
      throw error;
    }
  }
}

/** The problems of a JSONL upload; blank lines are skipped, a bad line names its number. */
function parseJsonLines(text: string): unknown[] {
  const problems: unknown[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (!line) continue;
    try {
      problems.push(JSON.parse(line));
    } catch (error) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `line ${i + 1} of the upload is not JSON: ${echoInput((error as Error).message, QUOTED_MESSAGE_MAX_CHARS)}`);
    }
  }
  if (problems.length === 0) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'the upload has no problems');
  return problems;
}
