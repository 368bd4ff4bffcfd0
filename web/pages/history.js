// SPDX-License-Identifier: MIT
// History: every revision (who, when, from where, why), a readable diff
// between any two, and rollback to any of them (as a new revision, after a
// confirmation; optionally on trial with commit-confirmed).
import { api, hasRoute } from '../api.js';
import { h, clear, field, table, confirmDialog, toast, problemText, fmtTime } from '../dom.js';
import { diffView } from '../diff.js';
import { confirmBanner } from '../confirm.js';

const PAGE = 50;

export default async function history(main, ctx) {
  main.append(h('div', { class: 'bar' }, h('h1', {}, 'History')));
  if (!await hasRoute('/revisions')) {
    main.append(h('p', { class: 'empty' }, 'This agent does not keep a browsable history yet (it has no /revisions).'));
    return;
  }
  const operator = ctx.can('operator');
  const info = h('p', { class: 'muted' });
  const list = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  const more = h('button', { type: 'button', hidden: true }, 'Older revisions');
  const from = h('input', { type: 'number', min: 0, step: 1, required: true, inputmode: 'numeric' });
  const to = h('input', { type: 'number', min: 0, step: 1, required: true, inputmode: 'numeric' });
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-label': 'Compare two revisions' },
    h('div', { class: 'form-err' }),
    h('div', { class: 'grid' }, field('from', 'Compare revision', from), field('to', 'with revision', to)),
    h('div', { class: 'actions-row' }, h('button', { type: 'submit', class: 'primary' }, 'Show the differences')));
  const trial = h('input', { type: 'number', min: 1, max: 86400, step: 1, placeholder: 'no trial', inputmode: 'numeric' });
  let rows = [], cursor = null, current = 0;

  async function load(next) {
    const r = await api('GET', '/revisions', undefined, { query: { limit: PAGE, cursor: next ? cursor : null } });
    rows = next ? rows.concat(r.data.items) : r.data.items;
    cursor = r.data.next_cursor;
    current = r.data.current;
    more.hidden = !cursor;
    info.textContent = `Current revision ${current}; kept from revision ${r.data.oldest} (at most ${r.data.history_max}).`;
    if (!from.value && !to.value && current) { to.value = current; from.value = Math.max(0, current - 1); }
    clear(list, rows.length ? table([
      ['Revision', v => [String(v.number), v.pending_confirm ? h('span', { class: 'badge connecting' }, ' on trial') : null], 'num'],
      ['Time', v => fmtTime(v.time), 'num'],
      ['Author', v => v.author],
      ['From', v => h('span', { class: 'mono' }, v.source)],
      ['Change', v => h('span', { class: 'mono' }, v.summary)],
      ['Comment', v => v.comment],
      ['Actions', v => [
        h('button', { type: 'button', class: 'small', 'aria-label': `Differences of revision ${v.number}`, onclick: () => compare(Math.max(0, v.number - 1), v.number) }, 'Diff'),
        operator && v.number !== current ? h('button', { type: 'button', class: 'small', 'aria-label': `Roll back to revision ${v.number}`, onclick: () => rollback(v.number) }, 'Roll back to this') : null,
      ], 'actions'],
    ], rows, 'Revisions') : h('p', { class: 'empty' }, 'No revision yet.'));
  }

  async function compare(a, b) {
    from.value = a;
    to.value = b;
    try {
      const r = await api('GET', `/revisions/${a}/diff/${b}`);
      clear(out, diffView(r.data, `From revision ${a} to ${b}`));
      out.scrollIntoView({ block: 'nearest' });
    } catch (e) {
      clear(out, h('p', { class: 'form-err', role: 'alert' }, problemText(e)));
    }
  }

  async function rollback(n) {
    if (!await confirmDialog(`Roll back to revision ${n}?`,
      `The configuration becomes what it was at revision ${n}, as a new revision; nothing in the history is lost.${trial.value ? ` It is reverted again unless confirmed within ${trial.value} s.` : ''}`, 'Roll back', 'primary'))
      return;
    try {
      const r = await api('POST', `/revisions/${n}/rollback`, undefined, { query: { confirm: trial.value || null } });
      const d = r.data;
      toast(`Rolled back to revision ${n}: now revision ${d.revision}`);
      clear(out, diffView(d.diff, `Rollback to revision ${n} (now revision ${d.revision})`),
        (d.secrets_not_restored || []).length ? h('p', { class: 'banner warn' }, `Secrets deleted since revision ${n} cannot come back (values are never kept in the history): ${d.secrets_not_restored.join(', ')}.`) : null);
      if (trial.value) confirmBanner.refresh();
      await load(false);
    } catch (e) {
      toast(problemText(e), true);
    }
  }

  form.addEventListener('submit', e => {
    e.preventDefault();
    if (from.value === '' || to.value === '') return;
    compare(Number(from.value), Number(to.value));
  });
  more.addEventListener('click', () => load(true).catch(e => toast(problemText(e), true)));
  for (const t of ['revision', 'rolled-back', 'confirmed']) ctx.on(t, () => load(false).catch(() => {}));

  main.append(info, list, h('p', {}, more), h('h2', {}, 'Differences'), form, out,
    operator ? h('details', { class: 'card' }, h('summary', {}, 'Rollback on trial'),
      field('trial', 'Revert the rollback unless confirmed within (seconds)', trial, 'Empty: the rollback stays without confirmation')) : null);
  await load(false);
}
