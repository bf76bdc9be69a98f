import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { mapWorkerDomains } from '@slm/contracts';
import { peerOf, RequireScope } from '../auth/api-key.guard';
import { ApiKeysService } from '../auth/api-keys.service';
import { BatchService } from '../batches/batch.service';
import { ROUTER_CONFIG, type RouterConfig } from '../config/router.config';
import { DispatchService } from '../dispatch/dispatch.service';
import { MetricsSamplerService } from '../metrics/metrics-sampler.service';
import { RouterMetricsService } from '../metrics/router-metrics.service';
import { sendError } from './error-body';
import type { HttpRequest, HttpResponse } from './http.types';

/** Liveness, readiness and Prometheus metrics. */
@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    @Inject(ROUTER_CONFIG) private readonly config: RouterConfig,
    private readonly dispatch: DispatchService,
    private readonly batches: BatchService,
    private readonly metrics: RouterMetricsService,
    private readonly keys: ApiKeysService,
    private readonly sampler: MetricsSamplerService,
  ) {}

  @Get('/healthz')
  @ApiOperation({ summary: 'Liveness: the process answers.' })
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('/readyz')
  @ApiOperation({
    summary:
      "Readiness: 200 when every domain has a serving worker replica and Redis is connected, else 503 with each replica's state. Answers from the last health checks, without calls. Replica addresses, capacity and in-flight calls only with ?verbose=true where ROUTER_READYZ_DETAILS=true (and, with API keys, an admin key).",
  })
  async readyz(@Query('verbose') verbose: string | undefined, @Req() req: HttpRequest, @Res() res: HttpResponse): Promise<void> {
    const readiness = this.dispatch.readiness();
    // Internal addresses and load tell a caller how the deployment is laid out: only on opt-in,
    // and with API keys configured only to an admin key (the plain answer stays open for probes).
    const details = this.config.readyzDetails && verbose === 'true';
    if (details && !this.keys.anonymous) {
      try {
        this.keys.authorize(await this.keys.authenticate(req, req.headers.authorization, peerOf(req), 'header'), 'admin');
      } catch (error) {
        return sendError(req, res, error);
      }
    }
    const workers = details
      ? readiness
      : mapWorkerDomains((d) => ({ serving: readiness[d].serving, replicas: readiness[d].replicas.map(({ state }) => ({ state })) }));
    const redis = this.batches.isRedisConnected();
    const ready = redis && Object.values(workers).every((w) => w.serving);
    res.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', redis: redis ? 'up' : 'down', workers });
  }

  @Get('/metrics')
  @RequireScope('admin')
  @ApiOperation({
    summary:
      'Prometheus metrics: requests, routing decisions, latency, time to first token, queue depths (admin scope once API keys exist).',
  })
  async prometheus(@Res() res: HttpResponse): Promise<void> {
    await this.sampler.sample();
    res.header('content-type', this.metrics.registry.contentType);
    res.code(200).send(await this.metrics.registry.metrics());
  }
}
