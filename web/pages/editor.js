// SPDX-License-Identifier: MIT
// The connection editor: a connection and its children, with the fields and
// limits of docs/config.md. The browser checks what it can (names, numbers,
// list lengths); the agent checks everything and its errors land next to the
// fields they name. Pre-shared keys are picked from the stored secrets by
// name; a new one is typed into a write-only field and never shown again.
import { api, listAll, enc, hasRoute } from '../api.js';
import { confirmBanner } from '../confirm.js';
import { h, clear, field, select, showProblem, checkForm, confirmDialog, toast, problemText, splitList } from '../dom.js';

const NAME = { pattern: '[A-Za-z0-9_.\\-]{1,64}', maxlength: 64, title: '1 to 64 of A-Z a-z 0-9 _ . -' };
const secs = (min, max) => v => (v === '' || +v === 0 || (+v >= min && +v <= max) ? null : `0 (never) or ${min} to ${max} seconds`);
const count = (min, max, what) => v => {
  const n = splitList(v).length;
  return v.trim() === '' || (n >= min && n <= max) ? null : `${min} to ${max} ${what}`;
};

// [key, label, kind, options, hint, check]; kind: text, int, list, check,
// select (options: values or [value, label]), psk, key (secret selects).
// ike: only for IKE keying; manual: only for manual keying.
const CONN = [
  ['name', 'Name', 'text', { required: true, ...NAME }, 'Letters, digits, _ . - (the key: it cannot change later)'],
  ['enabled', 'Enabled (loaded into the engine)', 'check'],
  ['keying', 'Keying', 'select', [['ike', 'IKEv2'], ['manual', 'manual keys']]],
  ['datapath', 'Datapath', 'select', [['user', 'user (userspace ESP)'], ['kmod', 'kmod (secgw_esp.ko)'], ['xfrm', 'xfrm (Linux IPsec)']]],
  ['local_addrs', 'Local addresses', 'list', { placeholder: '%any' }, 'IPv4/IPv6 addresses, %any, %any4, %any6 or prefixes; commas between', count(1, 8, 'addresses')],
  ['remote_addrs', 'Remote addresses', 'list', { placeholder: '%any' }, 'An initiator needs a plain address first', count(1, 8, 'addresses')],
  ['local_port', 'Local IKE port', 'int', { min: 1, max: 65535, placeholder: '500' }],
  ['remote_port', 'Remote IKE port', 'int', { min: 1, max: 65535, placeholder: '500' }],
  ['local_id', 'Local identity', 'text', { maxlength: 255, placeholder: 'the local IP address', ike: true }, 'IP, user@example.com, @fqdn or @#keyid'],
  ['remote_id', 'Remote identity', 'text', { maxlength: 255, placeholder: '%any', ike: true }, '%any accepts any identity'],
  ['auth', 'Authentication', 'select', [['psk', 'pre-shared key'], ['pubkey', 'public key (not supported yet)']], null, null, { ike: true }],
  ['psk', 'Pre-shared key (secret)', 'psk', { ike: true }],
  ['ike_proposals', 'IKE proposals', 'list', { placeholder: 'chacha20poly1305-prfsha256-x25519, aes256gcm16-prfsha256-x25519', ike: true }, 'In order of preference, e.g. aes256gcm16-prfsha256-x25519', count(1, 8, 'proposals')],
  ['rekey_time', 'IKE rekey time (s)', 'int', { min: 0, max: 31536000, placeholder: '14400', ike: true }, null, secs(60, 31536000)],
  ['dpd_delay', 'Dead peer detection every (s)', 'int', { min: 0, max: 3600, placeholder: '30', ike: true }, '0 turns it off'],
  ['dpd_action', 'When the peer is dead', 'select', ['clear', 'restart'], null, null, { ike: true }],
  ['nat_t', 'NAT traversal', 'select', ['auto', 'force', 'off']],
];
const CHILD = [
  ['name', 'Name', 'text', { required: true, ...NAME }],
  ['mode', 'Mode', 'select', ['tunnel', 'transport']],
  ['protocol', 'Protocol', 'select', [['esp', 'ESP'], ['ah', 'AH (not supported yet)']]],
  ['local_ts', 'Local traffic selectors', 'list', { placeholder: 'dynamic' }, 'e.g. 10.1.0.0/24, 10.1.1.0/24[tcp/443]', count(1, 16, 'selectors')],
  ['remote_ts', 'Remote traffic selectors', 'list', { placeholder: 'dynamic' }, null, count(1, 16, 'selectors')],
  ['esp_proposals', 'ESP proposals', 'list', { placeholder: 'chacha20poly1305, aes256gcm16' }, null, count(1, 8, 'proposals')],
  ['start_action', 'Start', 'select', [['none', 'none (wait)'], ['trap', 'trap (on first packet)'], ['start', 'start (when loaded)']]],
  ['rekey_time', 'Rekey time (s)', 'int', { min: 0, max: 31536000, placeholder: '3600' }, null, secs(60, 31536000)],
  ['life_bytes', 'Byte limit', 'int', { min: 0, max: Number.MAX_SAFE_INTEGER, placeholder: '0 (none)' }],
  ['life_packets', 'Packet limit', 'int', { min: 0, max: Number.MAX_SAFE_INTEGER, placeholder: '0 (none)' }],
  ['replay_window', 'Replay window', 'int', { min: 32, max: 4096, placeholder: '128' }],
];
const MANUAL = [
  ['spi_in', 'Inbound SPI', 'int', { min: 256, max: 4294967295, required: true }, 'The SPI this side receives on'],
  ['spi_out', 'Outbound SPI', 'int', { min: 256, max: 4294967295, required: true }, "The peer's inbound SPI"],
  ['key_in', 'Inbound key (secret)', 'key'],
  ['key_out', 'Outbound key (secret)', 'key'],
];

