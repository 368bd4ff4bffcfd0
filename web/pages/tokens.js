// SPDX-License-Identifier: MIT
// Tokens for scripts and the CLI. Everyone manages their own; an admin sees
// everyone's and may make one for another user. A new token is shown once.
import { api } from '../api.js';
import { h, clear, field, select, table, showProblem, checkForm, confirmDialog, toast, problemText, fmtTime } from '../dom.js';

const EXPIRY = [['', 'never'], ['3600', '1 hour'], ['86400', '1 day'], ['2592000', '30 days'], ['31536000', '1 year']];

export default async function tokens(main, ctx) {
  const admin = ctx.can('admin');
  const list = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  const shown = h('div', { 'aria-live': 'polite' });
  const name = h('input', { type: 'text', required: true, pattern: '[A-Za-z0-9_.\\-]{1,64}', maxlength: 64, autocomplete: 'off', spellcheck: 'false' });
  const expires = select(EXPIRY, '');
  const user = admin ? h('input', { type: 'text', pattern: '[A-Za-z0-9_.\\-]{1,64}', placeholder: ctx.session.user, autocomplete: 'off' }) : null;
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'tok-title' },
    h('h2', { id: 'tok-title' }, 'New token'), h('div', { class: 'form-err' }),
    h('div', { class: 'grid' }, field('name', 'Name', name, 'What it is for, e.g. backup-script'),
      field('expires_in', 'Expires after', expires), admin ? field('user', 'For user', user, 'Empty: for you') : null),
    h('div', { class: 'actions-row' }, h('button', { type: 'submit', class: 'primary' }, 'Create token')));

  async function load() {
    const items = (await api('GET', '/tokens')).data.items;
    const state = t => (t.revoked ? `revoked ${fmtTime(t.revoked)}` : t.expires && t.expires * 1000 < Date.now() ? 'expired' : 'active');
    clear(list, items.length ? table([
      ['Id', t => t.id, 'num'],
      ['Name', t => t.name],
      ['User', t => t.user],
      ['Created', t => fmtTime(t.created), 'num'],
      ['Expires', t => (t.expires ? fmtTime(t.expires) : 'never'), 'num'],
      ['State', t => state(t)],
      ['Actions', t => (t.revoked ? null : h('button', { type: 'button', class: 'small', 'aria-label': `Revoke token ${t.name}`, onclick: () => revoke(t) }, 'Revoke')), 'actions'],
    ], items, 'Tokens') : h('p', { class: 'empty' }, 'No tokens.'));
  }

  async function revoke(t) {
    if (!await confirmDialog(`Revoke token ${t.name}?`, 'Scripts using it are refused from now on. This cannot be undone.', 'Revoke')) return;
    try {
      await api('DELETE', `/tokens/${t.id}`);
      toast(`Revoked ${t.name}`);
    } catch (e) {
      toast(problemText(e), true);
    }
    await load();
  }

  form.addEventListener('submit', async e => {
    e.preventDefault();
    clear(shown);
    if (!checkForm(form)) return;
    const body = { name: name.value };
    if (expires.value) body.expires_in = Number(expires.value);
    if (user && user.value) body.user = user.value;
    try {
      const r = await api('POST', '/tokens', body);
      clear(shown, h('div', { class: 'secret-once card', role: 'status' },
        h('p', {}, h('strong', {}, `Token ${r.data.name} for ${r.data.user}: copy it now, it is never shown again.`)),
        h('p', {}, h('code', { id: 'new-token' }, r.data.token))));
      name.value = '';
      await load();
    } catch (err) {
      showProblem(form, err.problem);
    }
  });

  main.append(h('div', { class: 'bar' }, h('h1', {}, 'Tokens')),
    h('p', { class: 'muted' }, admin ? 'Bearer tokens of every user.' : 'Your bearer tokens, for scripts and the secgw CLI.'),
    shown, list, form);
  await load();
  // Leaving the page forgets a token still on screen.
  return () => clear(shown);
}
