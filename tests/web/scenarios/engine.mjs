// SPDX-License-Identifier: MIT
// The dashboard against the live engine (issues 7 and 8): two routers, each a
// network namespace with secgw-iked (user datapath, root) inside and a
// secgw-agent on the host's loopback driving it; the browser talks to router
// A's agent. What a person sees must follow the real tunnel: Initiate brings
// it up, a ping moves the counters and the graph, Terminate (confirmed)
// brings it down as /events says so, and a dead iked is said plainly.
//
//   netns wA…                               netns wB…
//   192.0.2.1/24 (ea) <----- veth -----> (eb) 192.0.2.2/24
//   lo 10.1.0.1/24                           lo 10.2.0.1/24
//   secgw-iked A  <- DIR/A/iked.sock         secgw-iked B <- DIR/B/iked.sock
//   secgw-agent A on 127.0.0.1:free          secgw-agent B on 127.0.0.1:free
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, Skip, Agent, BUILD, asUser, shot, poll, assert, eq } from '../lib.mjs';

const PSK = 'web-live-shared-secret-0123456789';
const R = {
  A: { addr: '192.0.2.1', peer: '192.0.2.2', net: '10.1.0.0/24', host: '10.1.0.1', peerNet: '10.2.0.0/24', peerHost: '10.2.0.1', ifc: 'ea' },
  B: { addr: '192.0.2.2', peer: '192.0.2.1', net: '10.2.0.0/24', host: '10.2.0.1', peerNet: '10.1.0.0/24', peerHost: '10.1.0.1', ifc: 'eb' },
};

const ip = (...a) => execFileSync('ip', a, { stdio: ['ignore', 'pipe', 'pipe'] });
const tail = (f, n = 1500) => (existsSync(f) ? readFileSync(f, 'utf8').slice(-n) : '(no log)');

// secgw-iked of one router, started and killed by its own pid (`ip netns
// exec` execs it, so the pid is iked's).
class Iked {
  constructor(ns, dir) { this.ns = ns; this.sock = join(dir, 'iked.sock'); this.logFile = join(dir, 'iked.log'); this.proc = null; }

