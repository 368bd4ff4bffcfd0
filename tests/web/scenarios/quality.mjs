// SPDX-License-Identifier: MIT
// Qualities of every page: the CSP is sent and enforced, no console error
// anywhere, a screenshot of each page, the keyboard alone suffices, a phone
// screen is readable, and everything the UI loads fits the 200 KiB budget.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test, asUser, withPage, login, visit, shot, poll, assert, eq, ROOT } from '../lib.mjs';

export const BUDGET = 200 * 1024;

// Every page of the UI as [hash, heading, screenshot name].
const PAGES = [
  ['#/', 'Connections', 'page-dashboard'],
  ['#/connections/new', 'New connection', 'page-editor-new'],
  ['#/connections/branch1', 'Connection branch1', 'page-editor'],
  ['#/secrets', 'Secrets', 'page-secrets'],
  ['#/history', 'History', 'page-history'],
  ['#/bulk', 'Import / export', 'page-bulk'],
  ['#/users', 'Users', 'page-users'],
  ['#/tokens', 'Tokens', 'page-tokens'],
  ['#/audit', 'Audit log', 'page-audit'],
];

const CSP_MUST = ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "require-trusted-types-for 'script'"];

test('every page: CSP header sent and enforced, nosniff and a strict Referrer-Policy, no console error or warning, a screenshot each', async env => {
  const { admin } = env.users;
  await withPage(env, 'every-page', async page => {
    const docs = [];
    const ui = new Map();
    page.on('response', async r => {
      const u = new URL(r.url());
      if (r.request().resourceType() === 'document') docs.push(r.headers());
      if (!u.pathname.startsWith('/api/')) ui.set(u.origin + u.pathname, (await r.body().catch(() => Buffer.alloc(0))).length);
    });
    const requests = [];
    page.on('request', r => requests.push(r.url()));
    await page.goto('/');
    await page.getByLabel('User name').waitFor();
    await login(page, admin.name, admin.password);
    for (const [hash, heading, name] of PAGES) {
      await visit(page, hash, heading);
      await shot(page, name);
    }
    const bad = page.logs.filter(l => l.type === 'error' || l.type === 'warning');
    assert(!bad.length, `console errors or warnings:\n${bad.map(l => `${l.url}: ${l.type}: ${l.text}`).join('\n')}`);
    for (const h of docs) {
      const csp = h['content-security-policy'] || '';
      for (const d of CSP_MUST) assert(csp.includes(d), `CSP has ${d}: ${csp}`);
      assert(!/unsafe-inline|unsafe-eval|\*/.test(csp), `CSP allows no inline script, eval or wildcard: ${csp}`);
      eq(h['x-content-type-options'], 'nosniff', 'nosniff');
      eq(h['referrer-policy'], 'no-referrer', 'Referrer-Policy');
    }
    assert(docs.length >= 1, 'the document was loaded');
    const foreign = requests.filter(u => !u.startsWith(env.agent.url));
    eq(foreign, [], 'nothing is fetched from anywhere but the agent (no CDN)');
    env.loaded = ui;

    // The policy is enforced, not just sent: eval, inline script and HTML
    // sinks are refused by the browser itself.
    page.logs.length = 0;
    const r = await page.evaluate(() => new Promise(done => {
      const out = {};
      const s = document.createElement('script');
      try { s.textContent = 'window.__inline = 1'; } catch (e) { out.text = e.name; }
      document.body.append(s);
      try { document.createElement('div').innerHTML = '<img src=x>'; out.html = 'allowed'; } catch (e) { out.html = e.name; }
      const b = document.createElement('button');
      try { b.setAttribute('onclick', 'window.__handler = 1'); } catch (e) { out.attr = e.name; }
      document.body.append(b);
      b.click();
      b.remove();
      // Later, from the page's own event loop (DevTools lets code it runs
      // itself use eval, so the check must not run inside evaluate).
      setTimeout(() => {
        try { out.eval = String(eval('6 * 7')); } catch (e) { out.eval = e.name; }
        try { out.fn = String(new Function('return 1')()); } catch (e) { out.fn = e.name; }
        out.inline = typeof window.__inline;
        out.handler = typeof window.__handler;
        done(out);
      }, 0);
    }));
    eq(r, { text: 'TypeError', html: 'TypeError', attr: 'TypeError', eval: 'EvalError', fn: 'EvalError', inline: 'undefined', handler: 'undefined' },
      'eval, inline script, inline handlers and innerHTML are refused');
    assert(page.logs.some(l => /Content Security Policy|Trusted ?(Type|Script|HTML)/i.test(l.text)), 'the browser reported the refusals');
    page.logs.length = 0;
  });
});

test('the size budget: the files of web/ and everything the browser loaded for all pages fit in 200 KiB', async env => {
  let total = 0, files = 0;
  const walk = d => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else { total += statSync(p).size; files++; }
    }
  };
  walk(join(ROOT, 'web'));
  console.log(`# web/: ${files} files, ${total} bytes (budget ${BUDGET})`);
  assert(total <= BUDGET, `web/ is ${total} bytes, over the budget of ${BUDGET}`);
  assert(env.loaded && env.loaded.size > 5, 'the previous test recorded what the browser loaded');
  const loaded = [...env.loaded.values()].reduce((a, b) => a + b, 0);
  console.log(`# the browser loaded ${env.loaded.size} UI files, ${loaded} bytes, visiting every page`);
  assert(loaded > 0 && loaded <= BUDGET, `loaded ${loaded} bytes, over the budget of ${BUDGET}`);
});

