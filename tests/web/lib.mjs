// SPDX-License-Identifier: MIT
// The browser suite's harness: TAP output, a real secgw-agent on a free
// loopback port (its own state directory, stopped by its pid), an API client
// with a bearer token for set-up and for checking what the UI really stored,
// and Debian's chromium driven by playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
export const BUILD = process.env.SECGW_BUILD || join(ROOT, 'build/check');
export const SCREENS = join(BUILD, 'web-screens');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP_TIMEOUT_MS = 15000;
const TEST_TIMEOUT_MS = 90000;

// ---- TAP ----------------------------------------------------------------
const tests = [];
export function test(name, fn) { tests.push({ name, fn }); }

// Thrown by a scenario that cannot run here (the reason goes to TAP).
export class Skip extends Error {}

// Skip unless the agent has an API route (from its OpenAPI document).
export async function needRoute(env, path) {
  const doc = await env.agent.api('GET', '/openapi.json');
  if (!(doc.body && doc.body.paths && path in doc.body.paths)) throw new Skip(`this agent has no ${path} (issue 3)`);
}

export async function runAll(setup, teardown) {
  console.log(`1..${tests.length}`);
  let failed = 0, n = 0;
  let env;
  try {
    env = await setup();
  } catch (e) {
    console.log(`# set-up failed: ${e.stack || e}`);
    for (const t of tests) console.log(`not ok ${++n} - ${t.name} # set-up failed`);
    return 1;
  }
  // WEB_ONLY=regex runs only the matching scenarios (by hand, while working
  // on one; later scenarios may need what earlier ones created).
  const only = process.env.WEB_ONLY ? new RegExp(process.env.WEB_ONLY) : null;
  for (const t of tests) {
    n++;
    if (only && !only.test(t.name)) { console.log(`ok ${n} - ${t.name} # skip not selected by WEB_ONLY`); continue; }
    const started = Date.now();
    try {
      await withTimeout(t.fn(env), TEST_TIMEOUT_MS, t.name);
      console.log(`ok ${n} - ${t.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (e) {
      if (e instanceof Skip) { console.log(`ok ${n} - ${t.name} # skip ${e.message}`); continue; }
      failed++;
      console.log(`not ok ${n} - ${t.name}`);
      for (const line of String(e.stack || e).split('\n').slice(0, 12)) console.log(`# ${line}`);
      if (env && env.onFailure) await env.onFailure(t.name).catch(() => {});
    }
  }
  await teardown(env).catch(e => { failed++; console.log(`# tear-down: ${e.stack || e}`); });
  return failed ? 1 : 0;
}

function withTimeout(p, ms, what) {
  let timer;
  return Promise.race([p, new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`${what}: timed out after ${ms / 1000} s`)), ms); })])
    .finally(() => clearTimeout(timer));
}

// poll(fn, what): wait until fn() is truthy (it may throw meanwhile).
export async function poll(fn, what, ms = STEP_TIMEOUT_MS) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) { last = e; }
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

// ---- the agent ------------------------------------------------------------
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

