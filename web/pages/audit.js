// SPDX-License-Identifier: MIT
// The audit log (admin): who did what, when, from where; newest first,
// filtered by user, action prefix and time, a page at a time.
import { api } from '../api.js';
import { h, clear, field, select, table, showProblem, fmtTime } from '../dom.js';

const ACTIONS = [['', 'any'], ['connection.', 'connections'], ['child.', 'children'], ['secret.', 'secrets'], ['user.', 'users'],
  ['token.', 'tokens'], ['login', 'logins'], ['logout', 'logouts'], ['auth.', 'refused requests'], ['revision.', 'revisions'], ['import', 'imports']];
const PAGE = 50;

export default async function audit(main) {
  const user = h('input', { type: 'text', pattern: '[A-Za-z0-9_.\\-]{1,64}', autocomplete: 'off', spellcheck: 'false' });
  const action = select(ACTIONS, '');
  const since = h('input', { type: 'datetime-local' });
  const list = h('div', {});
  const more = h('button', { type: 'button', hidden: true }, 'Older entries');
  const form = h('form', { class: 'card', novalidate: true, role: 'search', 'aria-label': 'Filter the audit log' },
    h('div', { class: 'form-err' }),
    h('div', { class: 'grid' }, field('user', 'User', user), field('action', 'Action', action), field('since', 'Since', since)),
    h('div', { class: 'actions-row' }, h('button', { type: 'submit', class: 'primary' }, 'Filter'),
      h('button', { type: 'reset' }, 'Clear')));
  let rows = [], cursor = null;

  async function load(next) {
    const query = { limit: PAGE, user: user.value, action: action.value, cursor: next ? cursor : null,
      since: since.value ? Math.floor(new Date(since.value).getTime() / 1000) : null };
    try {
      const r = await api('GET', '/audit', undefined, { query });
      rows = next ? rows.concat(r.data.items) : r.data.items;
      cursor = r.data.next_cursor;
    } catch (e) {
      showProblem(form, e.problem);
      return;
    }
    more.hidden = !cursor;
    clear(list, rows.length ? table([
      ['Time', a => fmtTime(a.time), 'num'],
      ['User', a => a.user || '—'],
      ['From', a => h('span', { class: 'mono' }, a.source)],
      ['Action', a => h('span', { class: 'mono' }, a.action)],
      ['Target', a => a.target],
      ['Status', a => a.status, 'num'],
      ['Revision', a => a.revision ?? '', 'num'],
      ['Detail', a => a.detail],
    ], rows, 'Audit log') : h('p', { class: 'empty' }, 'Nothing matches.'));
  }

  form.addEventListener('submit', e => { e.preventDefault(); load(false); });
  form.addEventListener('reset', () => setTimeout(() => load(false)));
  more.addEventListener('click', () => load(true));
  main.append(h('div', { class: 'bar' }, h('h1', {}, 'Audit log')), form, list, h('p', {}, more));
  await load(false);
}
