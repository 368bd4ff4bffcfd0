// SPDX-License-Identifier: MIT
// Dashboard: every connection with its live state. The configuration comes
// from /connections; the live picture from /sas (conn-status objects of
// docs/control.md) refreshed every few seconds and at once on SA events.
// While the engine is not connected the page says so and shows no state at
// all rather than a stale one.
import { api, listAll, enc } from '../api.js';
import { h, clear, table, toast, problemText, confirmDialog, fmtBytes, fmtTime } from '../dom.js';
import { trafficGraph, fmtRate } from '../graph.js';

export const SAS_POLL_MS = 5000;
export const GRAPH_SPAN_S = 300;	// the graph shows the last five minutes

const SA_EVENTS = ['ike-up', 'ike-down', 'child-up', 'child-down', 'rekeyed', 'auth-failed', 'negotiation-failed', 'expire', 'loaded'];

// Live state: the last conn-status of each connection and its byte counters
// over time, from which the rates are drawn.
export class Live {
  constructor(span = GRAPH_SPAN_S) { this.span = span; this.status = new Map(); this.samples = new Map(); this.events = new Map(); }

  // list: conn-status objects; t: seconds (when they were read).
  applySas(list, t) {
    this.status = new Map(list.map(c => [c.name, c]));
    for (const c of list) {
      const kids = c.children || [];
      const sum = k => kids.reduce((a, ch) => a + (Number(ch[k]) || 0), 0);
      const arr = this.samples.get(c.name) || [];
      arr.push({ t, in: sum('bytes_in'), out: sum('bytes_out') });
      while (arr.length > 2 && t - arr[0].t > this.span + SAS_POLL_MS / 1000) arr.shift();
      this.samples.set(c.name, arr);
    }
    for (const name of this.samples.keys()) if (!this.status.has(name)) this.samples.delete(name);
  }

  // [{t, rin, rout}] between consecutive samples. A counter that went down
  // was reset (a rekey makes new SAs): its new value is what flowed since.
  rates(name) {
    const a = this.samples.get(name) || [];
    const out = [];
    for (let i = 1; i < a.length; i++) {
      const dt = a[i].t - a[i - 1].t;
      if (dt <= 0) continue;
      const d = k => (a[i][k] >= a[i - 1][k] ? a[i][k] - a[i - 1][k] : a[i][k]);
      out.push({ t: a[i].t, rin: d('in') / dt, rout: d('out') / dt });
    }
    return out;
  }

  event(ev) {
    if (ev && ev.connection) this.events.set(ev.connection, ev);
  }
}

// [text, badge class] for a connection's conn-status (undefined: not loaded).
// The connection's own `state` is iked's summary (established, connecting,
// down); `ike.state` is one SA's step (half-open, authenticating…), shown
// beside it while connecting. A child is listed once per SA: during a rekey
// the old SA (rekeyed) and the new one (installed) both appear, so children
// are counted by name, up while one of their SAs carries traffic.
const CHILD_UP = ['installed', 'established', 'rekeying'];
export function stateOf(st, conn) {
  if (conn && conn.enabled === false) return ['disabled', 'down'];
  if (!st) return ['down', 'down'];
  if (st.state === 'failed') return [`failed${st.error ? `: ${st.error}` : ''}`, 'bad'];
  const ike = st.ike && st.ike.state;
  const names = new Map();
  for (const c of st.children || []) names.set(c.name, names.get(c.name) || CHILD_UP.includes(c.state));
  const upKids = [...names.values()].filter(Boolean).length;
  const text = st.state || ike || 'unknown';
  if (/established|installed/.test(text)) return [names.size ? `up (${upKids}/${names.size} children)` : 'up', upKids < names.size ? 'connecting' : 'up'];
  if (/connect|negotiat|rekey|init|auth|half-open/.test(text)) return [ike && ike !== text ? `${text} (${ike})` : text, 'connecting'];
  return [text, 'down'];
}

function traffic(live, name) {
  const a = live.samples.get(name);
  if (!a || !a.length) return '—';
  const last = a[a.length - 1];
  const r = live.rates(name);
  const now = r.length ? r[r.length - 1] : null;
  return h('span', {},
    h('span', { class: 'legend-in' }, `in ${fmtRate(now && now.rin)}`), h('br'),
    h('span', { class: 'legend-out' }, `out ${fmtRate(now && now.rout)}`), h('br'),
    h('span', { class: 'muted' }, `${fmtBytes(last.in)} / ${fmtBytes(last.out)}`));
}

function graphFor(live, name) {
  const r = live.rates(name);
  const now = r.length ? r[r.length - 1] : { rin: 0, rout: 0 };
  return trafficGraph(r, live.span, `traffic of ${name} over the last ${live.span / 60} minutes: in ${fmtRate(now.rin)}, out ${fmtRate(now.rout)}`);
}

