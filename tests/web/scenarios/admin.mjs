// SPDX-License-Identifier: MIT
// Secrets (write-only), users and tokens as admin, the audit log's filters.
import { test, asUser, withPage, login, visit, shot, poll, fieldError, assert, eq } from '../lib.mjs';

const VALUE = 'branch-psk-9c1e-never-displayed';

test('secrets: set, replace and delete; the value is never displayed nor sent back', async env => {
  const { admin } = env.users;
  await asUser(env, 'admin', 'secrets', async page => {
    const bodies = [];
    page.on('response', async r => { if (r.url().includes('/api/v1/')) bodies.push(await r.text().catch(() => '')); });
    await visit(page, '#/secrets', 'Secrets');
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Set a secret' }) });
    await form.getByLabel('Name').fill('branch');
    await form.getByLabel('Value').fill('short');
    await form.getByRole('button', { name: 'Store secret' }).click();
    await poll(async () => (await fieldError(page, 'value').textContent()).includes('8 to 256'), 'the agent\'s length error next to Value');
    eq((await env.agent.api('GET', '/secrets/branch')).status, 404, 'a refused secret is not stored');
    eq(await form.getByLabel('Value').inputValue(), '', 'the value field is emptied after use');

    await form.getByLabel('Value').fill(VALUE);
    await form.getByRole('button', { name: 'Store secret' }).click();
    const row = page.getByRole('row', { name: /branch/ });
    await row.waitFor();
    assert((await row.innerText()).includes('psk'), 'the list shows the type');
    eq(await form.getByLabel('Value').inputValue(), '', 'the value field is empty again');
    await shot(page, 'secrets');

    // Replacing the value keeps it write-only too.
    await form.getByLabel('Name').fill('branch');
    await form.getByLabel('Value').fill(`${VALUE}-2`);
    await form.getByRole('button', { name: 'Store secret' }).click();
    await page.getByText('Stored the secret branch').last().waitFor();

    // In use: refused with the agent's reason; unused: deleted after a confirmation.
    eq((await env.agent.api('PUT', '/connections/uses-branch', { name: 'uses-branch', remote_addrs: ['192.0.2.20'], psk: 'branch' })).status, 201, 'a user of the secret');
    await page.getByRole('button', { name: 'Delete secret branch' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText(/still used by/).waitFor();
    eq((await env.agent.api('GET', '/secrets/branch')).status, 200, 'a secret in use stays');
    eq((await env.agent.api('DELETE', '/connections/uses-branch')).status, 204, 'its user goes');
    await page.getByRole('button', { name: 'Delete secret branch' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    eq((await env.agent.api('GET', '/secrets/branch')).status, 404, 'deleted in the agent');

    const html = await page.content();
    assert(!html.includes(VALUE), 'the value is not in the page');
    assert(!bodies.some(b => b.includes(VALUE)), 'no answer of the agent carried the value');
  });
});

test('users as admin: add (a short password refused next to its field), change role, new password, delete', async env => {
  const { admin } = env.users;
  await asUser(env, 'admin', 'users', async page => {
    await visit(page, '#/users', 'Users');
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Add a user' }) });
    await form.getByLabel('User name').fill('carol');
    await form.getByLabel('Role').selectOption('operator');
    await form.getByLabel('Password').fill('short');
    await form.getByRole('button', { name: 'Add user' }).click();
    await poll(async () => (await fieldError(page, 'password').textContent()).length > 0, 'the password hint');
    eq((await env.agent.api('GET', '/users/carol')).status, 404, 'not added');
    await form.getByLabel('Password').fill('carol-password-1');
    await form.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('row', { name: /carol/ }).waitFor();
    eq((await env.agent.api('GET', '/users/carol')).body.role, 'operator', 'added as operator');

    await page.getByLabel('Role of carol', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Set the role of carol' }).click();
    await poll(async () => (await env.agent.api('GET', '/users/carol')).body.role === 'viewer', 'carol to become a viewer');
    await page.getByRole('button', { name: 'New password for carol' }).click();
    const dlg = page.getByRole('dialog', { name: 'New password for carol' });
    await dlg.getByLabel('Password').fill('carol-password-2');
    await dlg.getByRole('button', { name: 'Set password' }).click();
    await dlg.waitFor({ state: 'detached' });
    const s = await fetch(`${env.agent.url}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'carol', password: 'carol-password-2' }) });
    eq(s.status, 201, 'carol logs in with the new password');
    await shot(page, 'users');

    await page.getByRole('button', { name: 'Delete user carol' }).click();
    await page.getByRole('dialog', { name: 'Delete user carol?' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('row', { name: /carol/ }).waitFor({ state: 'detached' });
    eq((await env.agent.api('GET', '/users/carol')).status, 404, 'deleted in the agent');
  });
});

test('tokens as admin: created for another user and shown once, it works, revoking stops it', async env => {
  const { admin } = env.users;
  await asUser(env, 'admin', 'tokens', async page => {
    await visit(page, '#/tokens', 'Tokens');
    await page.getByLabel('Name', { exact: true }).fill('backup-script');
    await page.getByLabel('Expires after').selectOption('86400');
    await page.getByLabel('For user').fill('op');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.locator('#new-token').textContent()).trim();
    assert(/^sgw_/.test(token), `a token is shown: ${token.slice(0, 6)}…`);
    await page.getByText('it is never shown again').waitFor();
    const row = page.getByRole('row', { name: /backup-script/ });
    assert((await row.innerText()).includes('op'), 'the list shows whose token it is');
    await shot(page, 'tokens');
    eq((await env.agent.api('GET', '/session', undefined, token)).body.user, 'op', 'the token works, as op');

    await visit(page, '#/', 'Connections');
    await visit(page, '#/tokens', 'Tokens');
    assert(!(await page.content()).includes(token), 'the token is not shown again');
    await page.getByRole('button', { name: 'Revoke token backup-script' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await poll(async () => (await row.innerText()).includes('revoked'), 'the row to say revoked');
    eq((await env.agent.api('GET', '/session', undefined, token)).status, 401, 'a revoked token is refused');
  });
});

test('audit log: filters by user, action and time', async env => {
  const { admin } = env.users;
  await asUser(env, 'admin', 'audit', async page => {
    await visit(page, '#/audit', 'Audit log');
    const rows = page.locator('table tbody tr');
    await rows.first().waitFor();
    await page.getByLabel('User', { exact: true }).fill('op');
    await page.getByRole('button', { name: 'Filter' }).click();
    await poll(async () => {
      const users = await page.locator('td[data-label="User"]').allInnerTexts();
      return users.length > 0 && users.every(u => u === 'op');
    }, 'only rows of op');
    const actions = await page.locator('td[data-label="Action"]').allInnerTexts();
    assert(actions.includes('connection.create'), `op's connection.create is listed (${[...new Set(actions)].join(', ')})`);

    await page.getByLabel('Action').selectOption('connection.');
    await page.getByRole('button', { name: 'Filter' }).click();
    await poll(async () => {
      const a = await page.locator('td[data-label="Action"]').allInnerTexts();
      return a.length > 0 && a.every(x => x.startsWith('connection.'));
    }, 'only connection actions of op');
    eq(new Set(await page.locator('td[data-label="Target"]').allInnerTexts()).has('hq'), true, 'hq is the target');
    await shot(page, 'audit');

    await page.getByLabel('Since').fill('2099-01-01T00:00');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('Nothing matches.').waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
    await poll(async () => new Set(await page.locator('td[data-label="User"]').allInnerTexts()).size > 1, 'all users again');
  });
});
