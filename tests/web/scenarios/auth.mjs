// SPDX-License-Identifier: MIT
// Logging in and out, a wrong password, a session that ends, a viewer.
import { test, asUser, withPage, login, visit, shot, poll, assert, eq } from '../lib.mjs';

test('login: a wrong password is refused and says so; the right one opens the dashboard; logout returns to login', async env => {
  const { admin } = env.users;
  await withPage(env, 'login', async page => {
    await page.goto('/');
    await page.getByLabel('User name').waitFor();
    await shot(page, 'login');
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Wrong user name or password.').waitFor();
    eq(await page.getByLabel('Password').inputValue(), '', 'the password field is emptied after a failure');
    assert((await page.context().cookies()).every(c => c.name !== 'secgw_session'), 'no session cookie after a refused login');
    assert(await page.getByRole('button', { name: 'Log out' }).isHidden(), 'still logged out');
    await shot(page, 'login-refused');
    eq(env.agent.sql("SELECT count(*) FROM audit WHERE action='login.failed' AND target='admin'"), '1', 'the refusal is audited');

    const sessions = () => env.agent.sql("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.name = 'admin'");
    const before = sessions();
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
    await page.getByText('admin (admin)').waitFor();
    const cookie = (await page.context().cookies()).find(c => c.name === 'secgw_session');
    assert(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', 'the session cookie is HttpOnly and SameSite=Strict');
    assert(await page.evaluate(() => !document.cookie.includes('secgw_session')), 'scripts cannot read the session cookie');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You are logged out.').waitFor();
    await page.getByLabel('User name').waitFor();
    eq(sessions(), before, 'logout ends the session in the agent');
  });
});

test('session expiry: the next request after the session ended returns to the login page, then back to the same page', async env => {
  const { op } = env.users;
  await withPage(env, 'expiry', async page => {
    await login(page, op.name, op.password);
    await visit(page, '#/tokens', 'Tokens');
    // The agent's clock decides: make this session's end a second ago.
    env.agent.sql("UPDATE sessions SET expires = strftime('%s','now') - 1 WHERE id = (SELECT max(s.id) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.name = 'op')");
    await page.evaluate(() => { location.hash = '#/secrets'; });
    await page.getByText('Your session has ended').waitFor();
    await page.getByLabel('User name').waitFor();
    assert(await page.getByRole('button', { name: 'Log out' }).isHidden(), 'the header with the user menu is gone');
    await shot(page, 'session-expired');
    await page.getByLabel('User name').fill(op.name);
    await page.getByLabel('Password').fill(op.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Secrets', level: 1 }).waitFor();
    eq(new URL(page.url()).hash, '#/secrets', 'after logging in again the user is where they were going');
  });
});

test('viewer: no admin or operator controls anywhere, and the API refuses them anyway', async env => {
  const { view } = env.users;
  eq((await env.agent.api('PUT', '/secrets/vpsk', { type: 'psk', value: 'viewer-fixture-psk' })).status, 201, 'a secret for the fixture');
  eq((await env.agent.api('PUT', '/connections/viewer-sees', { name: 'viewer-sees', remote_addrs: ['192.0.2.77'], psk: 'vpsk',
    children: [{ name: 'c' }] })).status, 201, 'a connection to look at');
  await asUser(env, 'view', 'viewer', async page => {
    await page.getByText('view (viewer)').waitFor();
    const nav = await page.locator('#navlist a').allInnerTexts();
    for (const hidden of ['Secrets', 'Users', 'Audit log']) assert(!nav.includes(hidden), `the viewer's menu has no ${hidden}`);
    assert(nav.includes('Dashboard') && nav.includes('Tokens'), 'the viewer still sees the dashboard and their tokens');
    await page.getByRole('link', { name: 'viewer-sees' }).waitFor();
    eq(await page.getByRole('link', { name: 'New connection' }).count(), 0, 'no New connection for a viewer');
    eq(await page.getByRole('button', { name: /Initiate|Terminate/ }).count(), 0, 'no initiate/terminate for a viewer');
    await shot(page, 'viewer-dashboard');

    await page.getByRole('link', { name: 'viewer-sees' }).click();
    await page.getByRole('heading', { name: 'Connection viewer-sees' }).waitFor();
    await page.getByText('Read-only').waitFor();
    eq(await page.getByRole('button', { name: /Save|Delete|Add child|New PSK|New key/ }).count(), 0, 'no editing buttons for a viewer');
    const enabled = await page.locator('form input:not([disabled]), form select:not([disabled])').count();
    eq(enabled, 0, 'every field of the editor is read-only for a viewer');
    await shot(page, 'viewer-editor');

    for (const [hash, title] of [['#/users', 'Users'], ['#/audit', 'Audit log'], ['#/secrets', 'Secrets'], ['#/connections/new', 'New connection']]) {
      await visit(page, hash, title);
      await page.getByText(/This page needs the (admin|operator) role/).waitFor();
    }
    // The API refuses what the UI hides: the viewer's own session, CSRF header and all.
    const refused = await page.evaluate(async () => {
      const s = await (await fetch('/api/v1/session')).json();
      const h = { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token };
      const out = [];
      for (const [m, p, b] of [['POST', '/connections', { name: 'sneaky' }], ['DELETE', '/connections/viewer-sees'],
        ['GET', '/users'], ['POST', '/users', { name: 'x', role: 'admin', password: 'xxxxxxxxxx' }], ['GET', '/secrets'], ['GET', '/audit']])
        out.push(`${m} ${p} ${(await fetch(`/api/v1${p}`, { method: m, headers: h, body: b && JSON.stringify(b) })).status}`);
      return out;
    });
    for (const line of refused) assert(line.endsWith(' 403'), `refused with 403: ${line}`);
    eq((await env.agent.api('GET', '/connections/viewer-sees')).status, 200, 'the connection is still there');
  });
});
