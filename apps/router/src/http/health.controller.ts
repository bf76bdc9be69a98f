import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { WorkerDomain } from '@slm/contracts';
import { BatchService } from '../batches/batch.service';
import { ROUTER_CONFIG, type RouterConfig } from '../config/router.config';
import { DispatchService } from '../dispatch/dispatch.service';
import { RouterMetricsService } from '../metrics/router-metrics.service';
import type { HttpResponse } from './http.types';

/** Liveness, readiness and Prometheus metrics. */
@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
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
  @ApiOperation({
    summary:
      "Readiness: 200 when every domain has a serving worker replica and Redis is connected, else 503 with each replica's state. Answers from the last health checks, without calls. Replica addresses, capacity and in-flight calls only with ?verbose=true where ROUTER_READYZ_DETAILS=true.",
  })
  readyz(@Query('verbose') verbose: string | undefined, @Res() res: HttpResponse): void {
    const readiness = this.dispatch.readiness();
    // Internal addresses and load tell a caller how the deployment is laid out: only on opt-in.
    const details = this.config.readyzDetails && verbose === 'true';
    const workers = details ? readiness : mapDomains(readiness, ({ serving, replicas }) => ({ serving, replicas: replicas.map(({ state }) => ({ state })) }));
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

function mapDomains<A, B>(record: Record<WorkerDomain, A>, map: (value: A) => B): Record<WorkerDomain, B> {
  return { math: map(record.math), code: map(record.code), science: map(record.science) };
}
