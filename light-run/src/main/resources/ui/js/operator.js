// The operator view (admin keys): capacity from /health and the runs list, runs per minute and p50/p99 duration over
// the last hour, the callback outbox, and whatever /health reports of warm pools and replicas.
import { getJson } from './api.js';
import { fmtMs, fmtTime, h, mount, shortId, statusBadge } from './dom.js';
import { barChart, percentile } from './charts.js';

const POLL_MS = 5000;
const HOUR_MS = 3_600_000;
const MAX_PAGES = 5; // 5 x 1000 runs: enough for an hour on one server; the charts say when they were cut
/** /health fields shown as facts; any other field (pools, replicas, capacity, ...) is shown generically below. */
const KNOWN_HEALTH = ['status', 'docker', 'version', 'dockerVersion', 'dockerApiVersion', 'error'];

export function operatorPage(root) {
  let timer = null;
  let stopped = false;
  const content = h('div#operator', {}, h('p.muted', {}, 'Loading…'));
  const error = h('p.alert', { role: 'alert' });
  mount(root, h('h1', {}, 'Operator'), error, content);

  async function load() {
    try {
      const [health, running, queued, hour] = await Promise.all([
        getJson('/health').then((r) => r.data).catch((e) => ({ status: 'unreachable', error: e.message })),
        getJson('/runs?status=running&limit=1000').then((r) => r.data),
        getJson('/runs?status=queued&limit=1000').then((r) => r.data),
        lastHour(),
      ]);
      if (stopped) return;
      error.textContent = '';
      render(health, running, queued, hour);
    } catch (e) {
      if (!stopped) error.textContent = `Could not load: ${e.message}`;
    }
    if (!stopped) timer = setTimeout(load, POLL_MS);
  }

  /** Runs queued in the last hour, newest first, following X-Next-Cursor until older ones start. */
  async function lastHour() {
    const since = Date.now() - HOUR_MS;
    const runs = [];
    let cursor = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { data, headers } = await getJson('/runs?limit=1000' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
      for (const run of data) {
        if (Date.parse(run.queuedAt) < since) return { runs, cut: false };
        runs.push(run);
      }
      cursor = headers.get('X-Next-Cursor');
      if (!cursor) return { runs, cut: false };
    }
    return { runs, cut: true };
  }

  function render(health, running, queued, hour) {
    const capacity = health.capacity ?? health.maxConcurrent ?? health.slots ?? null;
    const now = Date.now();
    const perMinute = new Array(60).fill(0);
    const durations = Array.from({ length: 12 }, () => []);
    const outbox = { pending: [], gaveUp: [], delivered: 0 };
    for (const run of hour.runs) {
      const age = now - Date.parse(run.queuedAt);
      const minute = 59 - Math.min(59, Math.floor(age / 60_000));
      perMinute[minute]++;
      if (run.durationMs != null && run.finishedAt) durations[11 - Math.min(11, Math.floor(age / 300_000))].push(run.durationMs);
      if (run.callback) {
        if (run.callback.deliveredAt) outbox.delivered++;
        else if (run.callback.gaveUp) outbox.gaveUp.push(run);
        else outbox.pending.push(run);
      }
    }
    const all = hour.runs.filter((r) => r.durationMs != null && r.finishedAt).map((r) => r.durationMs);
    const p50 = durations.map((d) => percentile(d, 50));
    const p99 = durations.map((d) => percentile(d, 99));
    const minuteLabels = perMinute.map((_, i) => i === 59 ? 'now' : `-${59 - i}m`);
    const fiveLabels = durations.map((_, i) => `-${(12 - i) * 5}m`);
    const extra = Object.entries(health).filter(([k]) => !KNOWN_HEALTH.includes(k));

    mount(content,
      h('div.stats', {},
        stat('Running', running.length, 'stat-running'),
        stat('Queued', queued.length, 'stat-queued'),
        stat('Capacity', capacity ?? 'n/a', 'stat-capacity', capacity == null ? 'not reported by /health' : null),
        stat('Runs, last hour', hour.runs.length + (hour.cut ? '+' : ''), 'stat-hour'),
        stat('p50 duration', fmtMs(percentile(all, 50)) || '–', 'stat-p50'),
        stat('p99 duration', fmtMs(percentile(all, 99)) || '–', 'stat-p99')),
      h('section.card', { 'aria-labelledby': 'h-health' }, h('h2#h-health', {}, 'Server'),
        h('dl.facts', {},
          fact('Status', health.status), fact('Docker', health.docker ? `yes (${health.dockerVersion}, API ${health.dockerApiVersion})` : `no${health.error ? ': ' + health.error : ''}`),
          fact('Version', health.version || '')),
        extra.length ? [h('h3', {}, 'Pools, replicas and more (from /health)'), h('dl.facts#health-extra', {}, extra.map(([k, v]) => fact(k, describe(v))))] : null),
      h('section.card', { 'aria-labelledby': 'h-rpm' }, h('h2#h-rpm', {}, 'Runs per minute, last hour'),
        barChart({ id: 'chart-rpm', label: `Runs per minute over the last hour: ${hour.runs.length} in all, at most ${Math.max(...perMinute)} in one minute`,
          labels: minuteLabels, series: [{ values: perMinute }], labelEvery: 10 })),
      h('section.card', { 'aria-labelledby': 'h-dur' }, h('h2#h-dur', {}, 'Duration p50 and p99, per 5 minutes'),
        h('p.legend', {}, h('span', {}, h('span.swatch.a'), 'p50'), h('span', {}, h('span.swatch.b'), 'p99')),
        barChart({ id: 'chart-duration', label: `Run duration per 5 minutes over the last hour; overall p50 ${fmtMs(percentile(all, 50)) || 'none'}, p99 ${fmtMs(percentile(all, 99)) || 'none'}`,
          labels: fiveLabels, series: [{ values: p50 }, { values: p99, cls: 'bar2' }], format: fmtMs, labelEvery: 3 })),
      h('section.card', { 'aria-labelledby': 'h-outbox' }, h('h2#h-outbox', {}, 'Callback outbox (last hour)'),
        h('p#outbox-summary', {}, `${outbox.pending.length} pending, ${outbox.gaveUp.length} given up, ${outbox.delivered} delivered.`),
        outbox.pending.length + outbox.gaveUp.length ? h('table.stack', {},
          h('thead', {}, h('tr', {}, ['Run', 'State', 'Attempts', 'Last status'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, [...outbox.pending, ...outbox.gaveUp].map((r) => h('tr', {},
            h('td.mono', { 'data-label': 'Run' }, h('a', { href: `#/runs/${encodeURIComponent(r.id)}` }, shortId(r.id))),
            h('td', { 'data-label': 'State' }, r.callback.gaveUp ? 'gave up' : 'pending'),
            h('td', { 'data-label': 'Attempts' }, r.callback.attempts),
            h('td', { 'data-label': 'Last status' }, r.callback.lastStatus ?? '–'))))) : null),
      h('section.card', { 'aria-labelledby': 'h-active' }, h('h2#h-active', {}, 'Running and queued'),
        running.length + queued.length === 0 ? h('p.muted', {}, 'Nothing running.') :
          h('ul', {}, [...running, ...queued].map((r) => h('li', {}, statusBadge(r.status), ' ',
            h('a.mono', { href: `#/runs/${encodeURIComponent(r.id)}` }, shortId(r.id)), ` ${r.image} ${r.owner ? 'by ' + r.owner : ''}, since ${fmtTime(r.startedAt || r.queuedAt)}`)))));
  }

  load();
  return { stop() { stopped = true; clearTimeout(timer); } };
}

function stat(label, value, id, hint) {
  return h(`div.stat#${id}`, {}, h('div.muted', {}, label), h('div.value', {}, String(value)), hint ? h('div.hint', {}, hint) : null);
}

function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value)];
}

function describe(value) {
  if (value == null || typeof value !== 'object') return String(value);
  return h('code', {}, JSON.stringify(value));
}
