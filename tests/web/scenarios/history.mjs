// SPDX-License-Identifier: MIT
// History and commit-confirmed against the real agent: the revision list, a
// diff between two revisions, rollback from the page; a change on trial
// with its countdown, confirmed in time, and one left to the agent's
// automatic revert, which the page then reports.
import { test, asUser, withPage, login, visit, shot, poll, assert, eq, needRoute } from '../lib.mjs';

const current = async env => (await env.agent.api('GET', '/health')).body.revision;

test('history: the revisions listed, a readable diff between two, rollback (cancel first, then confirmed)', async env => {
  await needRoute(env, '/revisions');
  const { op } = env.users;
  const api = env.agent.api.bind(env.agent);
  eq((await api('PUT', '/secrets/histkey', { type: 'psk', value: 'history-psk-1' })).status, 201, 'secret');
  eq((await api('PUT', '/connections/h1', { name: 'h1', remote_addrs: ['192.0.2.51'], psk: 'histkey' })).status, 201, 'h1');
  const a = await current(env);
  eq((await api('PATCH', '/connections/h1', { dpd_delay: 99 })).status, 200, 'h1 changed');
  const b = await current(env);
  eq((await api('PUT', '/connections/h2', { name: 'h2', remote_addrs: ['192.0.2.52'], psk: 'histkey' })).status, 201, 'h2');
  const c = await current(env);
  await asUser(env, 'op', 'history', async page => {
    await visit(page, '#/history', 'History');
    const row = n => page.getByRole('row', { name: new RegExp(`^${n}\\b`) });
    await row(c).waitFor();
    assert((await row(c).innerText()).includes('connection.replace h2') || (await row(c).innerText()).includes('connection.create h2'), `revision ${c} names its change`);
    assert((await row(b).innerText()).includes('h1'), `revision ${b} names h1`);

    await page.getByRole('button', { name: `Differences of revision ${b}` }).click();
    const diff = page.locator('.diff');
    await diff.getByText(`From revision ${a} to ${b}`).waitFor();
    assert(/dpd_delay: 30 → 99/.test(await diff.innerText()), `the diff shows the field with old and new: ${await diff.innerText()}`);

    await page.getByLabel('Compare revision').fill(String(a));
    await page.getByLabel('with revision').fill(String(c));
    await page.getByRole('button', { name: 'Show the differences' }).click();
    await diff.getByText(`From revision ${a} to ${c}`).waitFor();
    const text = await diff.innerText();
    assert(/1 added, 1 changed, 0 removed/.test(text), `summary: ${text}`);
    assert(/Added[\s\S]*connection h2/.test(text) && /Changed[\s\S]*connection h1/.test(text), `what changed: ${text}`);
    assert(!text.includes('history-psk-1'), 'no secret value in a diff');
    await shot(page, 'history-diff');

    await page.getByRole('button', { name: `Roll back to revision ${a}` }).click();
    await page.getByRole('dialog', { name: `Roll back to revision ${a}?` }).getByRole('button', { name: 'Cancel' }).click();
    eq(await current(env), c, 'Cancel rolls nothing back');
    await page.getByRole('button', { name: `Roll back to revision ${a}` }).click();
    await page.getByRole('dialog', { name: `Roll back to revision ${a}?` }).getByRole('button', { name: 'Roll back' }).click();
    await page.getByText(`Rolled back to revision ${a}: now revision ${c + 1}`).waitFor();
    await row(c + 1).waitFor();
    eq((await api('GET', '/connections/h1')).body.dpd_delay, 30, 'h1 is as it was at the revision rolled back to');
    eq((await api('GET', '/connections/h2')).status, 404, 'h2 did not exist then');
    await shot(page, 'history');
  });
});

// Change h1's dpd_delay in the editor with a trial of `seconds`.
async function changeOnTrial(page, value, seconds) {
  await visit(page, '#/connections/h1', 'Connection h1');
  await page.getByLabel('Dead peer detection every (s)').fill(String(value));
  await page.getByLabel(/Apply on trial/).fill(String(seconds));
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
}

// The seconds the banner shows now (NaN when it shows no countdown).
const countdown = async page => {
  const t = await page.evaluate(() => document.querySelector('#confirm-banner .countdown')?.textContent || '');
  const m = t.match(/^(\d+):(\d\d)$/);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
};

test('commit-confirmed: a change on trial shows a countdown on every page; Confirm keeps it', async env => {
  await needRoute(env, '/commit/confirm');
  const { op } = env.users;
  await asUser(env, 'op', 'confirm', async page => {
    await changeOnTrial(page, 77, 120);
    const banner = page.locator('#confirm-banner');
    await banner.getByText(/is applied on trial: it will be reverted to revision \d+ in/).waitFor();
    const first = await countdown(page);
    assert(first > 100 && first <= 120, `the countdown starts near 2:00 (${first} s)`);
    await poll(async () => (await countdown(page)) < first, 'the countdown to move');
    await visit(page, '#/secrets', 'Secrets');
    await banner.waitFor();
    await shot(page, 'confirm-countdown');
    eq((await env.agent.api('GET', '/commit/confirm')).body.pending.revision, await current(env), 'the agent has it pending');
    await banner.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText(/is confirmed: it stays/).waitFor();
    await banner.waitFor({ state: 'detached' });
    eq((await env.agent.api('GET', '/commit/confirm')).body.pending, null, 'nothing pending in the agent');
    eq((await env.agent.api('GET', '/connections/h1')).body.dpd_delay, 77, 'the change stays');
  });
});

test('commit-confirmed: not confirmed in time, the agent reverts and the page says so', async env => {
  await needRoute(env, '/commit/confirm');
  const { op } = env.users;
  await asUser(env, 'op', 'revert', async page => {
    const before = await current(env);
    await changeOnTrial(page, 88, 4);
    const banner = page.locator('#confirm-banner');
    await banner.getByText(/is applied on trial/).waitFor();
    eq((await env.agent.api('GET', '/connections/h1')).body.dpd_delay, 88, 'applied meanwhile');
    const seen = new Set();
    await poll(async () => { seen.add(await countdown(page)); return page.getByText(/was not confirmed in time/).isVisible(); }, 'the revert notice', 20000);
    assert([...seen].filter(Number.isFinite).length >= 2, `the countdown counted down (${[...seen].join(', ')})`);
    assert(/reverted the configuration to revision \d+ \(now revision \d+\)/.test(await banner.innerText()), await banner.innerText());
    await shot(page, 'confirm-reverted');
    eq((await env.agent.api('GET', '/connections/h1')).body.dpd_delay, 77, 'the agent restored the value before the trial');
    assert(await current(env) === before + 2, 'the trial and its revert are two revisions');
    await banner.getByRole('button', { name: 'Dismiss' }).click();
    await banner.waitFor({ state: 'detached' });
  });
});
