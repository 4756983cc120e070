// One run: its state, actions that apply, live logs, phase timings, artifacts.
import { call, download, followLogs, getJson, runPath } from './api.js';
import { announce, fmtBytes, fmtMs, fmtTime, h, mount, statusBadge } from './dom.js';
import { timingsChart } from './charts.js';

const POLL_MS = 1500;

/** The run state's errorCode in words. */
export const ERROR_WORDS = {
  NONZERO_EXIT: 'The workload exited with a non-zero code.',
  TIMED_OUT: 'The run exceeded its timeout and was killed.',
  OOM_KILLED: 'The run used more memory than its limit and was killed.',
  CANCELLED: 'The run was cancelled.',
  STOPPED: 'The run was stopped on request.',
  IMAGE_NOT_FOUND: 'The image was not found locally or in its registry.',
  BUILD_FAILED: 'A build step failed.',
  START_FAILED: 'The container could not be created or started.',
  DAEMON_UNREACHABLE: 'The Docker daemon did not answer.',
  EXTRACTION_REFUSED: 'Extracting the requested files was refused (over the size cap).',
  INVALID_REQUEST: 'The request was invalid.',
  DOCKER_ERROR: 'Docker reported an error.',
  LOST: 'The server restarted and could not pick the run up again.',
  REPLICA_LOST: 'The replica executing the run was declared gone (light-run replicas forget).',
  NOT_FOUND: 'Something the run needed was not found.',
  CONFLICT: 'Docker reported a conflict.',
};

const isActive = (run) => run.status === 'running' || run.status === 'queued';