export default async function editor(main, ctx) {
  const name = ctx.params.name;
  const editable = ctx.can('operator');
  let doc = {}, etag = null;
  if (name) {
    const r = await api('GET', `/connections/${enc(name)}`);
    doc = r.data;
    etag = r.etag;
  }
  // Secret names for the selects (operators and admins may list them).
  let secrets = [];
  if (editable) secrets = (await listAll('/secrets')).items;
  const names = type => secrets.filter(x => x.type === type).map(x => x.name);

  const inputs = new Map();	// path -> [spec, element]
  const form = h('form', { novalidate: true, 'aria-labelledby': 'ed-title' });
  const summary = h('div', { class: 'form-err' });
  const connBox = h('div', { class: 'grid' });
  const kidsBox = h('div', {});
  // A new connection starts with one child: without one no traffic is protected.
  let kids = name ? (doc.children || []).map(c => ({ ...c })) : [{}];

  function input(path, spec, value) {
    const [, label, kind, opt = {}, hint] = spec;
    let el;
    if (kind === 'check') el = h('input', { type: 'checkbox', checked: value !== false });
    else if (kind === 'select') el = select(opt, value == null ? (Array.isArray(opt[0]) ? opt[0][0] : opt[0]) : value);
    else if (kind === 'psk' || kind === 'key') {
      const list = names(kind);
      if (value && !list.includes(value)) list.unshift(value);
      el = select([['', list.length ? '— choose a stored secret —' : '— no stored secret yet —'], ...list], value || '');
    } else {
      el = h('input', { type: kind === 'int' ? 'number' : 'text', inputmode: kind === 'int' ? 'numeric' : null,
        autocomplete: 'off', spellcheck: 'false', value: value == null ? '' : kind === 'list' ? value.join(', ') : String(value) });
      for (const a of ['min', 'max', 'pattern', 'maxlength', 'placeholder', 'title', 'required'])
        if (opt[a] != null) el.setAttribute(a, opt[a] === true ? '' : opt[a]);
      if (kind === 'int') el.step = 1;
    }
    el.disabled = !editable;
    inputs.set(path, [spec, el]);
    let box = field(path, label, el, hint);
    if ((kind === 'psk' || kind === 'key') && editable) {
      // The select and its "new" button share one row; the error slot stays under both.
      const row = h('div', { class: 'inline' }, el, h('button', { type: 'button', onclick: () => newSecret(kind, el) }, kind === 'psk' ? 'New PSK…' : 'New key…'));
      box.insertBefore(row, box.querySelector('.hint, .err'));
    }
    if ((opt.ike || spec[6]?.ike)) box.dataset.ike = '1';
    return box;
  }

  function read(path) {
    const [spec, el] = inputs.get(path);
    const kind = spec[2];
    if (kind === 'check') return el.checked;
    if (kind === 'list') return el.value.trim() === '' ? undefined : splitList(el.value);
    if (kind === 'int') return el.value === '' ? undefined : Number(el.value);
    return el.value === '' ? undefined : el.value;
  }

  function renderConn() {
    clear(connBox, CONN.map(spec => input(spec[0], spec, doc[spec[0]])));
    if (name) {
      const n = inputs.get('name')[1];
      n.readOnly = true;
    }
    inputs.get('keying')[1].addEventListener('change', showKeying);
  }

  // Keep what was typed before the children are drawn again.
  function syncKids() {
    kids = kids.map((k, i) => (inputs.has(`children[${i}].name`) ? readChild(i) : k));
  }

  function renderKids() {
    for (const p of [...inputs.keys()]) if (p.startsWith('children[')) inputs.delete(p);
    clear(kidsBox, kids.map((k, i) => {
      const base = `children[${i}]`;
      const manual = h('div', { class: 'grid manual' }, MANUAL.map(spec => input(`${base}.manual.${spec[0]}`, spec, (k.manual || {})[spec[0]])));
      return h('fieldset', { 'data-field': base },
        h('legend', {}, `Child SA ${i + 1}${k.name ? `: ${k.name}` : ''}`),
        h('div', { class: 'grid' }, CHILD.map(spec => input(`${base}.${spec[0]}`, spec, k[spec[0]]))),
        h('div', { class: 'manual-box' }, h('h3', { class: 'hint' }, 'Manual keys'), manual),
        h('p', { class: 'err' }),
        editable ? h('button', { type: 'button', class: 'small', onclick: () => { syncKids(); kids.splice(i, 1); renderKids(); } }, `Remove child ${k.name || i + 1}`) : null);
    }));
    showKeying();
  }

  function readChild(i) {
    const base = `children[${i}]`, c = {};
    for (const spec of CHILD) { const v = read(`${base}.${spec[0]}`); if (v !== undefined) c[spec[0]] = v; }
    if (read('keying') === 'manual') {
      c.manual = {};
      for (const spec of MANUAL) { const v = read(`${base}.manual.${spec[0]}`); if (v !== undefined) c.manual[spec[0]] = v; }
    }
    return c;
  }

  function showKeying() {
    const manual = read('keying') === 'manual';
    for (const el of connBox.querySelectorAll('[data-ike]')) el.hidden = manual;
    for (const el of kidsBox.querySelectorAll('.manual-box')) el.hidden = !manual;
    // Hidden fields are neither checked nor sent (the agent's defaults apply).
    if (editable) for (const [, [, el]] of inputs) el.disabled = !!el.closest('[hidden]');
  }

  function collect() {
    const c = {};
    for (const spec of CONN) {
      const [, el] = inputs.get(spec[0]);
      if (el.disabled) continue;
      const v = read(spec[0]);
      if (v !== undefined) c[spec[0]] = v;
    }
    c.children = kids.map((_, i) => readChild(i));
    return c;
  }

  async function newSecret(type, sel) {
    const nm = h('input', { type: 'text', required: true, ...NAME, autocomplete: 'off' });
    const val = h('input', { type: 'password', required: true, autocomplete: 'new-password', minlength: type === 'psk' ? 8 : null, maxlength: type === 'psk' ? 256 : null });
    const f = h('form', { novalidate: true, method: 'dialog' }, h('h2', {}, type === 'psk' ? 'New pre-shared key' : 'New key'),
      h('div', { class: 'form-err' }), field('name', 'Secret name', nm),
      field('value', type === 'psk' ? 'Pre-shared key (8 to 256 characters)' : 'Key (72 hex digits: key and salt)', val, 'Write-only: it is stored encrypted and never shown again'),
      h('div', { class: 'actions-row' }, h('button', { type: 'button', onclick: () => dlg.close() }, 'Cancel'), h('button', { type: 'submit', class: 'primary' }, 'Store secret')));
    const dlg = h('dialog', { 'aria-label': 'New secret' }, f);
    dlg.addEventListener('close', () => { val.value = ''; dlg.remove(); });
    f.addEventListener('submit', async e => {
      e.preventDefault();
      if (!checkForm(f)) return;
      try {
        await api('PUT', `/secrets/${enc(nm.value)}`, { type, value: val.value });
        val.value = '';
        secrets.push({ name: nm.value, type });
        if (![...sel.options].some(o => o.value === nm.value)) sel.append(h('option', { value: nm.value }, nm.value));
        sel.value = nm.value;
        dlg.close();
        toast(`Stored the secret ${nm.value}`);
        sel.focus();
      } catch (err) {
        showProblem(f, err.problem);
      }
    });
    document.body.append(dlg);
    dlg.showModal();
    nm.focus();
  }

  const comment = h('input', { type: 'text', maxlength: 256, autocomplete: 'off' });
  // Commit-confirmed (when the agent has it): the change is reverted unless confirmed in time.
  const trial = editable && await hasRoute('/commit/confirm')
    ? h('input', { type: 'number', min: 1, max: 86400, step: 1, placeholder: 'no trial', inputmode: 'numeric' }) : null;
  const opts = () => ({ comment: comment.value || null, query: { confirm: trial && trial.value ? trial.value : null } });
  const save = h('button', { type: 'submit', class: 'primary' }, name ? 'Save changes' : 'Create connection');
  const del = name && editable ? h('button', { type: 'button', class: 'danger', onclick: remove }, 'Delete connection') : null;

  async function remove() {
    const n = (doc.children || []).length;
    if (!await confirmDialog(`Delete ${name}?`, `The connection${n ? ` and its ${n} child SA${n > 1 ? 's' : ''}` : ''} will be removed and its tunnels torn down. History keeps the old version.`)) return;
    try {
      await api('DELETE', `/connections/${enc(name)}`, undefined, { ...opts(), ifMatch: etag });
      toast(`Deleted ${name}`);
      if (trial && trial.value) confirmBanner.refresh();
      ctx.go('#/');
    } catch (e) {
      showProblem(form, e.problem);
    }
  }

  form.addEventListener('submit', async e => {
    e.preventDefault();
    const extra = {};
    for (const [path, [spec]] of inputs) if (spec[5]) extra[path] = spec[5];
    if (!checkForm(form, extra)) return;
    const body = collect();
    save.disabled = true;
    try {
      const r = name ? await api('PUT', `/connections/${enc(name)}`, body, { ...opts(), ifMatch: etag })
        : await api('POST', '/connections', body, opts());
      toast(`${name ? 'Saved' : 'Created'} ${body.name}${r.etag ? ` (revision ${r.etag.replace(/\D/g, '')})` : ''}`);
      if (trial && trial.value) confirmBanner.refresh();
      ctx.go('#/');
    } catch (err) {
      save.disabled = false;
      if (err.status === 412) {
        showProblem(form, { detail: 'Someone changed this connection since you opened it. Reload to see the current version (your edits here are not saved).' });
        summary.append(h('p', {}, h('button', { type: 'button', onclick: () => ctx.go(location.hash) }, 'Reload')));
      } else {
        showProblem(form, err.problem);
      }
    }
  });

  // Someone else changed (or deleted) this connection meanwhile: say so now,
  // not only when saving is refused.
  const notice = h('div', { 'aria-live': 'polite' });
  if (name)
    ctx.on('revision', ev => {
      if (ev.target !== name || !etag || ev.revision <= Number(etag.replace(/\D/g, ''))) return;
      clear(notice, h('div', { class: 'banner warn', role: 'status' },
        h('p', {}, `${ev.author || 'Someone'} changed this connection (${ev.action}, revision ${ev.revision}) after you opened it. Saving will be refused; reload to see their version.`),
        h('button', { type: 'button', onclick: () => ctx.go(location.hash) }, 'Reload')));
    });

  renderConn();
  renderKids();
  append(form, [
    h('div', { class: 'bar' }, h('h1', { id: 'ed-title' }, name ? `Connection ${name}` : 'New connection'),
      h('a', { href: '#/' }, 'Back to the dashboard')),
    editable ? null : h('p', { class: 'banner info' }, `Read-only: your role (${ctx.session.role}) cannot change connections.`),
    notice,
    summary,
    h('fieldset', {}, h('legend', {}, 'Connection'), connBox),
    h('h2', {}, 'Child SAs'),
    kidsBox,
    editable ? h('p', {}, h('button', { type: 'button', onclick: () => { syncKids(); kids.push({}); renderKids(); form.querySelector(`[data-field="children[${kids.length - 1}].name"] input`).focus(); } }, 'Add child SA')) : null,
    editable ? h('fieldset', {}, h('legend', {}, 'Apply'),
      field('comment', 'Comment for the history (optional)', comment),
      trial ? field('confirm', 'Apply on trial: revert unless confirmed within (seconds)', trial, 'Empty: the change stays without confirmation. A banner counts down with a Confirm button.') : null,
      h('div', { class: 'actions-row' }, save, del)) : null,
  ]);
  main.append(form);
  (name ? null : inputs.get('name')[1])?.focus();
}

function append(el, kids) {
  for (const k of kids) if (k) el.append(k);
}
