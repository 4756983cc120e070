// The dashboard's shell: sign-in, navigation, and a hash router (#/runs, #/runs/{id}, #/new, #/operator).
import { ApiError, call, session } from './api.js';
import { h, mount } from './dom.js';
import { runsPage } from './runs.js';
import { runPage } from './run.js';
import { newRunPage } from './new-run.js';
import { operatorPage } from './operator.js';

const main = document.getElementById('main');
let current = null; // the page on screen: {stop()} ends its polling and streams
let isAdmin = false;

function route() {
  const hash = location.hash || '#/runs';
  if (!hash.startsWith('#/')) return; // an in-page anchor such as the skip link
  current?.stop?.();
  current = null;
  if (session.token() === null) {
    signInPage();
    return;
  }
  document.getElementById('nav').hidden = false;
  document.getElementById('nav-operator').hidden = !isAdmin;
  const [, page, id] = hash.split('/');
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === page && !id) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (page === 'runs' && id) current = runPage(main, decodeURIComponent(id));
  else if (page === 'new') current = newRunPage(main);
  else if (page === 'operator') current = operatorPage(main);
  else current = runsPage(main, { isAdmin });
  focusHeading();
}

/** After a page change, focus moves to its heading so a keyboard or screen reader user starts there. */
function focusHeading() {
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: false });
  }
  document.title = `${heading?.textContent || 'Dashboard'} - light-run`;
}

/** Whether this key sees every owner's runs: an admin-only listing (?owner=) answers 200, others 403. */
async function detectAdmin() {
  try {
    await call('GET', '/runs?limit=1&owner=' + encodeURIComponent('light-run-dashboard-probe'));
    return true;
  } catch (e) {
    return false;
  }
}

/** To the runs page: a hash change routes by itself, the same hash does not. */
function goToRuns() {
  if (location.hash === '#/runs') route(); else location.hash = '#/runs';
}

function signInPage() {
  document.getElementById('nav').hidden = true;
  const error = h('p.alert#signin-error', { role: 'alert' });
  const input = h('input#token', { type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false',
    'aria-describedby': 'token-hint signin-error' });
  const form = h('form.card', { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    error.textContent = '';
    const token = input.value.trim();
    try {
      await call('GET', '/runs?limit=1', { token });
    } catch (e) {
      error.textContent = e instanceof ApiError && e.status === 401
        ? 'That token was refused. Check it and try again.' : `Could not reach the API: ${e.message}`;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    session.signIn(token);
    isAdmin = await detectAdmin();
    goToRuns();
  } },
    h('div.field', {},
      h('label', { for: 'token' }, 'API token',
        h('span.hint#token-hint', {}, 'The key given to the server (--token or a keys file). It stays in this tab only '
          + '(session storage) and is sent as a bearer header. Leave empty for a server without a token.')),
      input),
    error,
    h('button', { type: 'submit' }, 'Sign in'));
  mount(main, h('section.signin', {}, h('h1', {}, 'Sign in to light-run'), form));
  focusHeading();
  input.focus();
}

window.addEventListener('hashchange', route);
window.addEventListener('light-run:unauthorized', () => {
  session.signOut();
  route();
});
document.getElementById('sign-out').addEventListener('click', () => {
  session.signOut();
  isAdmin = false;
  goToRuns();
});
document.querySelector('.skip').addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});

(async () => {
  if (session.token() !== null) isAdmin = await detectAdmin();
  route();
})();
