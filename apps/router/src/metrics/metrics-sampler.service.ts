import { Injectable } from '@nestjs/common';
import { WORKER_DOMAINS } from '@slm/contracts';
import { BatchService, type RunningBatch } from '../batches/batch.service';
import { DispatchService } from '../dispatch/dispatch.service';
import { RouterMetricsService } from './router-metrics.service';

/**
 * Sets the gauges that are read when scraped rather than counted as things happen: queue depths,
 * running batches and their problems, each replica's health, load and capacity. Used by /metrics
 * and the dashboard's state, so both show the same figures.
 */
@Injectable()
export class MetricsSamplerService {
  constructor(
    private readonly metrics: RouterMetricsService,
    private readonly dispatch: DispatchService,
    private readonly batches: BatchService,
  ) {}

  /** Samples every gauge; returns the batches it read (running, and finished within the last minute). */
  async sample(): Promise<RunningBatch[]> {
    this.sampleReplicas();
    const [, batches] = await Promise.all([
      this.batches.sampleQueueDepths(this.metrics.queueDepth),
      this.batches.runningBatches().catch((): RunningBatch[] => []),
    ]);
    const running = batches.filter((b) => b.state === 'running');
    this.metrics.batchesRunning.set(running.length);
    this.metrics.batchProblems.set(
      { state: 'total' },
      running.reduce((sum, b) => sum + b.total, 0),
    );
    this.metrics.batchProblems.set(
      { state: 'done' },
      running.reduce((sum, b) => sum + b.completed + b.failed + b.cancelled, 0),
    );
    return batches;
  }

  private sampleReplicas(): void {
    const readiness = this.dispatch.readiness();
    for (const domain of WORKER_DOMAINS) {
      for (const replica of readiness[domain].replicas) {
        const labels = { domain, replica: replica.address };
        this.metrics.replicaUp.set(labels, replica.state === 'serving' ? 1 : 0);
        this.metrics.replicaInFlight.set(labels, replica.inFlight);
        if (replica.capacity !== undefined) this.metrics.replicaCapacity.set(labels, replica.capacity);
        else this.metrics.replicaCapacity.remove(labels);
        if (replica.kvCache) {
          this.metrics.replicaKvCacheTokens.set(labels, replica.kvCache.tokens);
          this.metrics.replicaKvCacheReservedTokens.set(labels, replica.kvCache.reservedTokens);
        } else {
          this.metrics.replicaKvCacheTokens.remove(labels);
          this.metrics.replicaKvCacheReservedTokens.remove(labels);
        }
      }
    }
  }
}