  async start() {
    rmSync(this.sock, { force: true });
    const fd = openSync(this.logFile, 'a');
    this.proc = spawn('ip', ['netns', 'exec', this.ns, join(BUILD, 'bin/secgw-iked'), '--control', this.sock, '--datapath', 'user',
      '--workers', '1', '--retransmit-ms', '300', '--retransmit-tries', '5'], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    let gone = null;
    this.exited = new Promise(r => this.proc.once('exit', (code, sig) => { gone = code ?? sig; r(gone); }));
    await poll(() => { if (gone !== null) throw new Error(`secgw-iked exited (${gone}):\n${tail(this.logFile)}`); return existsSync(this.sock); },
      'secgw-iked\'s control socket', 10000);
  }

  async kill() {
    const p = this.proc;
    if (!p) return;
    this.proc = null;
    p.kill('SIGKILL');
    await this.exited;
  }
}

async function startRouters(env) {
  if (process.getuid() !== 0) throw new Skip('needs root (network namespaces, secgw-iked)');
  try { ip('-V'); } catch { throw new Skip('no ip(8)'); }
  if (!existsSync(join(BUILD, 'bin/secgw-iked'))) throw new Error(`no secgw-iked in ${BUILD}/bin`);
  const tag = `${process.pid % 100000}${Math.floor(Math.random() * 1000)}`;
  const live = { dir: mkdtempSync(join(tmpdir(), 'secgw-weblive-')), ns: { A: `wA${tag}`, B: `wB${tag}` }, made: [], iked: {}, agent: {}, pids: [] };
  env.live = live;
  (env.cleanups = env.cleanups || []).push(async () => {
    for (const p of live.pids) try { p.kill('SIGKILL'); } catch { /* already gone */ }
    for (const r of ['A', 'B']) await live.iked[r]?.kill();
    const errs = [];
    for (const r of ['A', 'B']) {
      try { await live.agent[r]?.stop(); } catch (e) { errs.push(`agent ${r}: ${e.message}`); }
    }
    for (const ns of live.made) try { ip('netns', 'del', ns); } catch { /* gone */ }
    rmSync(live.dir, { recursive: true, force: true });
    for (const r of ['A', 'B']) live.agent[r]?.cleanup();
    if (errs.length) throw new Error(errs.join('\n'));
  });
  for (const r of ['A', 'B']) {
    ip('netns', 'add', live.ns[r]);
    live.made.push(live.ns[r]);
    ip('-n', live.ns[r], 'link', 'set', 'lo', 'up');
  }
  ip('link', 'add', 'ea', 'netns', live.ns.A, 'type', 'veth', 'peer', 'name', 'eb', 'netns', live.ns.B);
  for (const r of ['A', 'B']) {
    ip('-n', live.ns[r], 'link', 'set', R[r].ifc, 'up');
    ip('-n', live.ns[r], 'addr', 'add', `${R[r].addr}/24`, 'dev', R[r].ifc);
    ip('-n', live.ns[r], 'addr', 'add', `${R[r].host}/24`, 'dev', 'lo');
  }
  for (const r of ['A', 'B']) {
    const d = join(live.dir, r);
    mkdirSync(d);
    live.iked[r] = new Iked(live.ns[r], d);
    await live.iked[r].start();
    live.agent[r] = new Agent();
    await live.agent[r].start(['--engine', live.iked[r].sock]);
  }
  return live;
}

// The connection "t" with child "net" on router r; A starts nothing by
// itself (the browser's Initiate does), B only answers.
function tunnel(r) {
  const x = R[r], other = r === 'A' ? 'B' : 'A';
  return { name: 't', local_addrs: [x.addr], remote_addrs: [x.peer], local_id: `${r}.web.test`, remote_id: `${other}.web.test`, psk: 'k', dpd_delay: 0,
    children: [{ name: 'net', local_ts: [x.net], remote_ts: [x.peerNet], start_action: 'none' }] };
}

async function configure(agent, r) {
  eq((await agent.api('PUT', '/secrets/k', { type: 'psk', value: PSK })).status, 201, `${r}: the secret`);
  eq((await agent.api('POST', '/connections', tunnel(r))).status, 201, `${r}: the connection`);
  // Applied: iked acknowledged the agent's latest revision.
  await poll(async () => {
    const h = (await agent.api('GET', '/health')).body;
    return h.engine === 'up' && h.revision_applied === h.revision;
  }, `router ${r}'s secgw-iked to run the latest revision`);
}

test('live engine: two routers in namespaces, each secgw-iked + agent; the answering side configured first', async env => {
  const live = await startRouters(env);
  // docs/run.md: configure the answering side first, and only one side starts.
  await configure(live.agent.B, 'B');
  await configure(live.agent.A, 'A');
});

const row = page => page.getByRole('row', { name: /^t\b/ });
const cell = (page, label) => row(page).locator(`td[data-label="${label}"]`);
const notConnected = page => page.getByRole('status').filter({ hasText: 'The IKE engine (secgw-iked) is not connected.' });

async function installedOnA(live) {
  const r = await live.agent.A.api('GET', '/sas');
  const c = r.status === 200 && (r.body.connections || []).find(x => x.name === 't');
  return c && (c.children || []).some(k => k.state === 'installed');
}

test('live engine in the browser: connected, Initiate brings t up, a ping moves counters and graph, Terminate brings it down live, a killed iked is said plainly and its return seen', async env => {
  const live = env.live;
  if (!live) throw new Skip('the routers did not start (previous scenario)');
  const A = live.agent.A;
  const liveEnv = { ...env, agent: A, users: { admin: { name: 'admin', password: A.adminPassword } }, states: {} };
  await asUser(liveEnv, 'admin', 'dashboard-engine', async page => {
    // A reload would lose this mark: every change below must come without one.
    await page.evaluate(() => { window.secgwMark = 'no-reload'; });
    const state = () => cell(page, 'State').locator('.badge').innerText();

    // Connected: no banner, a real state (not "unknown"), actions enabled.
    await poll(async () => (await state()) === 'down', 'state "down" for t (engine connected, nothing up)');
    eq(await notConnected(page).count(), 0, 'no "not connected" banner');
    assert(await row(page).getByRole('button', { name: 'Initiate' }).isEnabled(), 'Initiate is enabled');

    // Initiate: up, and the event that said so is shown under the state.
    await row(page).getByRole('button', { name: 'Initiate' }).click();
    await poll(async () => (await state()).startsWith('up (1/1 children)'), 'state "up (1/1 children)" after Initiate', 20000);
    assert(await installedOnA(live), 'the agent\'s /sas has the CHILD SA installed too');
    await poll(async () => /child-up|ike-up/.test(await cell(page, 'State').innerText()), 'the ike-up/child-up event under the state');

    // Traffic: pings across the tunnel; the totals and the rate move, and the
    // graph's "in" line leaves the baseline.
    const before = await cell(page, 'Traffic').innerText();
    const ping = spawn('ip', ['netns', 'exec', live.ns.A, 'ping', '-q', '-c', '150', '-i', '0.1', '-s', '1000', '-I', R.A.host, R.A.peerHost], { stdio: 'ignore' });
    live.pids.push(ping);
    try {
      await poll(async () => {
        const t = await cell(page, 'Traffic').innerText();
        const m = t.match(/in ([\d.]+) (k?B)\/s/);
        return t !== before && m && Number(m[1]) > 0 && !/^0 B \/ 0 B$/m.test(t);
      }, 'the traffic rate to rise while pinging', 20000);
      const pts = await row(page).locator('svg.graph polyline.in').getAttribute('points');
      const ys = pts.split(' ').map(p => Number(p.split(',')[1]));
      assert(ys.some(y => y < 30), `the graph's in-line leaves the baseline: ${pts}`);
    } finally {
      ping.kill('SIGKILL');
    }
    const traffic = await cell(page, 'Traffic').innerText();
    await shot(page, 'dashboard-engine-up');

    // Terminate asks first; once confirmed, the state goes down, seen through
    // the events it caused (shown under the state), without a reload.
    await row(page).getByRole('button', { name: 'Terminate' }).click();
    const dlg = page.getByRole('dialog', { name: 'Terminate t?' });
    await dlg.getByRole('button', { name: 'Terminate' }).click();
    await poll(async () => (await state()) === 'down' && /child-down|ike-down/.test(await cell(page, 'State').innerText()),
      'state "down" with the child-down/ike-down event after Terminate', 20000);
    assert(!(await installedOnA(live)), 'the agent\'s /sas has no installed CHILD SA either');
    assert(traffic.length > 0, 'traffic was shown');

    // iked dies: the dashboard says so plainly, shows no stale state.
    await live.iked.A.kill();
    await notConnected(page).waitFor({ timeout: 15000 });
    eq(await state(), 'unknown', 'no stale state while the engine is away');
    assert(await row(page).getByRole('button', { name: 'Initiate' }).isDisabled(), 'Initiate is disabled while the engine is away');
    await shot(page, 'dashboard-engine-down');

    // It comes back: the banner goes, live state returns.
    await live.iked.A.start();
    await notConnected(page).waitFor({ state: 'detached', timeout: 15000 });
    await poll(async () => (await state()) === 'down', 'a live state again after iked returned');
    eq(await page.evaluate(() => window.secgwMark), 'no-reload', 'all of it without a reload');
  });
});
