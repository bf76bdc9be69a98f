import { Injectable } from '@nestjs/common';
import { mapWorkerDomains, type WorkerDomain } from '@slm/contracts';
import type { RunningBatch } from '../batches/batch.service';
import { DispatchService } from '../dispatch/dispatch.service';
import type { ReplicaHealth } from '../dispatch/worker-pool';
import { MetricsSamplerService } from '../metrics/metrics-sampler.service';
import { RouterMetricsService } from '../metrics/router-metrics.service';

/** p50, p90 and p99 of one histogram series (seconds, or its unit), from its buckets. */
export interface Percentiles {
  /** What the series is: `rest solve`, `math`, … */
  name: string;
  count: number;
  p50: number;
  p90: number;
  p99: number;
}

/** One worker replica as the dashboard shows it. */
export interface DashboardReplica {
  address: string;
  state: ReplicaHealth;
  /** Calls this router has open on it. */
  inFlight: number;
  /** Slots + queue from its GetInfo; absent while unknown. */
  capacity?: number;
  /** Tokens it generated for this router's synchronous requests so far (the page derives tokens/s). */
  completionTokens: number;
  /** Mean decode speed it reported (tokens/s); 0 before any result. */
  decodeTokensPerSecond: number;
}

/** Everything the dashboard page draws, from what the router already holds. */
export interface DashboardState {
  /** When it was built (ms since the epoch). */
  at: number;
  /** Routing decisions so far, by chosen domain (the page derives routes per second). */
  routes: Record<string, number>;
  /** Classifications so far, by top class, then by what the policy did. */
  outcomes: Record<string, Record<string, number>>;
  /** Confidence histogram: bucket upper bounds, and per class the count in each bucket (not cumulative). */
  confidence: { bounds: number[]; byClass: Record<string, number[]> };
  /** Latency percentiles, seconds: whole requests, time to first token, between tokens, queue wait. */
  latency: { requests: Percentiles[]; timeToFirstToken: Percentiles[]; interToken: Percentiles[]; queueWait: Percentiles[] };
  /** Jobs per domain queue, by state. */
  queues: Record<string, Record<string, number>>;
  /** Running batches, and those finished within the last minute. */
  batches: (RunningBatch & { progress: number })[];
  workers: Record<WorkerDomain, { serving: boolean; replicas: DashboardReplica[] }>;
  /** Requests refused before any work, by reason. */
  rejections: Record<string, number>;
}

/** Builds the dashboard's state from the router's metrics registry, dispatch readiness and batch records. */
@Injectable()
export class DashboardService {
  constructor(
    private readonly metrics: RouterMetricsService,
    private readonly sampler: MetricsSamplerService,
    private readonly dispatch: DispatchService,
  ) {}

  async state(): Promise<DashboardState> {
    const m = this.metrics;
    const batches = await this.sampler.sample();
    const [routeDecisions, outcomes, confidence, requests, ttft, itl, queueWait, queueDepth, tokens, decode, rejections] =
      await Promise.all([
        m.routeDecisions.get(),
        m.routeOutcomes.get(),
        m.routeConfidence.get(),
        m.latency.get(),
        m.timeToFirstToken.get(),
        m.interTokenLatency.get(),
        m.queueWait.get(),
        m.queueDepth.get(),
        m.replicaCompletionTokens.get(),
        m.replicaDecodeRate.get(),
        m.admissionRejections.get(),
      ]);
    return {
      at: Date.now(),
      routes: sumBy(routeDecisions.values, (l) => String(l.domain)),
      outcomes: nested(outcomes.values, 'class', 'outcome'),
      confidence: confidenceOf(confidence.values),
      latency: {
        requests: percentilesOf(requests.values, (l) => `${l.ingress} ${l.operation}`),
        timeToFirstToken: percentilesOf(ttft.values, (l) => String(l.domain)),
        interToken: percentilesOf(itl.values, (l) => String(l.domain)),
        queueWait: percentilesOf(queueWait.values, (l) => String(l.domain)),
      },
      queues: nested(queueDepth.values, 'queue', 'state'),
      batches: batches.map((b) => ({ ...b, progress: b.total ? (b.completed + b.failed + b.cancelled) / b.total : 1 })),
      workers: this.workersOf(tokens.values, decode.values),
      rejections: sumBy(rejections.values, (l) => String(l.reason)),
    };
  }

