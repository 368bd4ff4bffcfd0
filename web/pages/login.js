// SPDX-License-Identifier: MIT
// Log in: POST /session; the answer's CSRF token goes with every change.
import { api } from '../api.js';
import { h, field, showProblem, clearErrors } from '../dom.js';

export default function login(main, ctx) {
  const user = h('input', { type: 'text', autocomplete: 'username', required: true, autocapitalize: 'off', spellcheck: 'false' });
  const pass = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const go = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h('form', { class: 'card login', novalidate: true, 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'secgw'),
    ctx.message ? h('p', { class: ctx.bad ? 'form-err' : 'banner info', role: 'status', id: 'login-message' }, ctx.message) : null,
    h('div', { class: 'form-err' }),
    field('username', 'User name', user),
    field('password', 'Password', pass),
    h('div', { class: 'actions-row' }, go));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    clearErrors(form);
    if (!user.value || !pass.value) {
      showProblem(form, { detail: 'Enter your user name and password.', errors: [
        ...(user.value ? [] : [{ field: 'username', message: 'is required' }]),
        ...(pass.value ? [] : [{ field: 'password', message: 'is required' }])] });
      return;
    }
    go.disabled = true;
    try {
      const r = await api('POST', '/session', { username: user.value, password: pass.value }, { login: true });
      pass.value = '';
      ctx.loggedIn(r.data);
    } catch (err) {
      go.disabled = false;
      pass.value = '';
      const p = err.problem || {};
      // 401 names no field on purpose (it must not tell which one was wrong).
      showProblem(form, { ...p, detail: err.status === 401 ? 'Wrong user name or password.' : p.detail || err.message });
      pass.focus();
    }
  });
  main.append(form);
  (user.value ? pass : user).focus();
}
