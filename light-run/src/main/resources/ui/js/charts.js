// Charts in plain SVG. Sizes are attributes (the CSP allows no style attributes); each chart is an image with a text
// alternative, and the numbers are also written out next to it.
import { fmtMs, h, s } from './dom.js';

/** The phases of a run in the order they happen; others the server adds come after them. */
const PHASES = ['queue', 'image', 'plan', 'files', 'upload', 'create', 'attach', 'start', 'run', 'extract', 'remove'];

/** A horizontal bar per phase of the run state's timings (milliseconds). */
export function timingsChart(timings) {
  const entries = Object.entries(timings)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  if (entries.length === 0) return h('p.muted', {}, 'No timings yet (they arrive when the run ends).');
  const max = Math.max(1, ...entries.map(([, v]) => v));
  const rowH = 22; const labelW = 70; const valueW = 80; const width = 600; const barW = width - labelW - valueW;
  const title = `Phase timings: ${entries.map(([k, v]) => `${k} ${fmtMs(v)}`).join(', ')}`;
  return s('svg', { class: 'chart', id: 'timings-chart', viewBox: `0 0 ${width} ${entries.length * rowH + 4}`, role: 'img', 'aria-label': title },
    entries.map(([phase, ms], i) => {
      const y = i * rowH + 2;
      const w = Math.max(1, Math.round((ms / max) * barW));
      return s('g', { 'data-phase': phase },
        s('text', { x: 0, y: y + 15 }, phase),
        s('rect', { class: 'bar', x: labelW, y: y + 3, width: w, height: rowH - 8, rx: 2 }),
        s('text', { x: labelW + w + 6, y: y + 15 }, fmtMs(ms)));
    }));
}

function rank(phase) {
  const i = PHASES.indexOf(phase);
  return i < 0 ? PHASES.length : i;
}

/**
 * Vertical bars, one per bucket; series is [{name, values, cls}] drawn side by side. labels: one per bucket, only
 * every `labelEvery`-th is written. format turns a value into text.
 */
export function barChart({ id, label, labels, series, format = String, labelEvery = 10 }) {
  const width = 600; const height = 160; const left = 44; const bottom = 20; const top = 8;
  const n = labels.length;
  const max = Math.max(1, ...series.flatMap((x) => x.values.filter((v) => v != null)));
  const slot = (width - left) / n;
  const barW = Math.max(1, (slot - 2) / series.length);
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  return s('svg', { class: 'chart', id, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label },
    s('line', { class: 'axis', x1: left, x2: width, y1: height - bottom, y2: height - bottom }),
    s('text', { x: 0, y: top + 10 }, format(max)),
    s('text', { x: 0, y: height - bottom }, format(0)),
    series.map((ser, k) => ser.values.map((v, i) => v == null || v === 0 ? null
      : s('rect', { class: ser.cls || 'bar', x: left + i * slot + 1 + k * barW, y: y(v), width: barW, height: height - bottom - y(v) }))),
    labels.map((text, i) => {
      const last = i === n - 1; // always labelled, right-aligned at the edge
      if (!last && i % labelEvery !== 0) return null;
      return s('text', { x: last ? width : left + i * slot, y: height - 4, 'text-anchor': last ? 'end' : null }, text);
    }));
}

/** The p-th percentile (0..100) of numbers, nearest rank; null when empty. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