export class Agent {
  // args: more command-line options (e.g. --engine SOCKET).
  async start(args = []) {
    this.bin = join(BUILD, 'bin/secgw-agent');
    this.dir = mkdtempSync(join(tmpdir(), 'secgw-web-'));
    this.state = join(this.dir, 'state');
    this.logFile = join(this.dir, 'agent.log');
    // A port found free can be taken before the agent binds it (other suites
    // run at the same time): then try another.
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      this.url = `http://127.0.0.1:${this.port}`;
      this.log = '';
      this.proc = spawn(this.bin, ['--state-dir', this.state, '--listen', `127.0.0.1:${this.port}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      this.proc.stdout.on('data', d => { this.log += d; });
      this.proc.stderr.on('data', d => { this.log += d; });
      this.exited = new Promise(r => this.proc.once('exit', (code, sig) => r({ code, sig })));
      let gone = false;
      this.exited.then(() => { gone = true; });
      try {
        await poll(async () => gone || (await fetch(`${this.url}/api/v1/health`)).status === 200, 'the agent to answer /health', 30000);
      } catch (e) { if (!gone) throw e; }
      if (!gone) break;
      if (attempt >= 3 || !this.log.includes('cannot listen')) throw new Error(`the agent did not start:\n${this.log}`);
    }
    this.adminPassword = readFileSync(join(this.state, 'admin-password'), 'utf8').trim();
    this.token = execFileSync(this.bin, ['bootstrap-token', '--state-dir', this.state], { encoding: 'utf8' }).trim();
  }

  // api(method, path, body) with the admin token -> {status, body, headers}
  async api(method, path, body, token = this.token) {
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${this.url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = text; }
    return { status: res.status, body: json, headers: res.headers };
  }

  sql(statement) {
    return execFileSync('sqlite3', [join(this.state, 'secgw.db'), statement], { encoding: 'utf8' }).trim();
  }

  // SIGTERM by pid; the log must have no sanitizer report.
  async stop() {
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 20000);
    const { code, sig } = await this.exited;
    clearTimeout(t);
    if (/Sanitizer|runtime error:/.test(this.log)) throw new Error(`sanitizer report in the agent's log:\n${this.log.slice(0, 4000)}`);
    if (code !== 0) throw new Error(`the agent exited with ${code ?? sig}:\n${this.log.slice(-2000)}`);
  }

  cleanup() {
    if (this.dir && existsSync(this.dir)) rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---- the browser ------------------------------------------------------------
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

// playwright's launch() gives chromium a fresh, temporary user-data dir.
export async function launch() {
  mkdirSync(SCREENS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

// A fresh context (no cookies, no storage) and page, with its console
// messages and uncaught errors recorded in page.logs.
export async function newPage(browser, agent, opt = {}) {
  const ctx = await browser.newContext({ baseURL: agent.url, ...opt });
  ctx.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = await ctx.newPage();
  page.logs = [];
  page.on('console', m => page.logs.push({ type: m.type(), text: m.text(), url: page.url() }));
  page.on('pageerror', e => page.logs.push({ type: 'pageerror', text: e.message, url: page.url() }));
  return page;
}

// What no scenario may ever produce: an uncaught exception, a CSP refusal.
export function assertNoBreakage(page) {
  const bad = page.logs.filter(l => l.type === 'pageerror' || /Content Security Policy|Trusted ?(Type|Script|HTML)/i.test(l.text));
  if (bad.length) throw new Error(`page errors:\n${bad.map(l => `${l.type} at ${l.url}: ${l.text}`).join('\n')}`);
}

export async function closePage(page) {
  assertNoBreakage(page);
  await page.context().close();
}

export async function shot(page, name) {
  await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true });
}

export async function login(page, user, password) {
  await page.goto('/');
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

// Go to a page of the UI through its address (#/…) and wait for its heading.
export async function visit(page, hash, heading) {
  await page.evaluate(h => { location.hash = h; }, hash);
  await page.getByRole('heading', { name: heading, exact: true, level: 1 }).waitFor();
  await page.locator('.loading').first().waitFor({ state: 'detached' }).catch(() => {});
}

// The error text shown next to a form field (by its data-field path).
export function fieldError(page, path) {
  return page.locator(`[data-field="${path}"] > .err`);
}

export function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

export function eq(a, b, msg) {
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${msg}: got ${JSON.stringify(a)}, want ${JSON.stringify(b)}`);
}

// A logged-in browser state for a user (cookie and the UI's marker), from
// one POST /session each: most scenarios start logged in, and the login form
// itself is tested by the scenarios about it.
async function sessionState(env, who) {
  env.states = env.states || {};
  if (env.states[who]) return env.states[who];
  const u = env.users[who];
  const res = await fetch(`${env.agent.url}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: u.name, password: u.password }) });
  const m = (res.headers.get('set-cookie') || '').match(/secgw_session=([^;]+)/);
  if (res.status !== 201 || !m) throw new Error(`logging in ${u.name}: HTTP ${res.status}`);
  env.states[who] = { cookies: [{ name: 'secgw_session', value: m[1], domain: '127.0.0.1', path: '/', expires: -1, httpOnly: true, secure: false, sameSite: 'Strict' }],
    origins: [{ origin: env.agent.url, localStorage: [{ name: 'secgw.session', value: '1' }] }] };
  return env.states[who];
}

// withPage, logged in as who ('admin', 'op', 'view'), on the dashboard.
export async function asUser(env, who, name, fn, opt = {}) {
  const storageState = await sessionState(env, who);
  return withPage(env, name, async page => {
    await page.goto('/');
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    await fn(page);
  }, { ...opt, storageState });
}

// Run fn(page) in a fresh context; on failure save a screenshot named after
// the scenario (FAIL-…) so a person can see what the browser saw.
export async function withPage(env, name, fn, opt = {}) {
  const page = await newPage(env.browser, env.agent, opt);
  try {
    await fn(page);
    assertNoBreakage(page);
  } catch (e) {
    await shot(page, `FAIL-${name}`).catch(() => {});
    const logs = page.logs.map(l => `${l.type}: ${l.text}`).slice(-10);
    if (logs.length) e.message += `\nbrowser console (last ${logs.length}):\n${logs.join('\n')}`;
    throw e;
  } finally {
    await page.context().close().catch(() => {});
  }
}
