// SPDX-License-Identifier: MIT
// The browser suite: every scenario file in order, against one real agent,
// in one chromium; TAP on stdout (tests/run counts it).
import { runAll, Agent, launch } from './lib.mjs';
import './scenarios/auth.mjs';
import './scenarios/connections.mjs';
import './scenarios/admin.mjs';
import './scenarios/dashboard.mjs';
import './scenarios/history.mjs';
import './scenarios/bulk.mjs';
import './scenarios/quality.mjs';
import './scenarios/engine.mjs';
import './scenarios/shutdown.mjs';

export const USERS = {
  admin: { name: 'admin', password: null },
  op: { name: 'op', password: 'op-password-1', role: 'operator' },
  view: { name: 'view', password: 'view-password-1', role: 'viewer' },
};

async function setup() {
  const agent = new Agent();
  await agent.start();
  USERS.admin.password = agent.adminPassword;
  for (const u of [USERS.op, USERS.view]) {
    const r = await agent.api('POST', '/users', { name: u.name, role: u.role, password: u.password });
    if (r.status !== 201) throw new Error(`creating ${u.name}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const browser = await launch();
  return { agent, browser, users: USERS, loaded: new Map() };
}

async function teardown(env) {
  // What scenarios started beyond the shared agent (routers in namespaces…).
  for (const f of (env.cleanups || []).reverse()) await f().catch(e => console.log(`# clean-up: ${e.stack || e}`));
  await env.browser.close().catch(() => {});
  try {
    await env.agent.stop();
  } finally {
    env.agent.cleanup();
  }
}

process.exitCode = await runAll(setup, teardown);
