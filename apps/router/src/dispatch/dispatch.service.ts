import { Inject, Injectable, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { WORKER_DOMAINS, loadProto, mapWorkerDomains, type WorkerDomain } from '@slm/contracts';
import { ROUTER_CONFIG, type RouterConfig } from '../config/router.config';
import { RouterMetricsService } from '../metrics/router-metrics.service';
import { WORKER_HOST_RESOLVER, type HostResolver } from './host-resolver';
import { WorkerPool, type ReplicaState } from './worker-pool';

/** One {@link WorkerPool} per worker domain, started with the app and closed with it. */
@Injectable()
export class DispatchService implements OnModuleInit, OnApplicationShutdown {
  private readonly pools: Record<WorkerDomain, WorkerPool>;

  constructor(
    @Inject(ROUTER_CONFIG) config: RouterConfig,
    metrics: RouterMetricsService,
    /** Resolves `dns:///` worker names; tests inject one. Default: the system resolver. */
    @Optional() @Inject(WORKER_HOST_RESOLVER) resolveHost?: HostResolver,
  ) {
    const membership = { resolveIntervalMs: config.workers.resolveIntervalMs, ...(resolveHost ? { resolveHost } : {}) };
    const proto = loadProto();
    const poolOf = (domain: WorkerDomain) =>
      new WorkerPool(
        domain,
        config.workers.addresses[domain],
        config.workers.healthIntervalMs,
        proto,
        config.workers.tls,
        (replica, result) => metrics.recordReplicaResult(domain, replica, result),
        membership,
      );
    this.pools = mapWorkerDomains(poolOf);
  }

  onModuleInit(): void {
    for (const domain of WORKER_DOMAINS) this.pools[domain].start();
  }

  onApplicationShutdown(): void {
    for (const domain of WORKER_DOMAINS) this.pools[domain].close();
  }

  pool(domain: WorkerDomain): WorkerPool {
    return this.pools[domain];
  }

  /**
   * Per domain: whether a replica is serving, and each replica's state and load. From what the
   * background health checks last saw, never a call: readiness answers at once under any load.
   */
  readiness(): Record<WorkerDomain, { serving: boolean; replicas: ReplicaState[] }> {
    return mapWorkerDomains((d) => ({ serving: this.pools[d].isServing(), replicas: this.pools[d].states() }));
  }
}
