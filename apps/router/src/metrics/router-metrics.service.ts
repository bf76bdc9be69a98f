import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The router's Prometheus metrics, on a registry of its own (several apps in one test process
 * must not collide on the global one).
 */
@Injectable()
export class RouterMetricsService {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'slm_router_requests_total',
    help: 'Requests answered, by ingress (rest, openai, grpc), operation and outcome code.',
    labelNames: ['ingress', 'operation', 'code'] as const,
    registers: [this.registry],
  });

  readonly routeDecisions = new Counter({
    name: 'slm_router_route_decisions_total',
    help: 'Routing decisions, by chosen domain and kind (classified, overridden, fallback).',
    labelNames: ['domain', 'kind'] as const,
    registers: [this.registry],
  });

  readonly latency = new Histogram({
    name: 'slm_router_request_duration_seconds',
    help: 'Time from a request to its last byte, by ingress and operation.',
    labelNames: ['ingress', 'operation'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });

  readonly timeToFirstToken = new Histogram({
    name: 'slm_router_time_to_first_token_seconds',
    help: 'Time from a streamed request to its first token, by domain.',
    labelNames: ['domain'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'slm_router_queue_jobs',
    help: 'Jobs in each domain queue, by state (sampled when scraped).',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });

  /** Counts a finished request with its outcome code and observes its latency since `started` (performance.now()). */
  recordRequest(ingress: string, operation: string, code: string, started: number): void {
    this.requests.inc({ ingress, operation, code });
    this.latency.observe({ ingress, operation }, (performance.now() - started) / 1000);
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'slm_router_' });
  }
}
