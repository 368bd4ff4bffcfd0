// SPDX-License-Identifier: MIT
// Secrets: names, types and dates; set and delete. Values go in and never
// come out: the value field is write-only and emptied after every use.
import { api, listAll, enc } from '../api.js';
import { h, clear, field, select, table, showProblem, checkForm, confirmDialog, toast, problemText, fmtTime } from '../dom.js';

export default async function secrets(main) {
  const list = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  const name = h('input', { type: 'text', required: true, pattern: '[A-Za-z0-9_.\\-]{1,64}', maxlength: 64, autocomplete: 'off', spellcheck: 'false', list: 'secret-names' });
  const type = select([['psk', 'psk (pre-shared key)'], ['key', 'key (manual keying)']], 'psk');
  const value = h('input', { type: 'password', required: true, autocomplete: 'new-password', maxlength: 1024 });
  const names = h('datalist', { id: 'secret-names' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'set-title' },
    h('h2', { id: 'set-title' }, 'Set a secret'),
    h('div', { class: 'form-err' }),
    h('div', { class: 'grid' },
      field('name', 'Name', name, 'A new name adds a secret; an existing one replaces its value'),
      field('type', 'Type', type),
      field('value', 'Value', value, 'psk: 8 to 256 characters; key: 72 hex digits (key and salt). Never shown again.')),
    h('div', { class: 'actions-row' }, h('button', { type: 'submit', class: 'primary' }, 'Store secret')), names);

  async function load() {
    const items = (await listAll('/secrets')).items;
    clear(names, items.map(x => h('option', { value: x.name })));
    clear(list, items.length ? table([
      ['Name', x => h('span', { class: 'mono' }, x.name)],
      ['Type', x => x.type],
      ['Created', x => fmtTime(x.created), 'num'],
      ['Changed', x => fmtTime(x.updated), 'num'],
      ['Actions', x => h('button', { type: 'button', class: 'small', onclick: () => remove(x.name), 'aria-label': `Delete secret ${x.name}` }, 'Delete'), 'actions'],
    ], items, 'Secrets') : h('p', { class: 'empty' }, 'No secrets stored yet.'));
  }

  async function remove(n) {
    if (!await confirmDialog(`Delete secret ${n}?`, 'Connections can no longer use it. A secret still in use cannot be deleted.')) return;
    try {
      await api('DELETE', `/secrets/${enc(n)}`);
      toast(`Deleted the secret ${n}`);
      await load();
    } catch (e) {
      toast(problemText(e), true);
    }
  }

  form.addEventListener('submit', async e => {
    e.preventDefault();
    if (!checkForm(form)) return;
    try {
      await api('PUT', `/secrets/${enc(name.value)}`, { type: type.value, value: value.value });
      value.value = '';
      toast(`Stored the secret ${name.value}`);
      name.value = '';
      await load();
    } catch (err) {
      value.value = '';
      showProblem(form, err.problem);
    }
  });

  main.append(h('div', { class: 'bar' }, h('h1', {}, 'Secrets')),
    h('p', { class: 'muted' }, 'Pre-shared keys and manual keys, stored encrypted. Values are write-only: no page, answer or log ever shows one.'),
    list, form);
  await load();
}
