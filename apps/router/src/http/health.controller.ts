import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { BatchService } from '../batches/batch.service';
import { DispatchService } from '../dispatch/dispatch.service';
import { RouterMetricsService } from '../metrics/router-metrics.service';
import type { HttpResponse } from './http.types';

/** Liveness, readiness and Prometheus metrics. */
@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    private readonly dispatch: DispatchService,
    private readonly batches: BatchService,
    private readonly metrics: RouterMetricsService,
  ) {}

  @Get('/healthz')
  @ApiOperation({ summary: 'Liveness: the process answers.' })
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('/readyz')
  @ApiOperation({ summary: 'Readiness: 200 when every domain has a serving worker replica and Redis is connected, else 503 with the details. Answers from the last health checks, without calls.' })
  readyz(@Res() res: HttpResponse): void {
    const workers = this.dispatch.readiness();
    const redis = this.batches.isRedisConnected();
    const ready = redis && Object.values(workers).every((w) => w.serving);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', redis: redis ? 'up' : 'down', workers });
  }

  @Get('/metrics')
  @ApiOperation({ summary: 'Prometheus metrics: requests, routing decisions, latency, time to first token, queue depths.' })
  async prometheus(@Res() res: HttpResponse): Promise<void> {
    await this.batches.sampleQueueDepths(this.metrics.queueDepth);
    res.setHeader('content-type', this.metrics.registry.contentType);
    res.status(200).end(await this.metrics.registry.metrics());
  }
}
