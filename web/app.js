// SPDX-License-Identifier: MIT
// The shell of the UI: the session, the navigation (by role), the router
// (#/page/arg), the event stream shared by the pages, and the banners.
import { api, API, setCsrf, onSessionEnded } from './api.js';
import { h, clear, toast } from './dom.js';
import { confirmBanner } from './confirm.js';

const RANK = { viewer: 1, operator: 2, admin: 3 };
const MARK = 'secgw.session';	// "a session may exist": spares a 401 on a first visit

// [hash pattern, module, least role, title, in the navigation?]
const ROUTES = [
  ['', './pages/dashboard.js', 'viewer', 'Dashboard', true],
  ['connections/new', './pages/editor.js', 'operator', 'New connection'],
  ['connections/:name', './pages/editor.js', 'viewer', 'Connection'],
  ['secrets', './pages/secrets.js', 'operator', 'Secrets', true],
  ['history', './pages/history.js', 'viewer', 'History', true],
  ['bulk', './pages/bulk.js', 'operator', 'Import / export', true],
  ['users', './pages/users.js', 'admin', 'Users', true],
  ['tokens', './pages/tokens.js', 'viewer', 'Tokens', true],
  ['audit', './pages/audit.js', 'admin', 'Audit log', true],
];

// Event types the agent's stream carries (docs/api.md) and, once the engine
// is connected, the SA events of docs/control.md relayed under their names.
const EVENTS = ['hello', 'revision', 'rolled-back', 'confirmed', 'engine', 'loaded', 'ike-up', 'ike-down',
  'child-up', 'child-down', 'rekeyed', 'auth-failed', 'negotiation-failed', 'expire'];

let session = null;
let engine = { connected: false, text: 'not connected' };
let events = null, eventsRetry = null, expiryTimer = null;
let listeners = new Set();	// the current page's {type, fn}
let cleanup = null, routeSeq = 0;
const main = () => document.getElementById('main');

export const can = role => !!session && RANK[session.role] >= RANK[role];

function emit(type, data) {
  if (type === 'hello' || type === 'engine') setEngine(data);
  confirmBanner.event(type, data);
  for (const l of [...listeners]) if (l.type === type || l.type === '*') l.fn(data, type);
}

function setEngine(d) {
  if (!d || !('engine_connected' in d)) return;
  engine = { connected: !!d.engine_connected, text: d.engine || (d.engine_connected ? 'connected' : 'not connected') };
}

function openEvents() {
  closeEvents();
  events = new EventSource(`${API}/events`);
  for (const t of EVENTS)
    events.addEventListener(t, ev => {
      let d;
      try { d = JSON.parse(ev.data); } catch { return; }
      emit(t, d);
    });
  events.addEventListener('error', () => {
    // EventSource retries by itself unless the agent refused the stream
    // (401 after the session ended, 503 when it is full): then ask why.
    if (events && events.readyState === EventSource.CLOSED && !eventsRetry)
      eventsRetry = setTimeout(async () => {
        eventsRetry = null;
        if (!session) return;
        try { await api('GET', '/session'); openEvents(); } catch { /* 401: onSessionEnded took over */ }
      }, 3000);
  });
}

function closeEvents() {
  if (events) events.close();
  events = null;
  clearTimeout(eventsRetry);
  eventsRetry = null;
}

function buildNav() {
  const list = document.getElementById('navlist');
  clear(list, ROUTES.filter(r => r[4] && can(r[2])).map(r => h('li', {}, h('a', { href: `#/${r[0]}`, 'data-route': r[0] }, r[3]))));
  document.getElementById('who').textContent = `${session.user} (${session.role})`;
}

async function start(s) {
  session = s;
  setCsrf(s.csrf_token);
  localStorage.setItem(MARK, '1');
  document.getElementById('top').hidden = false;
  buildNav();
  clearTimeout(expiryTimer);
  if (s.expires) expiryTimer = setTimeout(() => ended('Your session expired. Log in again.'), Math.max(0, s.expires * 1000 - Date.now()));
  try { setEngine((await api('GET', '/health')).data); } catch { /* shown by the pages that need it */ }
  confirmBanner.start();
  openEvents();
  route();
}

