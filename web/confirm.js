// SPDX-License-Identifier: MIT
// Commit-confirmed: a change applied with ?confirm=SECONDS is reverted by
// the agent unless confirmed in time. This banner, on every page, counts
// down with a Confirm button, and says so plainly when the revert happened.
// The agent's clock decides: the countdown runs from its remaining_s.
import { api, hasRoute } from './api.js';
import { h, clear, problemText } from './dom.js';

let opts = { toast: () => {}, can: () => false };
let pending = null;	// {revision, revert_to, author, until (ms, local clock)}
let tick = null, active = false, recheck = null;
const box = () => document.getElementById('banners');

function render() {
  const el = box();
  let b = document.getElementById('confirm-banner');
  if (!pending) { if (b && !b.classList.contains('bad')) b.remove(); return; }
  const left = Math.max(0, Math.ceil((pending.until - Date.now()) / 1000));
  const text = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  if (!b || b.classList.contains('bad')) {
    if (b) b.remove();
    b = h('div', { class: 'banner warn', id: 'confirm-banner', role: 'region', 'aria-label': 'Change awaiting confirmation' },
      h('p', {}, `Revision ${pending.revision} (by ${pending.author}) is applied on trial: it will be reverted to revision ${pending.revert_to} in `,
        h('span', { class: 'countdown', role: 'timer', 'aria-live': 'off' }, text), ' unless it is confirmed.'),
      opts.can('operator') ? h('button', { type: 'button', class: 'primary', onclick: confirmNow }, 'Confirm') : null);
    el.prepend(b);
  } else {
    b.querySelector('.countdown').textContent = text;
  }
  // At the deadline the agent reverts; if its event is late, ask it.
  if (left === 0 && !recheck) recheck = setTimeout(() => { recheck = null; refresh(); }, 2000);
}

async function confirmNow() {
  try {
    const r = await api('POST', '/commit/confirm');
    pending = null;
    stopTick();
    render();
    opts.toast(`Revision ${r.data.confirmed} is confirmed: it stays.`);
  } catch (e) {
    opts.toast(problemText(e), true);
    refresh();
  }
}

function stopTick() { clearInterval(tick); tick = null; }

function set(p) {
  if (!p) { pending = null; stopTick(); render(); return; }
  pending = { revision: p.revision, revert_to: p.revert_to, author: p.author, until: Date.now() + p.remaining_s * 1000 };
  const old = document.getElementById('confirm-banner');
  if (old && old.classList.contains('bad')) old.remove();
  render();
  if (!tick) tick = setInterval(render, 1000);
}

export async function refresh() {
  if (!active || !await hasRoute('/commit/confirm')) return;
  try { set((await api('GET', '/commit/confirm')).data.pending); } catch { /* the next event or page asks again */ }
}

function reverted(ev) {
  pending = null;
  stopTick();
  const old = document.getElementById('confirm-banner');
  if (old) old.remove();
  box().prepend(h('div', { class: 'banner bad', id: 'confirm-banner', role: 'alert' },
    h('p', {}, h('strong', {}, `Revision ${ev.reverted} was not confirmed in time. `),
      `The agent reverted the configuration to revision ${ev.to} (now revision ${ev.revision}).`),
    h('button', { type: 'button', onclick: e => e.currentTarget.parentNode.remove() }, 'Dismiss')));
}

export const confirmBanner = {
  init(o) { opts = o; },
  start() { active = true; refresh(); },
  stop() { active = false; pending = null; stopTick(); clear(box()); },
  refresh,
  event(type, d) {
    if (!active) return;
    if (type === 'hello' || (type === 'revision' && d.confirm_deadline)) refresh();
    else if (type === 'confirmed') { if (pending) opts.toast(`Revision ${d.revision} was confirmed by ${d.author}.`); set(null); }
    else if (type === 'rolled-back' && d.reason === 'confirm-deadline') reverted(d);
    else if (type === 'rolled-back') refresh();
  },
};
