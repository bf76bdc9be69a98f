import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { RouterMetricsService } from './router-metrics.service';

/**
 * deploy/observability against the router: every series the Grafana dashboard queries exists in the
 * router's registry, every documented metric too, and Prometheus and the collector are wired to the
 * services docker-compose starts.
 */
const root = join(__dirname, '../../../..');
const observability = join(root, 'deploy/observability');
const registered = new Set(new RouterMetricsService().registry.getMetricsAsArray().map((metric) => metric.name));
/** A series name as queried (`…_bucket`, `…_sum`, `…_count` of a histogram) to its metric's name. */
const metricOf = (series: string) => series.replace(/_(bucket|sum|count)$/, '');

describe('deploy/observability', () => {
  it('the Grafana dashboard queries only metrics the router exports', () => {
    const dashboard = JSON.parse(readFileSync(join(observability, 'grafana/dashboards/slm-router.json'), 'utf8')) as {
      uid: string;
      panels: { title: string; targets: { expr: string }[] }[];
    };
    expect(dashboard.uid).toBe('slm-router');
    const queried = new Set(
      dashboard.panels.flatMap((panel) =>
        panel.targets.flatMap((target) => [...target.expr.matchAll(/slm_router_[a-z_]+/g)].map((m) => metricOf(m[0]))),
      ),
    );
    expect(queried.size).toBeGreaterThanOrEqual(12);
    expect([...queried].filter((name) => !registered.has(name))).toEqual([]);
  });

  it('every metric of the README table is registered, and every slm metric is in the table', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const documented = new Set([...readme.matchAll(/^\| `(slm_router_[a-z_]+)` \|/gm)].map((m) => m[1] as string));
    expect([...documented].filter((name) => !registered.has(name))).toEqual([]);
    // prom-client's process metrics (same prefix) are described in a sentence, not the table.
    const ours = [...registered].filter((name) => !/^slm_router_(process|nodejs)_/.test(name));
    expect(ours.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('Prometheus scrapes the router where docker-compose publishes it, and the collector sends traces on', () => {
    const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { environment?: Record<string, string>; profiles?: string[] }>;
    };
    const prometheus = parse(readFileSync(join(observability, 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { metrics_path: string; static_configs: { targets: string[] }[] }[];
    };
    const [job] = prometheus.scrape_configs;
    expect(job?.metrics_path).toBe('/metrics');
    expect(job?.static_configs[0]?.targets).toEqual([`router:${compose.services['router']?.environment?.['ROUTER_HTTP_PORT']}`]);
    for (const service of ['prometheus', 'grafana', 'otel-collector', 'jaeger'])
      expect(compose.services[service]?.profiles).toEqual(['observability']);
    const collector = parseDocument(readFileSync(join(observability, 'otel-collector.yaml'), 'utf8')).toJS() as {
      receivers: Record<string, unknown>;
      exporters: Record<string, unknown>;
      service: { pipelines: { traces: { receivers: string[]; exporters: string[] } } };
    };
    const { traces } = collector.service.pipelines;
    expect(traces.receivers.every((name) => name in collector.receivers)).toBe(true);
    expect(traces.exporters.every((name) => name in collector.exporters)).toBe(true);
  });
});