function ended(message, bad = true) {
  session = null;
  setCsrf('');
  localStorage.removeItem(MARK);
  closeEvents();
  clearTimeout(expiryTimer);
  confirmBanner.stop();
  document.getElementById('top').hidden = true;
  showLogin(message, bad);
}

async function showLogin(message, bad) {
  leavePage();
  const seq = ++routeSeq;
  const mod = await import('./pages/login.js');
  if (seq !== routeSeq) return;
  document.title = 'Log in · secgw';
  clear(main());
  mod.default(main(), { message, bad, loggedIn: start });
}

function leavePage() {
  listeners = new Set();
  if (cleanup) { try { cleanup(); } catch { /* the page is gone anyway */ } }
  cleanup = null;
}

function match(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  for (const r of ROUTES) {
    const pat = r[0].split('/').filter(Boolean);
    if (pat.length !== parts.length) continue;
    const params = {};
    if (pat.every((p, i) => (p.startsWith(':') ? (params[p.slice(1)] = parts[i], true) : p === parts[i])))
      return { route: r, params };
  }
  return null;
}

async function route() {
  if (!session) return showLogin('');
  if (!location.hash.startsWith('#/') && location.hash !== '') return;
  leavePage();
  const seq = ++routeSeq;
  const m = match(location.hash);
  const el = main();
  const here = m ? m.route[0].replace(/^connections\/.*/, '') : null;	// the editor belongs to the dashboard
  for (const a of document.querySelectorAll('#navlist a')) {
    if (a.dataset.route === here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.getElementById('nav').classList.remove('open');
  document.getElementById('menu').setAttribute('aria-expanded', 'false');
  if (!m) {
    document.title = 'Not found · secgw';
    clear(el, h('h1', {}, 'No such page'), h('p', {}, h('a', { href: '#/' }, 'Back to the dashboard')));
    return;
  }
  const [, file, role, title] = m.route;
  document.title = `${title} · secgw`;
  if (!can(role)) {
    clear(el, h('h1', {}, title), h('p', { class: 'empty' }, `This page needs the ${role} role; you are ${session.role}.`));
    return;
  }
  const mod = await import(file);
  if (seq !== routeSeq) return;
  clear(el);
  const ctx = {
    params: m.params, session, can, engine: () => engine,
    on: (type, fn) => listeners.add({ type, fn }),
    go: hash => { if (location.hash === hash) route(); else location.hash = hash; },
  };
  try {
    cleanup = (await mod.default(el, ctx)) || null;
  } catch (e) {
    if (seq !== routeSeq || !session) return;
    clear(el, h('h1', {}, title), h('p', { class: 'form-err', role: 'alert' }, e.message || String(e)));
  }
  if (seq === routeSeq && !el.contains(document.activeElement)) el.focus({ preventScroll: true });
}

async function logout() {
  try { await api('DELETE', '/session'); } catch { /* ended below either way */ }
  ended('You are logged out.', false);
}

function boot() {
  onSessionEnded(() => { if (session || localStorage.getItem(MARK)) ended('Your session has ended (it expired or was closed). Log in again.'); });
  document.getElementById('logout').addEventListener('click', logout);
  document.getElementById('skip').addEventListener('click', e => { e.preventDefault(); main().focus(); });
  document.getElementById('menu').addEventListener('click', e => {
    const open = document.getElementById('nav').classList.toggle('open');
    e.currentTarget.setAttribute('aria-expanded', String(open));
  });
  window.addEventListener('hashchange', route);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && session) api('GET', '/session').catch(() => {});
  });
  confirmBanner.init({ toast, can });
  if (localStorage.getItem(MARK))
    api('GET', '/session').then(r => start(r.data), e => { if (e.status !== 401) showLogin(e.message, true); });
  else
    showLogin('');
}

boot();
