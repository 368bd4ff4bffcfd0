// SPDX-License-Identifier: MIT
// Bulk against the real agent: a CSV (made from the agent's own export)
// uploaded through the page, the dry-run diff, Cancel writes nothing, Apply
// writes one revision; a file with bad rows is refused whole with each row
// named; the export downloads.
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, asUser, withPage, login, visit, shot, assert, eq, needRoute } from '../lib.mjs';

// The agent's CSV, a row of it as a template, and rows made from it.
async function csvKit(env) {
  const res = await fetch(`${env.agent.url}/api/v1/export?format=csv`, { headers: { Authorization: `Bearer ${env.agent.token}` } });
  const lines = (await res.text()).trim().split('\n');
  const header = lines[0].split(',');
  const row = (base, over) => header.map(col => (col in over ? over[col] : base[header.indexOf(col)])).join(',');
  const rowsOf = name => lines.slice(1).map(l => l.split(',')).filter(r => r[0] === name);
  return { header: lines[0], lines, row, rowsOf };
}

test('CSV import: the dry-run diff, Cancel writes nothing, Apply writes one revision; a bad file is refused naming its rows', async env => {
  await needRoute(env, '/import');
  const { op } = env.users;
  const kit = await csvKit(env);
  const [base] = kit.rowsOf('h1');
  assert(base, 'h1 is in the export');
  const csv = join(env.agent.dir, 'import.csv');
  writeFileSync(csv, [kit.header,
    ...kit.lines.slice(1).map(l => (l.startsWith('h1,') ? kit.row(l.split(','), { dpd_delay: '45' }) : l)),
    kit.row(base, { name: 'csv1', remote_addrs: '192.0.2.61', 'child.name': 'lan', 'child.local_ts': '10.6.1.0/24', 'child.remote_ts': '10.61.0.0/24' }),
    kit.row(base, { name: 'csv2', remote_addrs: '192.0.2.62', 'child.name': 'lan', 'child.local_ts': '10.6.2.0/24', 'child.remote_ts': '10.62.0.0/24' }),
  ].join('\n') + '\n');
  eq(/^h1,.*,45,clear/m.test(readFileSync(csv, 'utf8')), true, 'the fixture changes h1\'s dpd_delay');
  const bad = join(env.agent.dir, 'bad.csv');
  writeFileSync(bad, [kit.header,
    kit.row(base, { name: 'bad1', remote_addrs: '192.0.2.999' }),
    kit.row(base, { name: 'bad2', psk: 'no-such-secret' })].join('\n') + '\n');

  await asUser(env, 'op', 'bulk', async page => {
    await visit(page, '#/bulk', 'Import / export');
    const rev0 = (await env.agent.api('GET', '/health')).body.revision;

    await page.getByLabel('File (CSV or JSON, as exported)').setInputFiles(bad);
    await page.getByRole('button', { name: 'Preview changes' }).click();
    const err = page.locator('.form-err');
    await err.getByText(/invalid/).waitFor();
    const msg = await err.innerText();
    assert(/row 2, remote_addrs\[0\]: not an IPv4 or IPv6 address/.test(msg), `the bad address is named by row and column: ${msg}`);
    assert(/row 3, psk: no secret named "no-such-secret"/.test(msg), `the missing secret is named by row and column: ${msg}`);
    eq((await env.agent.api('GET', '/connections/bad1')).status, 404, 'a refused file writes nothing');
    await shot(page, 'bulk-errors');

    await page.getByLabel('File (CSV or JSON, as exported)').setInputFiles(csv);
    await page.getByRole('button', { name: 'Preview changes' }).click();
    const diff = page.locator('.diff');
    await diff.getByText(/Dry run \(merge\) against revision \d+/).waitFor();
    const text = await diff.innerText();
    assert(/2 added, 1 changed, 0 removed/.test(text), `summary: ${text}`);
    assert(/connection csv1/.test(text) && /connection csv2/.test(text) && /dpd_delay: \d+ → 45/.test(text), `details: ${text}`);
    await shot(page, 'bulk-dry-run');
    eq((await env.agent.api('GET', '/connections/csv1')).status, 404, 'a dry run writes nothing');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByText('Import cancelled: nothing was changed').waitFor();
    eq((await env.agent.api('GET', '/health')).body.revision, rev0, 'Cancel writes nothing');

    await page.getByLabel('File (CSV or JSON, as exported)').setInputFiles(csv);
    await page.getByRole('button', { name: 'Preview changes' }).click();
    await diff.getByText(/Dry run/).waitFor();
    await page.getByRole('button', { name: 'Apply these changes' }).click();
    await page.getByText(`Imported as revision ${rev0 + 1}: 2 added, 1 changed, 0 removed.`).waitFor();
    eq((await env.agent.api('GET', '/health')).body.revision, rev0 + 1, 'one revision for the whole import');
    eq((await env.agent.api('GET', '/connections/csv2')).body.children[0].remote_ts, ['10.62.0.0/24'], 'csv2 imported');
    eq((await env.agent.api('GET', '/connections/h1')).body.dpd_delay, 45, 'h1 updated');

    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    const got = readFileSync(await dl.path(), 'utf8');
    assert(got.startsWith(kit.header) && /^csv1,/m.test(got), 'the CSV export downloads with the imported rows');
    const [dj] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download JSON' }).click()]);
    const doc = JSON.parse(readFileSync(await dj.path(), 'utf8'));
    assert(doc.connections.some(c => c.name === 'csv2'), 'the JSON export downloads');
    assert(!JSON.stringify(doc).includes('history-psk-1'), 'no secret value in an export');
  });
});