export function runPage(root, id) {
  const controller = new AbortController();
  let timer = null;
  let run = null;
  let shown = ''; // the state on screen, as JSON: an unchanged poll leaves the page (and the focus) alone
  let paused = false; // the API has no paused status; remembered from this page's own pause/resume
  let logsStarted = false;
  let lineCount = 0;

  const heading = h('h1', {}, 'Run ', h('span.mono', {}, id));
  const summary = h('div.card#run-summary');
  const actions = h('div.actions#run-actions', { role: 'group', 'aria-label': 'Run actions' });
  const actionError = h('p.alert#action-error', { role: 'alert' });
  const logs = h('pre.logs#logs', { role: 'log', 'aria-label': 'Output, stdout and stderr', tabindex: '0' });
  const logStatus = h('p.muted#log-status', {}, 'Connecting to the log…');
  const timings = h('div#timings');
  const artifacts = h('div#artifacts');
  const loadError = h('p.alert', { role: 'alert' });

  mount(root, h('p', {}, h('a', { href: '#/runs' }, '← All runs')), heading, loadError, summary, actions, actionError,
    h('section', { 'aria-labelledby': 'h-logs' }, h('h2#h-logs', {}, 'Logs'),
      h('p.legend', {}, h('span', {}, 'out = stdout'), h('span.err-key', {}, 'err = stderr (shown in red)')), logs, logStatus),
    h('section', { 'aria-labelledby': 'h-timings' }, h('h2#h-timings', {}, 'Phase timings'), timings),
    h('section', { 'aria-labelledby': 'h-artifacts' }, h('h2#h-artifacts', {}, 'Artifacts'), artifacts));

  async function refresh() {
    try {
      const { data } = await getJson(runPath(id), { signal: controller.signal });
      run = data;
      loadError.textContent = '';
      const json = JSON.stringify(data);
      if (json !== shown) { shown = json; render(); }
      if (!logsStarted) startLogs();
    } catch (e) {
      if (e.name === 'AbortError') return;
      loadError.textContent = e.status === 404 ? 'No such run (or not one this key may see).' : `Could not load the run: ${e.message}`;
      if (e.status === 404) { mount(summary); mount(actions); return; }
    }
    if (run && isActive(run) && !controller.signal.aborted) timer = setTimeout(refresh, POLL_MS);
  }

  function render() {
    mount(summary, h('dl.facts', {},
      fact('Status', statusBadge(run.status), paused && run.status === 'running' ? ' (paused)' : ''),
      fact('Image', h('span.mono', {}, run.image)),
      run.owner ? fact('Owner', run.owner) : null,
      fact('Queued', fmtTime(run.queuedAt)),
      fact('Started', fmtTime(run.startedAt) || '–'),
      fact('Finished', fmtTime(run.finishedAt) || '–'),
      fact('Duration', fmtMs(run.durationMs) || '–'),
      fact('Exit code', h('span#exit-code', {}, run.exitCode ?? '–')),
      run.replica ? fact('Replica', h('span.mono#run-replica', {}, run.replica)) : null,
      run.callback ? fact('Callback', callbackWords(run.callback)) : null),
    run.error || run.errorCode ? h('div.error-box#run-error', {},
      h('strong', {}, run.errorCode ? `${run.errorCode}: ` : 'Error: '),
      h('span', {}, errorInWords(run)),
      run.timedOut ? ' (timed out)' : '', run.oomKilled ? ' (OOM-killed)' : '') : null);
    renderActions();
    mount(timings, timingsChart(run.timings || {}));
    renderArtifacts();
  }

  function renderActions() {
    const had = document.activeElement?.dataset?.action;
    const buttons = [];
    if (isActive(run)) buttons.push(action('cancel', 'Cancel run', 'danger'));
    if (run.status === 'running') {
      buttons.push(action('stop', 'Stop (SIGTERM, then kill)', 'secondary'));
      buttons.push(paused ? action('resume', 'Resume', 'secondary') : action('pause', 'Pause', 'secondary'));
    }
    if (!isActive(run)) buttons.push(action('delete', 'Delete run', 'danger'));
    mount(actions, buttons);
    if (had) actions.querySelector(`[data-action="${had}"]`)?.focus();
  }

  function action(name, label, kind) {
    return h(`button.${kind}`, { type: 'button', 'data-action': name, onclick: () => act(name) }, label);
  }

  async function act(name) {
    actionError.textContent = '';
    if (name === 'delete' && !window.confirm('Delete this run and its artifacts?')) return;
    try {
      if (name === 'stop') await call('POST', runPath(id, '/stop'), { body: { signal: 'SIGTERM', grace: 10000 } });
      else if (name === 'delete') await call('DELETE', runPath(id));
      else await call('POST', runPath(id, '/' + name));
    } catch (e) {
      // pause on a run paused before this page opened: it is paused, offer resume
      if (name === 'pause' && e.status === 409) { paused = true; render(); return; }
      actionError.textContent = `Could not ${name} the run: ${e.message}`;
      return;
    }
    announce(`Run ${name === 'stop' ? 'stopping' : name + (name.endsWith('e') ? 'd' : 'ed')}.`);
    if (name === 'delete') { location.hash = '#/runs'; return; }
    if (name === 'pause') paused = true;
    if (name === 'resume') paused = false;
    shown = ''; // the state may look the same to the API (paused is not a status): draw it again
    clearTimeout(timer);
    refresh();
  }

  function renderArtifacts() {
    const files = run.artifacts || [];
    if (files.length === 0) {
      mount(artifacts, h('p.muted', {}, isActive(run) ? 'Extracted files appear when the run ends.' : 'No artifacts.'));
      return;
    }
    mount(artifacts, h('table.stack#artifacts-table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Path'), h('th', { scope: 'col' }, 'Type'),
        h('th.num', { scope: 'col' }, 'Size'), h('th', { scope: 'col' }, h('span.visually-hidden', {}, 'Download')))),
      h('tbody', {}, files.map((a) => h('tr', {},
        h('td.mono', { 'data-label': 'Path' }, a.path),
        h('td', { 'data-label': 'Type' }, a.type),
        h('td.num', { 'data-label': 'Size' }, a.type === 'file' ? fmtBytes(a.bytes) : ''),
        h('td', { 'data-label': 'Download' }, a.type === 'file'
          ? h('button.secondary', { type: 'button', 'data-artifact': a.path, 'aria-label': `Download ${a.path}`,
            onclick: () => download(id, a.path).catch((e) => { actionError.textContent = `Download failed: ${e.message}`; }) }, 'Download')
          : ''))))));
  }

  async function startLogs() {
    logsStarted = true;
    logStatus.textContent = isActive(run) ? 'Following live…' : 'Loading…';
    try {
      await followLogs(id, (record) => {
        if (lineCount === 0) logs.replaceChildren();
        lineCount++;
        const err = record.stream === 'stderr';
        const stick = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 4;
        logs.append(h(`span.line.${err ? 'stderr' : 'stdout'}`, { 'data-stream': record.stream },
          h('span.tag', { title: record.t }, err ? 'err' : 'out'), h('span.text', {}, record.line)));
        if (stick) logs.scrollTop = logs.scrollHeight;
      }, controller.signal);
      if (lineCount === 0) logs.replaceChildren(h('span.empty', {}, 'No output.'));
      logStatus.textContent = `Log complete: ${lineCount} line${lineCount === 1 ? '' : 's'}.`;
      clearTimeout(timer);
      refresh(); // the follow ends once the final state is stored
    } catch (e) {
      if (e.name !== 'AbortError') logStatus.textContent = `The log stopped: ${e.message}`;
    }
  }

  refresh();
  return { stop() { controller.abort(); clearTimeout(timer); } };
}

/** "The run exceeded its timeout and was killed (run exceeded its timeout of 5 s and was killed)." */
function errorInWords(run) {
  const words = ERROR_WORDS[run.errorCode];
  if (!words) return run.error || '';
  return run.error ? `${words.replace(/\.$/, '')} (${run.error}).` : words;
}

function fact(term, ...value) {
  return [h('dt', {}, term), h('dd', {}, value)];
}

function callbackWords(cb) {
  if (cb.deliveredAt) return `delivered ${fmtTime(cb.deliveredAt)} after ${cb.attempts} attempt(s)`;
  if (cb.gaveUp) return `gave up after ${cb.attempts} attempt(s), last status ${cb.lastStatus}`;
  return `pending: ${cb.attempts} attempt(s), last status ${cb.lastStatus ?? '–'}`;
}
