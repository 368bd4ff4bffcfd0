// SPDX-License-Identifier: MIT
// The dashboard: without the engine it says so and shows no state; the
// configuration still updates live from /events; and the live-state view
// (state, counters, bytes-per-second graph) renders docs/control.md's
// conn-status objects the way /sas will deliver them once the engine
// connects (issue 7).
import { test, asUser, withPage, login, shot, poll, assert, eq } from '../lib.mjs';

test('dashboard without the engine: says so plainly, no state, no /sas request, actions disabled; new connections appear live', async env => {
  const { op } = env.users;
  eq((await env.agent.api('PUT', '/secrets/dashkey', { type: 'psk', value: 'dashboard-psk-1' })).status, 201, 'secret');
  eq((await env.agent.api('PUT', '/connections/branch1', { name: 'branch1', remote_addrs: ['192.0.2.31'], psk: 'dashkey',
    children: [{ name: 'lan', local_ts: ['10.1.0.0/24'], remote_ts: ['10.31.0.0/24'] }] })).status, 201, 'a connection');
  await withPage(env, 'dashboard', async page => {
    const sas = [];
    page.on('request', r => { if (r.url().includes('/api/v1/sas')) sas.push(r.url()); });
    await login(page, op.name, op.password);
    const banner = page.getByRole('status').filter({ hasText: 'The IKE engine (secgw-iked) is not connected.' });
    await banner.waitFor();
    assert((await banner.innerText()).includes('No live state is shown'), 'the banner says no state is shown');
    const row = page.getByRole('row', { name: /branch1/ });
    eq(await row.locator('td[data-label="State"]').innerText(), 'unknown', 'the state is unknown, not down');
    eq(await row.locator('td[data-label="Traffic"]').innerText(), '—', 'no counters');
    assert(await row.getByRole('button', { name: 'Initiate' }).isDisabled(), 'Initiate is disabled');
    assert(await row.getByRole('button', { name: 'Terminate' }).isDisabled(), 'Terminate is disabled');
    eq(sas.length, 0, 'the dashboard does not ask /sas while the engine is away');

    // A change made elsewhere shows up through /events, without a reload.
    eq((await env.agent.api('PUT', '/connections/branch2', { name: 'branch2', remote_addrs: ['192.0.2.32'], psk: 'dashkey' })).status, 201, 'another connection');
    await page.getByRole('link', { name: 'branch2' }).waitFor();
    await shot(page, 'dashboard');
  });
});

// The conn-status example of docs/control.md, twice, 5 s apart.
const status = (bin, bout, state = 'established') => ({
  name: 'hq', keying: 'ike', datapath: 'user',
  ike: { state, initiator: true, spi_i: 'b01abe16f9645be4', spi_r: 'cd491ece5a05b725', local: '192.0.2.1[4500]', remote: '192.0.2.2[4500]',
    local_id: 'a.example', remote_id: 'b.example', proposal: 'aes256gcm16-prfsha256-x25519', nat: { local: false, remote: false }, established: 1700000000, rekey_in: 13950 },
  children: [{ name: 'lan', state: 'installed', mode: 'tunnel', proposal: 'aes256gcm16', spi_in: 'd757a2f9', spi_out: '2d2fa118',
    local_ts: ['10.1.0.0/24'], remote_ts: ['10.2.0.0/24'], bytes_in: bin, bytes_out: bout, packets_in: 0, packets_out: 0,
    drops: { replay: 0, auth: 0 }, established: 1700000000, rekey_in: 3550 }],
});

