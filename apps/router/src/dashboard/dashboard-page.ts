import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { WORKER_DOMAINS } from '@slm/contracts';
import type { HttpResponse } from '../http/http.types';

/** Where the page is served; its script and Chart.js (from node_modules) sit under it. */
export const DASHBOARD_PATH = '/dashboard';

/** The data the page polls (admin scope once API keys exist). */
const STATE_PATH = '/v1/dashboard/state';

/** Chart.js's self-contained UMD build, served as installed: no CDN, no build step. */
function chartJsFile(): string {
  // The package's exports map hides dist/: resolve its main entry and take the file beside it.
  return path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
}

/**
 * Serves the dashboard page, its script and Chart.js at /dashboard… The page is static and open
 * (it holds no data); its script polls {@link STATE_PATH}, which the API key guard covers, and asks
 * for a key when that answers 401/403. Plain Fastify routes rather than controller routes: these
 * are files, not API operations (the OpenAPI document lists the latter).
 */
export function serveDashboard(app: NestFastifyApplication): void {
  // Read once at start-up (some 200 KB): a missing package fails the start, not the first page view.
  const chartJs = readFileSync(chartJsFile());
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get(DASHBOARD_PATH, (_request, reply) => {
    reply.header(
      'content-security-policy',
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    );
    return send(reply, 'text/html; charset=utf-8', DASHBOARD_HTML);
  });
  fastify.get(`${DASHBOARD_PATH}/dashboard.js`, (_request, reply) => send(reply, 'text/javascript; charset=utf-8', DASHBOARD_JS));
  fastify.get(`${DASHBOARD_PATH}/chart.umd.min.js`, (_request, reply) => send(reply, 'text/javascript; charset=utf-8', chartJs));
}

function send(reply: HttpResponse, contentType: string, body: string | Buffer): HttpResponse {
  return reply.header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').type(contentType).code(200).send(body);
}