// The table of connections. engineUp false: no state, no counters, no actions.
export function connectionsTable(conns, live, engineUp, onAct) {
  const cols = [
    ['Name', c => h('a', { href: `#/connections/${enc(c.name)}` }, c.name)],
    ['Peer', c => h('span', { class: 'mono' }, (c.remote_addrs || []).join(', '))],
    ['Children', c => (c.children || []).map(k => k.name).join(', ') || '—'],
    ['State', c => {
      if (!engineUp) return h('span', { class: 'badge unknown', title: 'the engine is not connected' }, 'unknown');
      const [text, cls] = stateOf(live.status.get(c.name), c);
      const ev = live.events.get(c.name);
      return [h('span', { class: `badge ${cls}` }, text),
        ev ? h('div', { class: 'event' }, `${ev.event}${ev.reason ? `: ${ev.reason}` : ''} (${fmtTime(ev.time)})`) : null];
    }],
    ['Traffic', c => (engineUp ? traffic(live, c.name) : '—'), 'num'],
    ['Last minutes', c => (engineUp ? graphFor(live, c.name) : '—')],
  ];
  if (onAct) cols.push(['Actions', c => [
    h('button', { type: 'button', class: 'small', disabled: !engineUp || c.enabled === false, title: engineUp ? null : 'the engine is not connected', 'aria-label': `Initiate ${c.name}`, onclick: () => onAct('initiate', c.name) }, 'Initiate'),
    h('button', { type: 'button', class: 'small', disabled: !engineUp, title: engineUp ? null : 'the engine is not connected', 'aria-label': `Terminate ${c.name}`, onclick: () => onAct('terminate', c.name) }, 'Terminate'),
  ], 'actions']);
  return table(cols, conns, 'Connections');
}

// Initiate or terminate (after a confirmation); the agent's answer is shown
// as it says it. done() runs after a request the agent accepted.
export async function act(what, name, done = () => {}) {
  if (what === 'terminate' && !await confirmDialog(`Terminate ${name}?`,
    'Its IKE and CHILD SAs are deleted and traffic through it stops until it is initiated again.', 'Terminate'))
    return;
  try {
    await api('POST', `/connections/${enc(name)}/${what}`);
    toast(`${what === 'initiate' ? 'Initiating' : 'Terminating'} ${name}…`);
    done();
  } catch (e) {
    toast(problemText(e), true);
  }
}

export default async function dashboard(main, ctx) {
  const live = new Live();
  const operator = ctx.can('operator');
  const banner = h('div', { id: 'engine-state' });
  const body = h('div', {}, h('p', { class: 'loading' }, 'Loading connections…'));
  let conns = [], timer = null, soon = null, stopped = false;

  main.append(
    h('div', { class: 'bar' }, h('h1', {}, 'Connections'),
      operator ? h('a', { class: 'button primary', href: '#/connections/new' }, 'New connection') : null),
    banner, body);

  function render() {
    const up = ctx.engine().connected;
    clear(banner, up ? null : h('div', { class: 'banner warn', role: 'status' }, h('p', {},
      h('strong', {}, 'The IKE engine (secgw-iked) is not connected. '),
      'No live state is shown: the list below is the stored configuration only, and tunnels cannot be initiated or terminated until the engine connects.')));
    clear(body, conns.length ? connectionsTable(conns, live, up, operator ? (w, n) => act(w, n, refreshSoon) : null)
      : h('p', { class: 'empty' }, 'No connections yet.', operator ? [' ', h('a', { href: '#/connections/new' }, 'Create the first one.')] : null));
  }

  async function loadConns() {
    conns = (await listAll('/connections')).items;
    render();
  }

  async function poll() {
    clearTimeout(timer);
    timer = null;
    if (stopped || !ctx.engine().connected) return render();
    try {
      const r = await api('GET', '/sas');
      const d = r.data || {};
      live.applySas(Array.isArray(d) ? d : d.connections || d.items || [], Date.now() / 1000);
    } catch (e) {
      if (e.status === 503) ctx.engine().connected = false;
      else toast(problemText(e), true);
    }
    if (stopped) return;
    render();
    if (ctx.engine().connected) timer = setTimeout(poll, SAS_POLL_MS);
  }

  function refreshSoon() {
    clearTimeout(soon);
    soon = setTimeout(poll, 300);
  }

  ctx.on('revision', () => loadConns().catch(e => toast(problemText(e), true)));
  ctx.on('rolled-back', () => loadConns().catch(() => {}));
  for (const t of ['hello', 'engine']) ctx.on(t, () => poll());
  for (const t of SA_EVENTS) ctx.on(t, ev => { live.event({ ...ev, event: ev.event || t }); refreshSoon(); });

  await loadConns();
  await poll();
  return () => { stopped = true; clearTimeout(timer); clearTimeout(soon); };
}
