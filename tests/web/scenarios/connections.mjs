// SPDX-License-Identifier: MIT
// The connection editor against the real agent: a PSK created from the
// editor, an invalid field refused next to that field with nothing stored,
// then create, edit, and delete with a confirmation.
import { test, asUser, withPage, login, visit, shot, poll, fieldError, assert, eq } from '../lib.mjs';

const PSK = 'hq-psk-value-never-shown-7f3a';

test('create a connection: client hint first, then the agent refuses one invalid field (shown next to it, nothing stored), then it is created', async env => {
  const { op } = env.users;
  await asUser(env, 'op', 'create', async page => {
    const posts = [];
    page.on('request', r => { if (r.method() === 'POST' && r.url().endsWith('/api/v1/connections')) posts.push(r.url()); });
    await page.getByRole('link', { name: 'New connection' }).click();
    await page.getByRole('heading', { name: 'New connection', level: 1 }).waitFor();

    // A PSK from the editor itself: stored write-only, then chosen by name.
    await page.getByRole('button', { name: 'New PSK…' }).click();
    const dlg = page.getByRole('dialog', { name: 'New secret' });
    await dlg.getByLabel('Secret name').fill('hqkey');
    await dlg.getByLabel(/Pre-shared key \(8/).fill(PSK);
    await dlg.getByRole('button', { name: 'Store secret' }).click();
    await dlg.waitFor({ state: 'detached' });
    eq(await page.getByLabel('Pre-shared key (secret)').inputValue(), 'hqkey', 'the new secret is selected');
    eq((await env.agent.api('GET', '/secrets/hqkey')).body.type, 'psk', 'the secret is stored as a psk');

    // A name the browser already knows is wrong: refused before any request.
    await page.getByLabel('Name', { exact: true }).first().fill('head office');
    await page.getByRole('button', { name: 'Create connection' }).click();
    await poll(async () => (await fieldError(page, 'name').textContent()).length > 0, 'the name hint');
    eq(posts.length, 0, 'an invalid name is not sent to the agent');

    await page.getByLabel('Name', { exact: true }).first().fill('hq');
    await page.getByLabel('Remote addresses').fill('192.0.2.300');
    await page.getByLabel('Name', { exact: true }).nth(1).fill('lan');
    await page.getByLabel('Local traffic selectors').fill('10.1.0.0/24');
    await page.getByLabel('Remote traffic selectors').fill('10.2.0.0/24');
    await page.getByRole('button', { name: 'Create connection' }).click();
    await poll(async () => (await fieldError(page, 'remote_addrs').textContent()).length > 0, 'the error next to Remote addresses');
    const msg = await fieldError(page, 'remote_addrs').textContent();
    assert(/entry 1/.test(msg), `the message names the list entry: "${msg}"`);
    eq(posts.length, 1, 'the form was sent once');
    eq(await page.getByLabel('Remote addresses').getAttribute('aria-invalid'), 'true', 'the field is marked invalid');
    assert(await page.getByLabel('Remote addresses').evaluate(el => el === document.activeElement), 'the focus is on the field in error');
    for (const other of ['name', 'local_addrs', 'children[0].local_ts'])
      eq(await fieldError(page, other).textContent(), '', `no error next to ${other}`);
    await page.locator('.form-err').getByText('1 field is invalid').waitFor();
    await shot(page, 'editor-field-error');
    eq((await env.agent.api('GET', '/connections/hq')).status, 404, 'nothing was stored');
    eq((await env.agent.api('GET', '/connections')).body.items.filter(c => c.name === 'hq').length, 0, 'the list has no hq');

    await page.getByLabel('Remote addresses').fill('192.0.2.10');
    await page.getByLabel('Comment for the history (optional)').fill('tunnel to head office');
    await page.getByRole('button', { name: 'Create connection' }).click();
    await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'hq', exact: true }).waitFor();
    const hq = (await env.agent.api('GET', '/connections/hq')).body;
    eq(hq.remote_addrs, ['192.0.2.10'], 'stored remote_addrs');
    eq(hq.psk, 'hqkey', 'stored psk name');
    eq(hq.children.map(c => [c.name, c.local_ts, c.remote_ts]), [['lan', ['10.1.0.0/24'], ['10.2.0.0/24']]], 'stored child');
    eq(env.agent.sql("SELECT comment FROM revisions ORDER BY number DESC LIMIT 1"), 'tunnel to head office', 'the comment is in the revision');
    assert(!(await page.content()).includes(PSK), 'the PSK value is nowhere on the page');
  });
});