const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>slm-router dashboard</title>
<link rel="icon" href="data:,">
<style>
  :root { --bg: #f6f7f9; --card: #fff; --ink: #1d2330; --muted: #6b7280; --line: #e5e7eb; --ok: #2e9d5b; --bad: #d64545; --warn: #d99a1e; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--ink); }
  header { display: flex; align-items: baseline; gap: 16px; padding: 14px 20px; background: #1d2330; color: #fff; }
  header h1 { font-size: 18px; margin: 0; }
  header #status { color: #c7cbd4; font-size: 13px; }
  main { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 14px; padding: 14px 20px; }
  section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 14px; margin: 0 0 8px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
  .chart { position: relative; height: 220px; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th { color: var(--muted); font-weight: 500; white-space: normal; vertical-align: bottom; }
  #outcomes table + table { margin-top: 10px; }
  td.num, th.num { text-align: right; }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; color: #fff; }
  .serving { background: var(--ok); } .not_serving { background: var(--bad); } .unknown { background: var(--warn); }
  .running { background: #4e79a7; } .completed { background: var(--ok); } .cancelled { background: var(--muted); }
  .bar { position: relative; height: 16px; background: #eef0f3; border-radius: 4px; overflow: hidden; min-width: 120px; }
  .bar > span { position: absolute; inset: 0 auto 0 0; background: #4e79a7; }
  .bar > em { position: absolute; inset: 0; text-align: center; font: 11px/16px system-ui, sans-serif; font-style: normal; color: #1d2330; }
  .empty { color: var(--muted); padding: 6px 0; }
  #key-form { display: none; gap: 8px; align-items: center; padding: 12px 20px; background: #fff4e5; border-bottom: 1px solid #f3d19e; }
  #key-form input { width: 360px; padding: 4px 6px; }
</style>
</head>
<body>
<header><h1>slm-router</h1><span id="status">connecting…</span></header>
<form id="key-form"><label for="key">This router needs an API key with the <b>admin</b> scope:</label>
  <input id="key" type="password" autocomplete="off" placeholder="slm_…"><button type="submit">Use key</button><span id="key-error"></span></form>
<main>
  <section><h2>Routes per second, by domain</h2><div class="chart"><canvas id="routes-chart"></canvas></div></section>
  <section><h2>Classification confidence</h2><div class="chart"><canvas id="confidence-chart"></canvas></div></section>
  <section><h2>Latency percentiles (ms)</h2><div class="chart"><canvas id="latency-chart"></canvas></div></section>
  <section><h2>Queue depths</h2><div class="chart"><canvas id="queues-chart"></canvas></div></section>
  <section><h2>Routing outcomes</h2><div id="outcomes"></div></section>
  <section><h2>Latency detail (ms)</h2><div id="latency"></div></section>
  <section class="wide"><h2>Worker replicas</h2><div id="workers"></div></section>
  <section class="wide"><h2>Batches</h2><div id="batches"></div></section>
</main>
<script src="${DASHBOARD_PATH}/chart.umd.min.js"></script>
<script src="${DASHBOARD_PATH}/dashboard.js"></script>
</body>
</html>
`;

// Plain ES2017 for the browser; no template literals (this file holds it in one).
const DASHBOARD_JS = `(function () {
  'use strict';
  var STATE_URL = '${STATE_PATH}';
  var KEY_STORE = 'slm-dashboard-key';
  var POLL_MS = 1000;
  var POINTS = 120;
  var DOMAINS = ${JSON.stringify(WORKER_DOMAINS)};
  var COLORS = { math: '#4e79a7', code: '#f28e2b', science: '#59a14f', other: '#9c755f', none: '#bab0ac' };
  var previous = null;
  var tokensPerSecond = {};
  var charts = {};

  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.size = 11;

  function $(id) { return document.getElementById(id); }
  function colorOf(name) { return COLORS[name] || '#76b7b2'; }
  function ms(seconds) { return (seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1); }
  function text(value) { return document.createTextNode(String(value)); }
  function cell(tag, value, className) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (value instanceof Node) node.appendChild(value); else node.appendChild(text(value));
    return node;
  }
  function table(head, rows, numeric) {
    var t = document.createElement('table');
    var tr = document.createElement('tr');
    head.forEach(function (h, i) { tr.appendChild(cell('th', h, numeric && numeric[i] ? 'num' : '')); });
    t.appendChild(tr);
    rows.forEach(function (row) {
      var r = document.createElement('tr');
      if (row.attrs) Object.keys(row.attrs).forEach(function (k) { r.setAttribute(k, row.attrs[k]); });
      row.cells.forEach(function (v, i) { r.appendChild(cell('td', v, numeric && numeric[i] ? 'num' : '')); });
      t.appendChild(r);
    });
    return t;
  }
  function bar(fraction, label, color) {
    var outer = document.createElement('div');
    outer.className = 'bar';
    var fill = document.createElement('span');
    fill.style.width = Math.max(0, Math.min(1, fraction)) * 100 + '%';
    if (color) fill.style.background = color;
    var caption = document.createElement('em');
    caption.textContent = label;
    outer.appendChild(fill);
    outer.appendChild(caption);
    return outer;
  }
  function badge(value) { var b = document.createElement('span'); b.className = 'badge ' + value; b.textContent = value.replace('_', ' '); return b; }
  function replace(id, node) { var host = $(id); host.textContent = ''; host.appendChild(node); }
  function empty(message) { var p = document.createElement('div'); p.className = 'empty'; p.textContent = message; return p; }

  function chart(id, type, options) {
    if (!charts[id]) charts[id] = new Chart($(id), { type: type, data: { labels: [], datasets: [] }, options: options || {} });
    return charts[id];
  }
  function setDatasets(c, labels, datasets) {
    c.data.labels = labels;
    datasets.forEach(function (d, i) {
      var existing = c.data.datasets[i];
      if (existing && existing.label === d.label) existing.data = d.data;
      else c.data.datasets[i] = d;
    });
    c.data.datasets.length = datasets.length;
    c.update('none');
  }

  function renderRoutes(state) {
    var c = chart('routes-chart', 'line', { scales: { y: { beginAtZero: true, title: { display: true, text: 'routes/s' } } }, elements: { point: { radius: 0 } } });
    var names = DOMAINS.concat(Object.keys(state.routes).filter(function (d) { return DOMAINS.indexOf(d) < 0; }));
    if (!c.data.datasets.length) names.forEach(function (d) { c.data.datasets.push({ label: d, data: [], borderColor: colorOf(d), backgroundColor: colorOf(d) }); });
    names.forEach(function (d) {
      if (!c.data.datasets.some(function (s) { return s.label === d; })) c.data.datasets.push({ label: d, data: c.data.labels.map(function () { return 0; }), borderColor: colorOf(d), backgroundColor: colorOf(d) });
    });
    var seconds = previous ? (state.at - previous.at) / 1000 : 0;
    c.data.labels.push(new Date(state.at).toLocaleTimeString());
    c.data.datasets.forEach(function (s) {
      var now = state.routes[s.label] || 0;
      var before = previous ? previous.routes[s.label] || 0 : now;
      s.data.push(seconds > 0 ? Math.max(0, now - before) / seconds : 0);
      if (s.data.length > POINTS) s.data.shift();
    });
    if (c.data.labels.length > POINTS) c.data.labels.shift();
    c.update('none');
  }

  function renderConfidence(state) {
    var c = chart('confidence-chart', 'bar', { scales: { x: { stacked: true, title: { display: true, text: 'confidence ≤' } }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'problems' } } } });
    var classes = Object.keys(state.confidence.byClass).sort();
    setDatasets(c, state.confidence.bounds.map(function (b) { return b.toFixed(2); }), classes.map(function (k) {
      return { label: k, data: state.confidence.byClass[k], backgroundColor: colorOf(k) };
    }));
  }

  function latencyRows(state) {
    var rows = [];
    [['request', state.latency.requests], ['first token', state.latency.timeToFirstToken], ['between tokens', state.latency.interToken], ['queue wait', state.latency.queueWait]].forEach(function (group) {
      group[1].forEach(function (p) { rows.push({ kind: group[0], p: p }); });
    });
    return rows;
  }

  function renderLatency(state) {
    var rows = latencyRows(state);
    var c = chart('latency-chart', 'bar', {
      indexAxis: 'y',
      scales: {
        x: { type: 'logarithmic', title: { display: true, text: 'ms (log scale)' }, ticks: { callback: function (v) { return [0.1, 1, 10, 100, 1000, 10000, 100000].indexOf(v) >= 0 ? v : ''; } } },
        y: { ticks: { autoSkip: false } },
      },
    });
    var labels = rows.map(function (r) { return r.kind + ': ' + r.p.name; });
    setDatasets(c, labels, [
      { label: 'p50', data: rows.map(function (r) { return r.p.p50 * 1000; }), backgroundColor: '#59a14f' },
      { label: 'p90', data: rows.map(function (r) { return r.p.p90 * 1000; }), backgroundColor: '#edc948' },
      { label: 'p99', data: rows.map(function (r) { return r.p.p99 * 1000; }), backgroundColor: '#e15759' },
    ]);
    replace('latency', rows.length ? table(['what', 'series', 'count', 'p50', 'p90', 'p99'], rows.map(function (r) {
      return { cells: [r.kind, r.p.name, r.p.count, ms(r.p.p50), ms(r.p.p90), ms(r.p.p99)] };
    }), [false, false, true, true, true, true]) : empty('no requests yet'));
  }

  function renderQueues(state) {
    var c = chart('queues-chart', 'bar', { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'jobs' } } } });
    var queues = Object.keys(state.queues).sort();
    var of = function (q, names) { return names.reduce(function (sum, n) { return sum + (state.queues[q][n] || 0); }, 0); };
    setDatasets(c, queues, [
      { label: 'waiting', data: queues.map(function (q) { return of(q, ['waiting', 'prioritized']); }), backgroundColor: '#edc948' },
      { label: 'delayed', data: queues.map(function (q) { return of(q, ['delayed']); }), backgroundColor: '#bab0ac' },
      { label: 'active', data: queues.map(function (q) { return of(q, ['active']); }), backgroundColor: '#4e79a7' },
    ]);
  }

  function renderWorkers(state) {
    var rows = [];
    var seconds = previous ? (state.at - previous.at) / 1000 : 0;
    Object.keys(state.workers).forEach(function (domain) {
      state.workers[domain].replicas.forEach(function (r) {
        var key = domain + ' ' + r.address;
        var before = previous && previous.tokens[key];
        if (seconds > 0 && before !== undefined) tokensPerSecond[key] = Math.max(0, r.completionTokens - before) / seconds;
        var load = r.capacity ? r.inFlight / r.capacity : 0;
        rows.push({
          attrs: { 'data-replica': r.address, 'data-domain': domain, 'data-state': r.state },
          cells: [domain, r.address, badge(r.state), bar(load, r.inFlight + ' / ' + (r.capacity === undefined ? '?' : r.capacity), load > 0.9 ? '#e15759' : '#4e79a7'),
            (tokensPerSecond[key] || 0).toFixed(1), r.decodeTokensPerSecond ? r.decodeTokensPerSecond.toFixed(1) : '–', r.completionTokens],
        });
      });
    });
    replace('workers', table(['domain', 'replica', 'state', 'load (in flight / capacity)', 'tokens/s', 'decode tokens/s (mean)', 'tokens'], rows, [false, false, false, false, true, true, true]));
  }

  function renderBatches(state) {
    if (!state.batches.length) return replace('batches', empty('no running batch'));
    replace('batches', table(['batch', 'tenant', 'state', 'progress', 'completed', 'failed', 'cancelled', 'started'], state.batches.map(function (b) {
      var pct = Math.floor(b.progress * 100) + '%';
      return {
        attrs: { 'data-batch-id': b.batchId, 'data-state': b.state, 'data-progress': String(b.progress) },
        cells: [b.batchId, b.tenant, badge(b.state), bar(b.progress, pct + '  (' + (b.completed + b.failed + b.cancelled) + ' / ' + b.total + ')', b.state === 'completed' ? '#59a14f' : '#4e79a7'),
          b.completed, b.failed, b.cancelled, new Date(b.createdAtMs).toLocaleTimeString()],
      };
    }), [false, false, false, false, true, true, true, false]));
  }

  function renderOutcomes(state) {
    var names = ['routed', 'low_confidence', 'fallback', 'overridden', 'rejected', 'unavailable_fallback'];
    var heads = ['routed', 'low conf.', 'fallback', 'override', 'rejected', 'no replica'];
    var classes = Object.keys(state.outcomes).sort();
    var rows = classes.map(function (k) { return { cells: [k].concat(names.map(function (n) { return state.outcomes[k][n] || 0; })) }; });
    var host = document.createElement('div');
    host.appendChild(rows.length ? table(['class'].concat(heads), rows, [false, true, true, true, true, true, true]) : empty('no classification yet'));
    var reasons = Object.keys(state.rejections);
    if (reasons.length) host.appendChild(table(['admission rejections', 'count'], reasons.map(function (r) { return { cells: [r, state.rejections[r]] }; }), [false, true]));
    replace('outcomes', host);
  }

  function render(state) {
    renderRoutes(state);
    renderConfidence(state);
    renderLatency(state);
    renderQueues(state);
    renderWorkers(state);
    renderBatches(state);
    renderOutcomes(state);
    var tokens = {};
    Object.keys(state.workers).forEach(function (d) { state.workers[d].replicas.forEach(function (r) { tokens[d + ' ' + r.address] = r.completionTokens; }); });
    previous = { at: state.at, routes: state.routes, tokens: tokens };
    $('status').textContent = 'live · ' + new Date(state.at).toLocaleTimeString();
  }

  function askKey(status) {
    $('key-form').style.display = 'flex';
    $('key-error').textContent = status === 403 ? 'that key lacks the admin scope' : sessionStorage.getItem(KEY_STORE) ? 'that key was refused' : '';
    $('status').textContent = 'waiting for an API key';
  }

  var timer = null;
  function schedule() { clearTimeout(timer); timer = setTimeout(poll, POLL_MS); }
  function poll() {
    var key = sessionStorage.getItem(KEY_STORE);
    fetch(STATE_URL, { headers: key ? { authorization: 'Bearer ' + key } : {}, cache: 'no-store' })
      .then(function (res) {
        if (res.status === 401 || res.status === 403) { askKey(res.status); return null; }
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json().then(function (state) { $('key-form').style.display = 'none'; render(state); schedule(); });
      })
      .catch(function (error) { $('status').textContent = 'unreachable (' + error.message + '), retrying'; schedule(); });
  }

  $('key-form').addEventListener('submit', function (event) {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORE, $('key').value.trim());
    poll();
  });
  poll();
})();
`;
