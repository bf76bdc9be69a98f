import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/api-key.guard';
import { DashboardService, type DashboardState } from './dashboard.service';

/** The data of the /dashboard page (the page itself is served by `serveDashboard`). */
@ApiTags('operations')
@Controller()
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get('/v1/dashboard/state')
  @RequireScope('admin')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary:
      'What the /dashboard page draws: routing decisions and confidence, latency percentiles, queue depths, running batches, worker replicas with their load and tokens (admin scope once API keys exist).',
  })
  state(): Promise<DashboardState> {
    return this.dashboard.state();
  }
}
