// The new run form: image, files (add, rename, remove, upload), entrypoint, env, input, limits, extract, detached.
// Errors of the API (details[].path) are shown next to the field they name.
import { call, getJson } from './api.js';
import { announce, h, mount } from './dom.js';

let fileCounter = 0;

export function newRunPage(root) {
  const files = [];
  const filesList = h('div#files-list');
  const formError = h('div.alert#form-error', { role: 'alert', tabindex: '-1' });
  const busy = h('p.notice#form-busy', { role: 'status', hidden: true });
  const images = h('datalist#recent-images');

  const image = input('image', 'Image', { hint: 'A local image or one to pull, e.g. light-run-test/busybox.', list: 'recent-images', required: true });
  const entrypoint = input('entrypoint', 'Entrypoint', { hint: 'Run with sh -c in the workdir (/app). Empty: the image\'s own command.', value: 'sh main.sh' });
  const env = area('env', 'Environment', { hint: 'One NAME=value per line. Values are sent to the run and never shown again.', rows: 2 });
  const stdin = area('input', 'Input (JSON)', { hint: 'Written to the workload\'s stdin as JSON. Optional.', rows: 2 });
  const timeout = input('timeout', 'Timeout (ms)', { type: 'number', inputmode: 'numeric', hint: 'Default 60000.' });
  const memory = input('memory', 'Memory (MiB)', { type: 'number', inputmode: 'numeric', hint: 'Default 512.' });
  const cpus = input('cpus', 'CPUs', { type: 'number', step: 'any', inputmode: 'decimal', hint: 'Default 1.' });
  const extract = area('extract', 'Extract paths', { hint: 'Absolute paths in the container, one per line, copied out after exit code 0, e.g. /app/out.', rows: 2 });
  const detached = h('input#f-detached', { type: 'checkbox', checked: true, 'aria-describedby': 'hint-detached' });
  const upload = h('input#f-upload', { type: 'file', multiple: true, onchange: () => uploadFiles(upload) });

  const fields = { image, entrypoint, env, input: stdin, timeout, memory, cpus, extract };

  addFile('main.sh', 'echo "hello from light-run"\n');

  const form = h('form#new-run-form', { novalidate: true, onsubmit: submit },
    formError,
    h('div.card', {}, image.field, images),
    h('fieldset#f-files', { 'aria-describedby': 'err-files' }, h('legend', {}, 'Files'),
      h('p.hint', {}, 'Written under the workdir. Text is sent as text, other files as base64.'),
      filesList,
      h('p.field-error#err-files', { 'aria-live': 'polite' }),
      h('div.row', {},
        h('button.secondary#add-file', { type: 'button', onclick: () => { const row = addFile('', ''); row.pathInput.focus(); } }, 'Add a file'),
        h('div', {}, h('label', { for: 'f-upload' }, 'Upload files from this computer'), upload))),
    h('div.card', {}, entrypoint.field, env.field, stdin.field),
    h('fieldset', {}, h('legend', {}, 'Limits'), h('div.grid3', {}, timeout.field, memory.field, cpus.field)),
    h('div.card', {}, extract.field,
      h('div.field', {}, h('label', { for: 'f-detached' }, detached, ' Detached',
        h('span.hint#hint-detached', {}, 'Answer at once and follow the run live (otherwise the form waits until the run ends).')))),
    busy,
    h('button#submit-run', { type: 'submit' }, 'Start run'));

  mount(root, h('h1', {}, 'New run'), form);
  loadRecentImages();
  return { stop() {} };

  function input(name, text, { hint, type = 'text', ...attrs } = {}) {
    const el = h(`input#f-${name}`, { type, name, autocomplete: 'off', 'aria-describedby': `hint-${name} err-${name}`, ...attrs });
    return withField(el, name, text, hint);
  }

  function area(name, text, { hint, rows }) {
    const el = h(`textarea#f-${name}`, { name, rows, spellcheck: 'false', 'aria-describedby': `hint-${name} err-${name}` });
    return withField(el, name, text, hint);
  }

  function withField(el, name, text, hint) {
    const error = h(`p.field-error#err-${name}`);
    el.field = h('div.field', {}, h('label', { for: el.id }, text), hint ? h(`span.hint#hint-${name}`, {}, hint) : null, el, error);
    el.error = error;
    return el;
  }

  function addFile(path, content, base64, size) {
    const n = ++fileCounter;
    const file = { content, base64 };
    file.pathInput = h(`input#file-path-${n}.file-path`, { type: 'text', value: path, autocomplete: 'off', spellcheck: 'false',
      'aria-describedby': `file-err-${n}` });
    file.error = h(`p.field-error#file-err-${n}`);
    const body = base64 != null
      ? h('p.muted', {}, `Binary file, ${size} bytes, sent as base64.`)
      : (file.contentInput = h(`textarea#file-content-${n}.file-content`, { rows: 4, spellcheck: 'false', value: content }));
    file.row = h('div.file', { 'data-file': n },
      h('div.row', {},
        h('div.grow', {}, h('label', { for: `file-path-${n}` }, `File ${n}: path`), file.pathInput),
        h('button.secondary', { type: 'button', 'aria-label': `Remove file ${n}`, onclick: () => removeFile(file) }, 'Remove')),
      base64 != null ? body : h('div', {}, h('label', { for: `file-content-${n}` }, `File ${n}: contents`), body),
      file.error);
    files.push(file);
    filesList.append(file.row);
    return file;
  }

  function removeFile(file) {
    files.splice(files.indexOf(file), 1);
    file.row.remove();
    announce('File removed.');
    document.getElementById('add-file').focus();
  }

  async function uploadFiles(picker) {
    for (const f of picker.files) {
      const bytes = new Uint8Array(await f.arrayBuffer());
      let text = null;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        if (text.includes('\0')) text = null;
      } catch { /* not UTF-8: binary */ }
      if (text != null) addFile(f.name, text); else addFile(f.name, null, toBase64(bytes), bytes.length);
    }
    announce(`${picker.files.length} file(s) added.`);
    picker.value = '';
  }

  async function loadRecentImages() {
    try {
      const { data } = await getJson('/runs?limit=100');
      mount(images, [...new Set(data.map((r) => r.image).filter(Boolean))].map((i) => h('option', { value: i })));
    } catch { /* only suggestions */ }
  }

  function clearErrors() {
    formError.textContent = '';
    for (const el of [...Object.values(fields), ...files.map((f) => f.pathInput)]) el.removeAttribute('aria-invalid');
    for (const el of Object.values(fields)) el.error.textContent = '';
    for (const f of files) f.error.textContent = '';
    document.getElementById('err-files').textContent = '';
  }

  /** Puts an error next to the field its path names (image, files[x], env[A], timeout, ...); others above the form. */
  function showError(path, message) {
    const name = (path || '$').split(/[.[]/)[0];
    if (name === 'files') {
      const key = (path.match(/^files\[(.*)\]$/) || [])[1];
      const file = files.find((f) => f.pathInput.value.trim() === key);
      if (file) {
        file.error.textContent = message;
        file.pathInput.setAttribute('aria-invalid', 'true');
        return file.pathInput;
      }
      document.getElementById('err-files').textContent = message;
      return document.getElementById('add-file');
    }
    const el = fields[name];
    if (!el) {
      formError.append(h('p', {}, path && path !== '$' ? `${path}: ${message}` : message));
      return formError;
    }
    el.error.textContent = el.error.textContent ? `${el.error.textContent} ${message}` : message;
    el.setAttribute('aria-invalid', 'true');
    return el;
  }

  function build() {
    const problems = [];
    const body = { image: image.value.trim() };
    body.files = {};
    for (const f of files) {
      const path = f.pathInput.value.trim();
      body.files[path] = f.base64 != null ? { base64: f.base64 } : f.contentInput.value;
    }
    if (entrypoint.value.trim()) body.entrypoint = entrypoint.value;
    const envLines = env.value.split('\n').filter((l) => l.trim());
    if (envLines.length) {
      body.env = {};
      for (const line of envLines) {
        const eq = line.indexOf('=');
        if (eq < 1) problems.push(['env', `"${line.split('=')[0]}..." is not NAME=value`]);
        else body.env[line.slice(0, eq).trim()] = line.slice(eq + 1);
      }
    }
    if (stdin.value.trim()) {
      try { body.input = JSON.parse(stdin.value); } catch (e) { problems.push(['input', `not valid JSON: ${e.message}`]); }
    }
    for (const [name, el] of [['timeout', timeout], ['memory', memory], ['cpus', cpus]]) {
      if (el.value.trim() !== '') body[name] = Number(el.value);
      else if (el.validity.badInput) problems.push([name, 'must be a number']);
    }
    const paths = extract.value.split('\n').map((l) => l.trim()).filter(Boolean);
    if (paths.length) body.extract = paths;
    if (detached.checked) body.detached = true;
    return { body, problems };
  }

  async function submit(event) {
    event.preventDefault();
    clearErrors();
    const { body, problems } = build();
    if (problems.length) {
      problems.map(([p, m]) => showError(p, m))[0].focus();
      return;
    }
    const button = document.getElementById('submit-run');
    button.disabled = true;
    busy.hidden = false;
    busy.textContent = body.detached ? 'Starting…' : 'Running; the answer comes when the run ends…';
    try {
      const response = await call('POST', '/run', { body });
      const run = await response.json();
      location.hash = `#/runs/${encodeURIComponent(run.id)}`;
    } catch (e) {
      const details = e.details.length ? e.details
        : [{ path: e.code === 'image_not_allowed' ? 'image' : '$', message: e.message }];
      const first = details.map((d) => showError(d.path, d.message))[0];
      first.focus();
      announce('The run was not started: see the errors.');
    } finally {
      button.disabled = false;
      busy.hidden = true;
    }
  }
}

function toBase64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