// In the page: is the focused element the one named text (its label, its
// aria-label or its text)? Is it the input of the form field at path?
const NAMED = text => {
  const el = document.activeElement;
  const n = (el.labels && el.labels[0] ? el.labels[0].textContent : el.getAttribute('aria-label') || el.textContent || '').trim();
  return n === text;
};
const AT = p => {
  const b = document.activeElement.closest('[data-field]');
  return !!b && b.dataset.field === p && document.activeElement.matches('input, select');
};

// Press Tab until check(arg) holds in the page (at most 60 times).
async function tabTo(page, check, arg, key = 'Tab') {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press(key);
    if (await page.evaluate(check, arg)) return;
  }
  throw new Error(`Tab never reached ${arg}`);
}

test('keyboard only: log in, create a connection, delete it with the confirmation, move through the menu', async env => {
  const { op } = env.users;
  await withPage(env, 'keyboard', async page => {
    await page.goto('/');
    await page.getByLabel('User name').waitFor();
    assert(await page.evaluate(NAMED, 'User name'), 'the login form starts in the user name field');
    await page.keyboard.type(op.name);
    await page.keyboard.press('Tab');
    await page.keyboard.type(op.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();

    // Back from the content to the top: the skip link is first, and leads to the content.
    assert(await page.evaluate(() => document.activeElement.id === 'main'), 'after logging in the focus is on the content');
    await tabTo(page, NAMED, 'Skip to content', 'Shift+Tab');
    assert(await page.evaluate(() => document.querySelector('a[href], button, input, select') === document.activeElement), 'the skip link is the first focusable element');
    const box = await page.getByText('Skip to content').boundingBox();
    assert(box && box.x >= 0, 'the skip link is visible when focused');
    await page.keyboard.press('Enter');
    assert(await page.evaluate(() => document.activeElement.id === 'main'), 'Enter on it moves to the content');

    await tabTo(page, NAMED, 'New connection');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert(outline !== 'none', 'the focused link has a visible focus ring');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'New connection', level: 1 }).waitFor();
    assert(await page.evaluate(AT, 'name'), 'the editor starts in the Name field');
    await page.keyboard.type('kbd');
    await tabTo(page, AT, 'remote_addrs');
    await page.keyboard.type('192.0.2.40');
    await tabTo(page, AT, 'psk');
    await page.keyboard.type('dashkey');
    await tabTo(page, AT, 'children[0].name');
    await page.keyboard.type('lan');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
    const kbd = (await env.agent.api('GET', '/connections/kbd')).body;
    eq([kbd.remote_addrs, kbd.psk, kbd.children.map(c => c.name)], [['192.0.2.40'], 'dashkey', ['lan']], 'created from the keyboard');

    await tabTo(page, NAMED, 'kbd');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Connection kbd' }).waitFor();
    await tabTo(page, NAMED, 'Delete connection');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Delete kbd?' }).waitFor();
    assert(await page.evaluate(NAMED, 'Cancel'), 'the dialog opens on Cancel (a stray Enter destroys nothing)');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    eq((await env.agent.api('GET', '/connections/kbd')).status, 200, 'Escape cancels');
    await tabTo(page, NAMED, 'Delete connection');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    assert(await page.evaluate(NAMED, 'Delete'), 'Tab moves to Delete');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
    await poll(async () => (await env.agent.api('GET', '/connections/kbd')).status === 404, 'kbd to be deleted');

    await tabTo(page, NAMED, 'Secrets', 'Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Secrets', level: 1 }).waitFor();
  });
});

test('phone-sized screen (375×740): the menu folds, no page scrolls sideways, text stays readable', async env => {
  const { admin } = env.users;
  await asUser(env, 'admin', 'phone', async page => {
    const menu = page.getByRole('button', { name: 'Menu' });
    assert(await menu.isVisible(), 'a Menu button on a phone');
    assert(await page.getByRole('link', { name: 'Secrets' }).isHidden(), 'the menu starts folded');
    await menu.click();
    eq(await menu.getAttribute('aria-expanded'), 'true', 'the button says the menu is open');
    await shot(page, 'phone-menu');
    await page.getByRole('link', { name: 'Secrets' }).click();
    await page.getByRole('heading', { name: 'Secrets', level: 1 }).waitFor();
    assert(await page.getByRole('link', { name: 'Users' }).isHidden(), 'the menu folds again after choosing');
    for (const [hash, heading, name] of PAGES) {
      await visit(page, hash, heading);
      const m = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, w: window.innerWidth,
        font: parseFloat(getComputedStyle(document.querySelector('main')).fontSize) }));
      assert(m.sw <= m.w, `${hash}: the page is ${m.sw}px wide on a ${m.w}px screen`);
      assert(m.font >= 14, `${hash}: text of ${m.font}px`);
      await shot(page, `phone-${name.replace(/^page-/, '')}`);
    }
  }, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 });
});