test('dashboard live view: conn-status from /sas becomes state, rates and a traffic graph (rendering, fed docs/control.md\'s example)', async env => {
  const { op } = env.users;
  await asUser(env, 'op', 'dashboard-live', async page => {
    await page.getByRole('link', { name: 'branch1' }).waitFor();
    const out = await page.evaluate(async ([a, b, c]) => {
      const m = await import('/pages/dashboard.js');
      const live = new m.Live();
      live.applySas([a], 1000);
      live.applySas([b], 1005);
      live.applySas([c], 1010);	// counters reset (a rekey): the new value is what flowed
      live.event({ event: 'rekeyed', connection: 'hq', time: 1700000100 });
      const acted = [];
      const t = m.connectionsTable([{ name: 'hq', remote_addrs: ['192.0.2.2'], children: [{ name: 'lan' }] }], live, true, (what, n) => acted.push(`${what} ${n}`));
      const main = document.getElementById('main');
      main.replaceChildren(t);
      const cell = l => t.querySelector(`td[data-label="${l}"]`).textContent;
      t.querySelector('button').click();
      return {
        state: cell('State'), traffic: cell('Traffic'), rates: live.rates('hq'),
        lines: [...t.querySelectorAll('svg.graph polyline')].map(p => p.getAttribute('points').split(' ').length),
        label: t.querySelector('svg.graph').getAttribute('aria-label'), acted,
        down: m.stateOf(undefined)[0], failed: m.stateOf({ state: 'failed', error: 'no such device' })[0],
        connecting: m.stateOf({ ike: { state: 'connecting' }, children: [] })[1],
        authenticating: m.stateOf({ state: 'connecting', ike: { state: 'authenticating' }, children: [] }),
        // iked lists a child once per SA: mid-rekey the old one and the new one.
        rekeying: m.stateOf({ state: 'established', ike: { state: 'established' },
          children: [{ name: 'lan', state: 'rekeyed' }, { name: 'lan', state: 'installed' }, { name: 'voip', state: 'rekeying' }] }),
      };
    }, [status(0, 0), status(50000, 10000), status(1000, 500)]);
    assert(out.state.startsWith('up (1/1 children)'), `state: ${out.state}`);
    assert(out.state.includes('rekeyed'), 'the last SA event is shown');
    eq(out.rates.map(r => [r.rin, r.rout]), [[10000, 2000], [200, 100]], 'bytes per second from the counters, a reset counter counted from zero');
    assert(out.traffic.includes('in 200 B/s') && out.traffic.includes('out 100 B/s'), `current rates: ${out.traffic}`);
    eq(out.lines, [2, 2], 'two lines (in, out) of two points');
    assert(out.label.includes('over the last 5 minutes'), `graph label: ${out.label}`);
    eq(out.acted, ['initiate hq'], 'Initiate acts on its connection');
    eq([out.down, out.failed, out.connecting], ['down', 'failed: no such device', 'connecting'], 'other states');
    eq(out.authenticating, ['connecting (authenticating)', 'connecting'], 'the connection\'s summary first, the SA\'s step beside it');
    eq(out.rekeying, ['up (2/2 children)', 'up'], 'children counted by name, up while rekeying');
    await shot(page, 'dashboard-live-fixture');
  });
});

test('terminate asks first; the agent\'s refusal (engine not connected) is shown as it says it', async env => {
  const { op } = env.users;
  await asUser(env, 'op', 'terminate', async page => {
    await page.getByRole('link', { name: 'branch1' }).waitFor();
    const posts = [];
    page.on('request', r => { if (r.method() === 'POST') posts.push(r.url()); });
    // The buttons as they will be once the engine is connected.
    // The buttons as they are once the engine is connected, wired to the page's own action.
    await page.evaluate(async () => {
      const m = await import('/pages/dashboard.js');
      const t = m.connectionsTable([{ name: 'branch1', remote_addrs: [], children: [] }], new m.Live(), true, (w, n) => m.act(w, n));
      document.getElementById('main').replaceChildren(t);
    });
    await page.getByRole('button', { name: 'Terminate' }).click();
    await page.getByRole('dialog', { name: 'Terminate branch1?' }).getByRole('button', { name: 'Cancel' }).click();
    eq(posts.length, 0, 'cancelled: nothing sent');
    await page.getByRole('button', { name: 'Terminate' }).click();
    await page.getByRole('dialog', { name: 'Terminate branch1?' }).getByRole('button', { name: 'Terminate' }).click();
    await page.getByText('cannot terminate "branch1": the IKE engine (secgw-iked) is not connected').waitFor();
    eq(posts.length, 1, 'confirmed: one request');
  });
});