  private workersOf(tokens: Sample[], decode: Sample[]): DashboardState['workers'] {
    const key = (domain: string, replica: string) => `${domain} ${replica}`;
    const tokensOf = sumBy(tokens, (l) => key(String(l.domain), String(l.replica)));
    const decodeSum = sumBy(
      decode.filter((v) => v.metricName?.endsWith('_sum')),
      (l) => key(String(l.domain), String(l.replica)),
    );
    const decodeCount = sumBy(
      decode.filter((v) => v.metricName?.endsWith('_count')),
      (l) => key(String(l.domain), String(l.replica)),
    );
    const readiness = this.dispatch.readiness();
    const entry = (domain: WorkerDomain) => ({
      serving: readiness[domain].serving,
      replicas: readiness[domain].replicas.map((r): DashboardReplica => {
        const k = key(domain, r.address);
        const count = decodeCount[k] ?? 0;
        return { ...r, completionTokens: tokensOf[k] ?? 0, decodeTokensPerSecond: count ? (decodeSum[k] ?? 0) / count : 0 };
      }),
    });
    return mapWorkerDomains(entry);
  }
}

/** One value of a metric as prom-client's `get()` gives it (histograms: `_bucket`, `_sum`, `_count` by `metricName`). */
interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
}

type Labels = Partial<Record<string, string | number>>;

function sumBy(values: Sample[], keyOf: (labels: Labels) => string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const { labels, value } of values) sums[keyOf(labels)] = (sums[keyOf(labels)] ?? 0) + value;
  return sums;
}

function nested(values: Sample[], outer: string, inner: string): Record<string, Record<string, number>> {
  const result: Record<string, Record<string, number>> = {};
  for (const { labels, value } of values) {
    const row = (result[String(labels[outer])] ??= {});
    row[String(labels[inner])] = (row[String(labels[inner])] ?? 0) + value;
  }
  return result;
}

/** A histogram's series grouped by `keyOf`: cumulative bucket counts by upper bound (Infinity last). */
function bucketsOf(values: Sample[], keyOf: (labels: Labels) => string): Map<string, Map<number, number>> {
  const series = new Map<string, Map<number, number>>();
  for (const { labels, value, metricName } of values) {
    if (!metricName?.endsWith('_bucket')) continue;
    const { le, ...rest } = labels;
    const name = keyOf(rest);
    const buckets = series.get(name) ?? new Map<number, number>();
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + value);
    series.set(name, buckets);
  }
  return series;
}

function percentilesOf(values: Sample[], keyOf: (labels: Labels) => string): Percentiles[] {
  return [...bucketsOf(values, keyOf)]
    .map(([name, buckets]) => {
      const sorted = [...buckets].sort(([a], [b]) => a - b);
      const count = sorted.at(-1)?.[1] ?? 0;
      return { name, count, p50: quantileOf(sorted, 0.5), p90: quantileOf(sorted, 0.9), p99: quantileOf(sorted, 0.99) };
    })
    .filter((p) => p.count > 0)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Prometheus's histogram_quantile: the bucket the rank falls in, interpolated linearly inside it
 * (from 0 for the first); the highest finite bound when it falls in +Inf.
 */
export function quantileOf(cumulative: [number, number][], q: number): number {
  const count = cumulative.at(-1)?.[1] ?? 0;
  if (count === 0) return 0;
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const [bound, cum] of cumulative) {
    if (cum >= rank) {
      if (bound === Infinity) return lower;
      const inBucket = cum - below;
      return inBucket ? lower + ((bound - lower) * (rank - below)) / inBucket : bound;
    }
    lower = bound;
    below = cum;
  }
  return lower;
}

function confidenceOf(values: Sample[]): DashboardState['confidence'] {
  const series = bucketsOf(values, (l) => String(l.class));
  const bounds = [...(series.values().next().value?.keys() ?? [])].filter((b) => b !== Infinity).sort((a, b) => a - b);
  const byClass: Record<string, number[]> = {};
  for (const [name, buckets] of series) {
    const cumulative = bounds.map((b) => buckets.get(b) ?? 0);
    byClass[name] = cumulative.map((cum, i) => cum - (i ? (cumulative[i - 1] ?? 0) : 0));
  }
  return { bounds, byClass };
}
