// SPDX-License-Identifier: MIT
// A readable diff (the agent's Diff: added, changed with old and new values,
// removed), shared by History (between revisions) and Bulk (an import's dry
// run). Secret values never appear: the agent never sends them.
import { h } from './dom.js';

const show = v => (v === undefined ? '—' : Array.isArray(v) ? v.join(', ') : v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v));

function what(e) {
  if (e.kind === 'secret') return `secret ${e.name}${e.new || e.old ? ` (${(e.new || e.old).type})` : ''}`;
  return `connection ${e.name}`;
}

// A connection in a line: its peer and children, enough to recognise it.
function gist(doc) {
  if (!doc || doc.type) return null;
  const kids = (doc.children || []).map(c => c.name);
  return h('span', { class: 'muted' }, ` — ${show(doc.remote_addrs)}${kids.length ? `; children ${kids.join(', ')}` : ''}`);
}

export function diffView(d, title) {
  const s = d.summary || { added: d.added.length, changed: d.changed.length, removed: d.removed.length };
  const parts = [h('p', { class: 'diff-summary' }, h('strong', {}, title ? `${title}: ` : ''),
    `${s.added} added, ${s.changed} changed, ${s.removed} removed`, d.truncated ? ' (lists cut at 1000 entries)' : '')];
  if (d.added.length)
    parts.push(h('h3', {}, 'Added'), h('ul', { class: 'added' }, d.added.map(e => h('li', {}, h('ins', {}, what(e)), gist(e.new)))));
  if (d.changed.length)
    parts.push(h('h3', {}, 'Changed'), h('ul', { class: 'changed' }, d.changed.map(e => h('li', {}, what(e),
      e.value_changed ? h('span', { class: 'muted' }, ' — value set again (never shown)') : null,
      (e.fields || []).length ? h('ul', {}, e.fields.map(f => h('li', {}, h('code', {}, f.path), ': ',
        h('del', {}, show(f.old)), ' → ', h('ins', {}, show(f.new))))) : null))));
  if (d.removed.length)
    parts.push(h('h3', {}, 'Removed'), h('ul', { class: 'removed' }, d.removed.map(e => h('li', {}, h('del', {}, what(e)), gist(e.old)))));
  if (!d.added.length && !d.changed.length && !d.removed.length) parts.push(h('p', { class: 'muted' }, 'No difference.'));
  return h('div', { class: 'diff card' }, parts);
}