test('edit a connection: change a field, add a child; the agent has the new version', async env => {
  const { op } = env.users;
  await asUser(env, 'op', 'edit', async page => {
    await page.getByRole('link', { name: 'hq', exact: true }).click();
    await page.getByRole('heading', { name: 'Connection hq' }).waitFor();
    eq(await page.getByLabel('Remote addresses').inputValue(), '192.0.2.10', 'the stored value is shown');
    assert(await page.getByLabel('Name', { exact: true }).first().evaluate(el => el.readOnly), 'the name (the key) is read-only');
    await page.getByLabel('Dead peer detection every (s)').fill('60');
    await page.getByRole('button', { name: 'Add child SA' }).click();
    const kid = page.locator('fieldset[data-field="children[1]"]');
    await kid.getByLabel('Name', { exact: true }).fill('dmz');
    await kid.getByLabel('Local traffic selectors').fill('10.1.9.0/24');
    await kid.getByLabel('Remote traffic selectors').fill('10.2.9.0/24[tcp/443]');
    await kid.getByLabel('Start').selectOption('trap');
    await shot(page, 'editor-edit');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
    const hq = (await env.agent.api('GET', '/connections/hq')).body;
    eq(hq.dpd_delay, 60, 'dpd_delay changed');
    eq(hq.children.map(c => c.name), ['lan', 'dmz'], 'both children');
    eq(hq.children[1].start_action, 'trap', 'the new child starts on traffic');
    eq(hq.children[1].remote_ts, ['10.2.9.0/24[tcp/443]'], 'selector with protocol and port');
    eq(hq.remote_addrs, ['192.0.2.10'], 'untouched fields are kept');
  });
});

test('someone else changes the connection meanwhile: the editor says so at once, and saving is refused (If-Match → 412), nothing overwritten', async env => {
  const { op } = env.users;
  await asUser(env, 'op', 'stale', async page => {
    await visit(page, '#/connections/hq', 'Connection hq');
    eq((await env.agent.api('PATCH', '/connections/hq', { dpd_delay: 45 })).status, 200, 'a change behind the editor\'s back');
    await page.getByText(/admin changed this connection \(connection\.update, revision \d+\) after you opened it/).waitFor();
    await page.getByLabel('Dead peer detection every (s)').fill('90');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Someone changed this connection since you opened it').waitFor();
    eq((await env.agent.api('GET', '/connections/hq')).body.dpd_delay, 45, 'the other change was not overwritten');
  });
});

test('delete a connection: cancel keeps it, confirming deletes it', async env => {
  const { op } = env.users;
  await asUser(env, 'op', 'delete', async page => {
    await visit(page, '#/connections/hq', 'Connection hq');
    await page.getByRole('button', { name: 'Delete connection' }).click();
    const dlg = page.getByRole('dialog', { name: 'Delete hq?' });
    await dlg.waitFor();
    await dlg.getByText('its 2 child SAs').waitFor();
    await shot(page, 'delete-confirm');
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    await dlg.waitFor({ state: 'detached' });
    eq((await env.agent.api('GET', '/connections/hq')).status, 200, 'Cancel deletes nothing');
    await page.getByRole('button', { name: 'Delete connection' }).click();
    await page.getByRole('dialog', { name: 'Delete hq?' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
    await page.getByText('Deleted hq').waitFor();
    eq((await env.agent.api('GET', '/connections/hq')).status, 404, 'deleted in the agent');
  });
});
