// The API client: every call carries the token as a bearer header (never a cookie, never in a URL); bodies are
// application/json, which the server requires of requests that come from a page.

const TOKEN_KEY = 'light-run.token';

export const session = {
  /** The token, '' for a server without one, null when not signed in. */
  token: () => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** An error answer of the API: {error, message, details[{path, message}]}, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || body?.error || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error || (status === 0 ? 'network_error' : 'http_' + status);
    this.details = Array.isArray(body?.details) ? body.details : [];
  }
}

function headers(token) {
  const result = new Headers({ Accept: 'application/json' });
  const t = token ?? session.token();
  if (t) result.set('Authorization', `Bearer ${t}`);
  return result;
}

/** A fetch of the API; throws ApiError on any non-2xx answer. options: body (JSON), signal, token. */
export async function call(method, path, options = {}) {
  const init = { method, headers: headers(options.token), cache: 'no-store', credentials: 'omit', signal: options.signal };
  if (options.body !== undefined) {
    init.headers.set('Content-Type', 'application/json');
    init.body = JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { message: `the server did not answer (${e.message})` });
  }
  if (!response.ok) {
    let body = null;
    try { body = await response.json(); } catch { /* not JSON */ }
    const error = new ApiError(response.status, body);
    if (response.status === 401 && options.token === undefined) {
      window.dispatchEvent(new CustomEvent('light-run:unauthorized', { detail: error }));
    }
    throw error;
  }
  return response;
}

/** GET a JSON document: {data, headers}. */
export async function getJson(path, options) {
  const response = await call('GET', path, options);
  return { data: await response.json(), headers: response.headers };
}

export const runPath = (id, rest = '') => `/runs/${encodeURIComponent(id)}${rest}`;

/**
 * Follows a run's logs (JSON lines) until the run ends or signal aborts; onRecord gets {t, stream, line} as each
 * line arrives. EventSource cannot send an Authorization header, hence fetch and a stream reader.
 */
export async function followLogs(id, onRecord, signal) {
  const response = await call('GET', runPath(id, '/logs?follow=true&format=jsonl'), { signal });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    pending += value;
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim()) onRecord(JSON.parse(line));
    }
  }
  if (pending.trim()) onRecord(JSON.parse(pending));
}

/** Downloads an artifact with the bearer header: fetch, Blob, object URL, a temporary <a download>. */
export async function download(id, path) {
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  const response = await call('GET', runPath(id, `/artifacts/${encoded}`));
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = path.split('/').pop();
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
