// SPDX-License-Identifier: MIT
// Bulk: import many connections from a CSV or JSON file — first a dry run
// that shows what would be added, changed and removed, then apply or cancel —
// and export the whole configuration as JSON or CSV.
import { api, API, hasRoute } from '../api.js';
import { h, clear, field, select, showProblem, clearErrors, toast, problemText } from '../dom.js';
import { diffView } from '../diff.js';
import { confirmBanner } from '../confirm.js';

export default async function bulk(main) {
  main.append(h('div', { class: 'bar' }, h('h1', {}, 'Import / export')));
  if (!await hasRoute('/import')) {
    main.append(h('p', { class: 'empty' }, 'This agent cannot import or export yet (it has no /import or /export).'));
    return;
  }
  const file = h('input', { type: 'file', accept: '.csv,.json,text/csv,application/json', required: true });
  const mode = select([['merge', 'merge: add and update, keep the rest'], ['replace', 'replace: also remove connections the file lacks']], 'merge');
  const comment = h('input', { type: 'text', maxlength: 256, autocomplete: 'off' });
  const trial = h('input', { type: 'number', min: 1, max: 86400, step: 1, placeholder: 'no trial', inputmode: 'numeric' });
  const preview = h('button', { type: 'submit', class: 'primary' }, 'Preview changes');
  const result = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'imp-title' },
    h('h2', { id: 'imp-title' }, 'Import'), h('div', { class: 'form-err' }),
    h('div', { class: 'grid' },
      field('file', 'File (CSV or JSON, as exported)', file),
      field('mode', 'Mode', mode),
      field('comment', 'Comment for the history (optional)', comment),
      field('confirm', 'Revert unless confirmed within (seconds)', trial, 'Empty: the import stays without confirmation')),
    h('div', { class: 'actions-row' }, preview));
  let body = null, type = null;

  // The body and its type as the agent reads them: JSON when it looks like
  // JSON (or is named .json), CSV otherwise.
  async function read() {
    const f = file.files[0];
    const text = await f.text();
    const json = /\.json$/i.test(f.name) || /^\s*[[{]/.test(text);
    return [text, json ? 'application/json' : 'text/csv'];
  }

  // The file's errors name a CSV row and column, or a JSON path: they go in
  // the list at the top (no field of this form is meant).
  function fileProblem(p) {
    const where = e => [e.row != null ? `row ${e.row}` : '', e.field].filter(Boolean).join(', ');
    return { ...p, errors: (p.errors || []).map(e => ({ field: '', message: where(e) ? `${where(e)}: ${e.message}` : e.message })) };
  }

  function query(dry) {
    return { dry_run: dry ? 'true' : null, mode: mode.value, confirm: dry ? null : trial.value || null };
  }

  async function apply() {
    try {
      const r = await api('POST', '/import', body, { type, query: query(false), comment: comment.value || null });
      const d = r.data;
      clear(result, h('div', { class: 'banner info', role: 'status' }, h('p', {},
        d.revision ? `Imported as revision ${d.revision}: ${d.diff.summary.added} added, ${d.diff.summary.changed} changed, ${d.diff.summary.removed} removed.`
          : 'Nothing to import: the configuration already matches the file.')));
      toast(d.revision ? `Imported: revision ${d.revision}` : 'Nothing changed');
      if (d.pending_confirm) confirmBanner.refresh();
      form.reset();
      body = null;
    } catch (e) {
      clear(result);
      showProblem(form, fileProblem(e.problem));
    }
  }

  form.addEventListener('submit', async e => {
    e.preventDefault();
    clearErrors(form);
    clear(result);
    if (!file.files.length) { showProblem(form, { detail: 'Choose a file first.', errors: [{ field: 'file', message: 'is required' }] }); return; }
    preview.disabled = true;
    try {
      [body, type] = await read();
      const r = await api('POST', '/import', body, { type, query: query(true) });
      const d = r.data;
      const empty = !d.diff.added.length && !d.diff.changed.length && !d.diff.removed.length;
      clear(result,
        diffView(d.diff, `Dry run (${d.mode}) against revision ${d.base_revision}: nothing is written yet`),
        h('p', { class: 'muted' }, `${d.unchanged} connection${d.unchanged === 1 ? '' : 's'} unchanged.`),
        h('div', { class: 'actions-row' },
          empty ? null : h('button', { type: 'button', class: 'primary', onclick: apply }, 'Apply these changes'),
          h('button', { type: 'button', onclick: () => { clear(result); body = null; toast('Import cancelled: nothing was changed'); } }, 'Cancel')));
      result.querySelector('button').focus();
    } catch (err) {
      showProblem(form, fileProblem(err.problem));
    } finally {
      preview.disabled = false;
    }
  });

  main.append(form, result, h('div', { class: 'card' }, h('h2', {}, 'Export'),
    h('p', { class: 'muted' }, 'The whole configuration: connections with their children, secrets by name only (values never leave the agent).'),
    h('div', { class: 'actions-row' },
      h('a', { class: 'button', href: `${API}/export?format=json`, download: 'secgw-config.json' }, 'Download JSON'),
      h('a', { class: 'button', href: `${API}/export?format=csv`, download: 'secgw-config.csv' }, 'Download CSV'))));
}
