// The console's shell: sign-in, navigation between views (hash routes), and
// stopping a view's timers when another opens.

import { h, replace, errorBox, showError, field, announce, busyButton } from './dom.js';
import { ddb, getCredentials, setCredentials } from './api.js';
import * as tables from './views/tables.js';
import * as createTable from './views/create-table.js';
import * as tableDetail from './views/table-detail.js';
import * as items from './views/items.js';
import * as partiql from './views/partiql.js';
import * as streamsView from './views/streams.js';
import * as capacity from './views/capacity.js';
import * as transfer from './views/transfer.js';

const main = () => document.getElementById('main');
let cleanup = null;
let lastRoute = null;
// The first view of a page load keeps focus at the top (skip link first); later
// ones move it to their heading so screen readers announce the new view.
let firstView = true;

/** Routes: [pattern, view, nav key]. A view's render(main, params) may return a cleanup function. */
const ROUTES = [
  [/^\/?$/, tables, 'tables'],
  [/^\/tables$/, tables, 'tables'],
  [/^\/tables\/new$/, createTable, 'tables'],
  [/^\/table\/([^/]+)$/, tableDetail, 'tables'],
  [/^\/items(?:\/([^/]+))?$/, items, 'items'],
  [/^\/partiql$/, partiql, 'partiql'],
  [/^\/streams(?:\/([^/]+))?$/, streamsView, 'streams'],
  [/^\/capacity(?:\/([^/]+))?$/, capacity, 'capacity'],
  [/^\/transfer(?:\/([^/]+))?$/, transfer, 'transfer'],
];

export function navigate(hash) {
  if (window.location.hash === hash) route(true);
  else window.location.hash = hash;
}

function stopView() {
  if (typeof cleanup === 'function') {
    try {
      cleanup();
    } catch {
      // A view's cleanup failing must not keep the next one from opening.
    }
  }
  cleanup = null;
}

function showSession(signedIn) {
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('session').hidden = !signedIn;
  const c = getCredentials();
  document.getElementById('who').textContent = signedIn && c ? `${c.accessKeyId} · ${c.region}` : '';
}

function signIn() {
  stopView();
  showSession(false);
  const error = errorBox();
  const keyId = h('input', { type: 'text', name: 'accessKeyId', autocomplete: 'username', required: true, spellcheck: 'false' });
  const secret = h('input', { type: 'password', name: 'secretAccessKey', autocomplete: 'current-password', required: true });
  const token = h('input', { type: 'password', name: 'sessionToken', autocomplete: 'off' });
  const regionInput = h('input', { type: 'text', name: 'region', value: 'us-east-1', required: true, spellcheck: 'false' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const heading = h('h1', { tabindex: '-1' }, 'Sign in');
  const form = h(
    'form',
    { class: 'signin card', novalidate: true },
    heading,
    h('p', null, 'Use an access key of this server. A server started without ', h('code', null, '--auth sigv4'), ' accepts any key (for example ', h('code', null, 'local'), ' / ', h('code', null, 'local'), '). The key stays in this browser tab only (session storage).'),
    field('Access key ID', keyId).wrap,
    field('Secret access key', secret).wrap,
    field('Session token (optional)', token, 'Only for temporary credentials.').wrap,
    field('Region', regionInput, 'The region in signatures and ARNs.').wrap,
    error,
    h('div', { class: 'buttons' }, submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showError(error, null);
    if (!keyId.value.trim() || !secret.value) {
      showError(error, new Error('Enter an access key ID and its secret.'));
      (keyId.value.trim() ? secret : keyId).focus();
      return;
    }
    const creds = {
      accessKeyId: keyId.value.trim(),
      secretAccessKey: secret.value,
      region: regionInput.value.trim() || 'us-east-1',
    };
    if (token.value.trim()) creds.sessionToken = token.value.trim();
    setCredentials(creds);
    const done = busyButton(submit);
    try {
      await ddb('ListTables', { Limit: 1 });
      announce(`Signed in as ${creds.accessKeyId}.`);
      showSession(true);
      firstView = false;
      route(true);
    } catch (e) {
      setCredentials(null);
      showError(error, e);
      keyId.focus();
    } finally {
      done();
    }
  });
  replace(main(), form);
  keyId.focus();
}

function route(force = false) {
  if (!getCredentials()) {
    signIn();
    return;
  }
  showSession(true);
  const hash = window.location.hash.replace(/^#/, '') || '/tables';
  if (!force && hash === lastRoute) return;
  lastRoute = hash;
  const [path] = hash.split('?');
  for (const [pattern, view, nav] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    let param;
    try {
      param = match[1] ? decodeURIComponent(match[1]) : undefined;
    } catch {
      break; // a malformed %-escape: no such page
    }
    stopView();
    for (const link of document.querySelectorAll('#nav a')) {
      if (link.dataset.view === nav) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    const container = main();
    replace(container);
    cleanup = view.render(container, { param, navigate });
    const heading = container.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      if (!firstView) heading.focus();
      document.title = `${heading.textContent} · Cairn console`;
    }
    firstView = false;
    return;
  }
  stopView();
  for (const link of document.querySelectorAll('#nav a')) link.removeAttribute('aria-current');
  const heading = h('h1', { tabindex: '-1' }, 'Not found');
  replace(main(), heading, h('p', null, 'No view at this address. ', h('a', { href: '#/tables' }, 'Go to the tables.')));
  document.title = 'Not found · Cairn console';
  if (!firstView) heading.focus();
  firstView = false;
}

window.addEventListener('hashchange', () => route());
document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('sign-out').addEventListener('click', () => {
    setCredentials(null);
    lastRoute = null;
    announce('Signed out.');
    signIn();
  });
  route(true);
});
