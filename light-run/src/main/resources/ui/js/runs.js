// The runs page: a live table of runs (polled every 2 s), filtered by status and owner, paged by X-Next-Cursor.
import { getJson } from './api.js';
import { fmtMs, fmtTime, h, mount, shortId, statusBadge } from './dom.js';

const POLL_MS = 2000;
const PAGE = 25;
const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

export function runsPage(root, { isAdmin }) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const state = { status: params.get('status') || '', owner: params.get('owner') || '', cursors: [null], next: null };
  let timer = null;
  let stopped = false;
  let shown = ''; // what the table shows, as JSON: an unchanged poll leaves it (and the focus) alone

  const status = h('select#f-status', { onchange: () => { state.status = status.value; restart(); } },
    h('option', { value: '' }, 'any'), STATUSES.map((s) => h('option', { value: s }, s)));
  status.value = state.status;
  const owner = h('input#f-owner', { type: 'text', value: state.owner, autocomplete: 'off',
    onchange: () => { state.owner = owner.value.trim(); restart(); } });
  const error = h('p.alert', { role: 'alert' });
  const body = h('tbody');
  const caption = h('caption.visually-hidden', {}, 'Runs, newest first');
  const pageInfo = h('span.muted', { 'aria-live': 'polite' });
  const prev = h('button.secondary', { type: 'button', onclick: () => { state.cursors.pop(); restart(false); } }, 'Newer');
  const next = h('button.secondary', { type: 'button', onclick: () => { state.cursors.push(state.next); restart(false); } }, 'Older');

  const columns = ['Status', 'Run', 'Image', 'Owner', 'Queued', 'Started', 'Finished', 'Duration', 'Exit code', 'Error code'];
  const table = h('table.stack#runs-table', {}, caption,
    h('thead', {}, h('tr', {}, columns.map((c, i) => h(i >= 7 && i <= 8 ? 'th.num' : 'th', { scope: 'col' }, c)))),
    body);

  mount(root,
    h('h1', {}, 'Runs'),
    h('form.row.card', { role: 'search', 'aria-label': 'Filter runs', onsubmit: (e) => { e.preventDefault(); state.owner = owner.value.trim(); restart(); } },
      h('div', {}, h('label', { for: 'f-status' }, 'Status'), status),
      h('div', {}, h('label', { for: 'f-owner' }, 'Owner', isAdmin ? null : h('span.hint', {}, 'admin keys see every owner')), owner),
      h('button.secondary', { type: 'submit' }, 'Filter'),
      h('span.spacer'),
      h('a.button', { href: '#/new' }, 'New run')),
    error,
    table,
    h('div.pager', {}, prev, next, pageInfo));

  function restart(resetPaging = true) {
    if (resetPaging) state.cursors = [null];
    clearTimeout(timer);
    load();
  }

  async function load() {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (state.status) query.set('status', state.status);
    if (state.owner) query.set('owner', state.owner);
    const cursor = state.cursors[state.cursors.length - 1];
    if (cursor) query.set('cursor', cursor);
    try {
      const { data, headers } = await getJson('/runs?' + query);
      if (stopped) return;
      error.textContent = '';
      state.next = headers.get('X-Next-Cursor');
      // A server without owner filtering ignores ?owner=: filter here as well.
      render(state.owner ? data.filter((r) => r.owner === state.owner) : data);
    } catch (e) {
      if (stopped) return;
      error.textContent = `Could not load runs: ${e.message}`;
    }
    if (!stopped) timer = setTimeout(load, POLL_MS);
  }

  function render(runs) {
    const json = JSON.stringify([runs, state.cursors, state.next]);
    if (json === shown) return;
    shown = json;
    const rows = runs.map((run) => h('tr', { 'data-run': run.id },
      h('td', { 'data-label': 'Status' }, statusBadge(run.status)),
      h('td.mono', { 'data-label': 'Run' }, h('a', { href: `#/runs/${encodeURIComponent(run.id)}`, 'aria-label': `Run ${run.id}` }, shortId(run.id))),
      h('td', { 'data-label': 'Image' }, run.image || ''),
      h('td', { 'data-label': 'Owner' }, run.owner || ''),
      h('td', { 'data-label': 'Queued' }, fmtTime(run.queuedAt)),
      h('td', { 'data-label': 'Started' }, fmtTime(run.startedAt)),
      h('td', { 'data-label': 'Finished' }, fmtTime(run.finishedAt)),
      h('td.num', { 'data-label': 'Duration' }, fmtMs(run.durationMs)),
      h('td.num', { 'data-label': 'Exit code' }, run.exitCode ?? ''),
      h('td.mono', { 'data-label': 'Error code' }, run.errorCode || '')));
    if (rows.length === 0) rows.push(h('tr', {}, h('td.muted', { colspan: columns.length }, 'No runs.')));
    // Keep focus on a link that is re-rendered (the table is rebuilt every poll).
    const focused = document.activeElement?.closest?.('tr[data-run]')?.dataset.run;
    mount(body, rows);
    if (focused) body.querySelector(`tr[data-run="${CSS.escape(focused)}"] a`)?.focus();
    prev.disabled = state.cursors.length === 1;
    next.disabled = !state.next;
    const page = state.cursors.length;
    pageInfo.textContent = `Page ${page}${state.next ? '' : ' (last)'}`;
  }

  load();
  return { stop() { stopped = true; clearTimeout(timer); } };
}
