import { Injectable } from '@nestjs/common';
import type { Result__Output } from '@slm/contracts';
import { ErrorCode } from '@slm/platform';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Refusals before any work is done: what `slm_router_admission_rejections_total` counts. */
const ADMISSION_REJECTIONS: ReadonlySet<string> = new Set([ErrorCode.QUEUE_FULL, ErrorCode.NO_HEALTHY_REPLICA, ErrorCode.RATE_LIMITED]);

/** How the route policy treated one classification (`slm_router_route_outcomes_total`). */
export type RouteOutcome = 'routed' | 'low_confidence' | 'fallback' | 'rejected' | 'overridden' | 'unavailable_fallback';

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

  readonly routedRequests = new Counter({
    name: 'slm_router_routed_requests_total',
    help: "Requests answered, by ingress, operation, the domain they were routed to ('none' when refused before routing, or for batch operations) and outcome code.",
    labelNames: ['ingress', 'operation', 'domain', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly routeConfidence = new Histogram({
    name: 'slm_router_route_confidence',
    help: "The classifier's calibrated probability of its top class, by that class (math, code, science, other); batch problems included.",
    labelNames: ['class'] as const,
    buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
    registers: [this.registry],
  });

  readonly routeOutcomes = new Counter({
    name: 'slm_router_route_outcomes_total',
    help: 'What the route policy did with each classification, by top class: routed, low_confidence, fallback, rejected, overridden; unavailable_fallback on top when the domain had no healthy replica.',
    labelNames: ['class', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly interTokenLatency = new Histogram({
    name: 'slm_router_inter_token_latency_seconds',
    help: 'Time between two token deltas of a streamed request, by domain.',
    labelNames: ['domain'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly queueWait = new Histogram({
    name: 'slm_router_queue_wait_seconds',
    help: "Time a batch problem's job waited in its queue (BullMQ processedOn - timestamp of its last attempt), by domain, observed when its completion is read.",
    labelNames: ['domain'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
    registers: [this.registry],
  });

  readonly batchesRunning = new Gauge({
    name: 'slm_router_batches_running',
    help: 'Batches still running, every tenant (sampled when scraped).',
    registers: [this.registry],
  });

  readonly batchProblems = new Gauge({
    name: 'slm_router_batch_problems',
    help: 'Problems of the running batches: total, and done (completed, failed or cancelled) (sampled when scraped).',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly verifiedAnswers = new Counter({
    name: 'slm_router_verified_answers_total',
    help: 'Answers verified by their worker, by domain, method (self-consistency, examples, self-consistency+examples) and outcome: agreed (a strict majority of the samples, or every example passed), split (no strict majority, or some example failed), unverified (no answer, or checks skipped); batch problems included.',
    labelNames: ['domain', 'method', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly verificationVoteShare = new Histogram({
    name: 'slm_router_verification_vote_share',
    help: 'Share of the samples that reached the returned answer, for answers verified by self-consistency, by domain.',
    labelNames: ['domain'] as const,
    buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
    registers: [this.registry],
  });

  readonly replicaCompletionTokens = new Counter({
    name: 'slm_router_replica_completion_tokens_total',
    help: 'Tokens generated by each worker replica for synchronous requests, by domain and replica address (rate() is tokens/s).',
    labelNames: ['domain', 'replica'] as const,
    registers: [this.registry],
  });

  readonly replicaDecodeRate = new Histogram({
    name: 'slm_router_replica_decode_tokens_per_second',
    help: 'Decode speed each replica reports for a request (its timing.decodeTokensPerSecond), by domain and replica address.',
    labelNames: ['domain', 'replica'] as const,
    buckets: [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
    registers: [this.registry],
  });

  readonly replicaUp = new Gauge({
    name: 'slm_router_replica_up',
    help: "1 when a worker replica's last health check saw it serving, else 0 (sampled when scraped).",
    labelNames: ['domain', 'replica'] as const,
    registers: [this.registry],
  });

  readonly replicaInFlight = new Gauge({
    name: 'slm_router_replica_in_flight',
    help: "This router's calls open on each replica (sampled when scraped).",
    labelNames: ['domain', 'replica'] as const,
    registers: [this.registry],
  });

  readonly replicaCapacity = new Gauge({
    name: 'slm_router_replica_capacity',
    help: 'Requests each replica takes at once (its GetInfo max_concurrency + max_queue); absent while unknown (sampled when scraped).',
    labelNames: ['domain', 'replica'] as const,
    registers: [this.registry],
  });

  readonly replicaKvCacheTokens = new Gauge({
    name: 'slm_router_replica_kv_cache_tokens',
    help: "Tokens each replica's KV cache budget holds, from its GetInfo; absent when its engine reports none (sampled when scraped).",
    labelNames: ['domain', 'replica'] as const,
    registers: [this.registry],
  });

  readonly replicaKvCacheReservedTokens = new Gauge({
    name: 'slm_router_replica_kv_cache_reserved_tokens',
    help: 'Tokens of that budget its running requests reserve (prompt + max new tokens each), at its last health check (sampled when scraped).',
    labelNames: ['domain', 'replica'] as const,
    registers: [this.registry],
  });

  readonly admissionRejections = new Counter({
    name: 'slm_router_admission_rejections_total',
    help: "Requests refused before any work, by domain ('none' when refused before routing) and reason: QUEUE_FULL, NO_HEALTHY_REPLICA, RATE_LIMITED.",
    labelNames: ['domain', 'reason'] as const,
    registers: [this.registry],
  });

  /** Counts a finished request with its outcome code and observes its latency since `started` (performance.now()). */
  recordRequest(ingress: string, operation: string, code: string, started: number, domain?: string): void {
    this.countRequest(ingress, operation, code, domain);
    this.latency.observe({ ingress, operation }, (performance.now() - started) / 1000);
  }

  /** Counts a finished request with its outcome code and its domain ('none' when it was not routed). */
  countRequest(ingress: string, operation: string, code: string, domain = 'none'): void {
    this.requests.inc({ ingress, operation, code });
    this.routedRequests.inc({ ingress, operation, domain, outcome: code });
    if (ADMISSION_REJECTIONS.has(code)) this.admissionRejections.inc({ domain, reason: code });
  }

  /** Observes one classification: its confidence, and what the policy made of it. */
  recordClassification(topClass: string, confidence: number, outcome: RouteOutcome): void {
    this.routeConfidence.observe({ class: topClass }, confidence);
    this.routeOutcomes.inc({ class: topClass, outcome });
  }

  /** Counts the tokens a replica generated for one result and observes its reported decode speed. */
  recordReplicaResult(domain: string, replica: string, result: Result__Output): void {
    const tokens = result.usage?.completionTokens ?? 0;
    if (tokens > 0) this.replicaCompletionTokens.inc({ domain, replica }, tokens);
    const rate = result.timing?.decodeTokensPerSecond ?? 0;
    if (rate > 0) this.replicaDecodeRate.observe({ domain, replica }, rate);
    this.recordVerification(domain, result);
  }

  /** Counts a verified answer (a result without a verification block is not one) and its agreement. */
  recordVerification(domain: string, result: Pick<Result__Output, 'verification'> | undefined): void {
    const verification = result?.verification;
    if (!verification) return;
    const examples = verification.examplesTotal > 0;
    const agreed = examples
      ? verification.examplesPassed === verification.examplesTotal
      : verification.voteShare > 0.5 && verification.samples > 1;
    const unverified = examples ? false : verification.samples <= 1 || verification.noAnswer === verification.samples;
    this.verifiedAnswers.inc({ domain, method: verification.method, outcome: unverified ? 'unverified' : agreed ? 'agreed' : 'split' });
    if (verification.samples > 1) this.verificationVoteShare.observe({ domain }, verification.voteShare);
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'slm_router_' });
  }
}
