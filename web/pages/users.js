// SPDX-License-Identifier: MIT
// Users (admin): who may log in, with which role; new passwords; removal.
import { api, enc } from '../api.js';
import { h, clear, field, select, table, showProblem, checkForm, confirmDialog, toast, problemText, fmtTime } from '../dom.js';

const ROLES = [['viewer', 'viewer (reads)'], ['operator', 'operator (changes tunnels)'], ['admin', 'admin (everything)']];

export default async function users(main, ctx) {
  const list = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  const name = h('input', { type: 'text', required: true, pattern: '[A-Za-z0-9_.\\-]{1,64}', maxlength: 64, autocomplete: 'off', spellcheck: 'false' });
  const role = select(ROLES, 'viewer');
  const pass = h('input', { type: 'password', required: true, minlength: 8, maxlength: 128, autocomplete: 'new-password' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'add-title' },
    h('h2', { id: 'add-title' }, 'Add a user'), h('div', { class: 'form-err' }),
    h('div', { class: 'grid' }, field('name', 'User name', name), field('role', 'Role', role), field('password', 'Password', pass, '8 to 128 characters')),
    h('div', { class: 'actions-row' }, h('button', { type: 'submit', class: 'primary' }, 'Add user')));

  async function load() {
    const items = (await api('GET', '/users')).data.items;
    clear(list, table([
      ['Name', u => [u.name, u.name === ctx.session.user ? h('span', { class: 'muted' }, ' (you)') : null]],
      ['Role', u => {
        // A separate button: arrow keys on a select change it at every step.
        const sel = select(ROLES.map(r => [r[0], r[0]]), u.role);
        const set = h('button', { type: 'button', class: 'small', disabled: true, 'aria-label': `Set the role of ${u.name}`,
          onclick: () => patch(u.name, { role: sel.value }, `${u.name} is now ${sel.value}`) }, 'Set');
        sel.setAttribute('aria-label', `Role of ${u.name}`);
        sel.addEventListener('change', () => { set.disabled = sel.value === u.role; });
        return h('div', { class: 'inline' }, sel, set);
      }],
      ['Created', u => fmtTime(u.created), 'num'],
      ['Actions', u => [
        h('button', { type: 'button', class: 'small', 'aria-label': `New password for ${u.name}`, onclick: () => password(u.name) }, 'New password'),
        h('button', { type: 'button', class: 'small', 'aria-label': `Delete user ${u.name}`, onclick: () => remove(u.name) }, 'Delete')], 'actions'],
    ], items, 'Users'));
  }

  async function patch(n, body, done) {
    try {
      await api('PATCH', `/users/${enc(n)}`, body);
      toast(done);
    } catch (e) {
      toast(problemText(e), true);
    }
    await load();
  }

  function password(n) {
    const pw = h('input', { type: 'password', required: true, minlength: 8, maxlength: 128, autocomplete: 'new-password' });
    const f = h('form', { novalidate: true }, h('h2', {}, `New password for ${n}`), h('div', { class: 'form-err' }),
      field('password', 'Password', pw, '8 to 128 characters'),
      h('div', { class: 'actions-row' }, h('button', { type: 'button', onclick: () => dlg.close() }, 'Cancel'), h('button', { type: 'submit', class: 'primary' }, 'Set password')));
    const dlg = h('dialog', { 'aria-label': `New password for ${n}` }, f);
    dlg.addEventListener('close', () => { pw.value = ''; dlg.remove(); });
    f.addEventListener('submit', async e => {
      e.preventDefault();
      if (!checkForm(f)) return;
      try {
        await api('PATCH', `/users/${enc(n)}`, { password: pw.value });
        dlg.close();
        toast(`Changed the password of ${n}`);
      } catch (err) {
        showProblem(f, err.problem);
      }
    });
    document.body.append(dlg);
    dlg.showModal();
    pw.focus();
  }

  async function remove(n) {
    if (!await confirmDialog(`Delete user ${n}?`, 'They can no longer log in; their tokens stop working.')) return;
    try {
      await api('DELETE', `/users/${enc(n)}`);
      toast(`Deleted the user ${n}`);
    } catch (e) {
      toast(problemText(e), true);
    }
    await load();
  }

  form.addEventListener('submit', async e => {
    e.preventDefault();
    if (!checkForm(form)) return;
    try {
      await api('POST', '/users', { name: name.value, role: role.value, password: pass.value });
      toast(`Added ${name.value} (${role.value})`);
      pass.value = '';
      name.value = '';
      await load();
    } catch (err) {
      pass.value = '';
      showProblem(form, err.problem);
    }
  });

  main.append(h('div', { class: 'bar' }, h('h1', {}, 'Users')), list, form);
  await load();
}
