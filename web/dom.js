// SPDX-License-Identifier: MIT
// DOM building without markup strings: every piece of text from the API
// reaches the page as a text node (the CSP's Trusted Types rule would refuse
// innerHTML anyway), so a connection named "<img onerror=…>" stays a name.

const PROPS = new Set(['value', 'checked', 'selected', 'disabled', 'hidden', 'open']);

// h('button', {class: 'primary', onclick: fn}, 'Save') -> element
export function h(tag, attrs, ...kids) {
  return fill(document.createElement(tag), attrs, kids);
}

// s('polyline', {points: '…'}) -> SVG element
export function s(tag, attrs, ...kids) {
  return fill(document.createElementNS('http://www.w3.org/2000/svg', tag), attrs, kids);
}

function fill(el, attrs, kids) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k === 'class' && el instanceof SVGElement ? 'class' : k, v === true ? '' : String(v));
  }
  append(el, kids);
  return el;
}

export function append(el, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k == null || k === false) continue;
    el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return el;
}

export function clear(el, ...kids) {
  el.replaceChildren();
  return append(el, kids);
}

let uid = 0;

// A labelled form field whose errors appear next to it. path is the JSON path
// the API names in its problem errors ("children[0].remote_ts"); the input
// gets the label, a hint and an error slot wired through aria-describedby.
export function field(path, label, input, hint) {
  const id = `f${++uid}`;
  input.id = id;
  if (!input.name) input.name = path;
  const err = h('p', { class: 'err', id: `${id}-err`, 'aria-live': 'polite' });
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  input.setAttribute('aria-describedby', [hintEl && hintEl.id, err.id].filter(Boolean).join(' '));
  const isCheck = input.type === 'checkbox';
  const lab = h('label', { for: id }, label);
  return h('div', { class: isCheck ? 'field check' : 'field', 'data-field': path },
    isCheck ? [input, lab] : [lab, input], hintEl, err);
}

export function select(options, value) {
  return h('select', {}, options.map(o => {
    const [v, text] = Array.isArray(o) ? o : [o, o];
    return h('option', { value: v, selected: v === value }, text);
  }));
}

// The container of a field path: the exact path, else its list (x[3] -> x),
// else its parent object (a.b -> a), else null.
function fieldFor(form, path) {
  let p = path;
  while (p) {
    const el = form.querySelector(`[data-field="${CSS.escape(p)}"]`);
    if (el) return el;
    const cut = p.match(/^(.*)(\[\d+\]|\.[^.[\]]+)$/);
    if (!cut) break;
    p = cut[1];
  }
  return null;
}

// The input of a field box (a select may sit in a row with its buttons);
// for a group (a child's fieldset), its first input.
function control(box) {
  return box.querySelector(':scope > input, :scope > select, :scope > textarea, :scope > .inline > select') ||
    box.querySelector('input, select, textarea');
}

export function clearErrors(form) {
  for (const e of form.querySelectorAll('.err')) e.textContent = '';
  for (const e of form.querySelectorAll('[aria-invalid]')) e.removeAttribute('aria-invalid');
  const sum = form.querySelector('.form-err');
  if (sum) sum.replaceChildren();
}

// Show an API problem on a form: each errors[] entry next to its field
// (the list index named when the field is a list), the rest in the summary
// at the top. Focuses the first field in error. Returns the count placed.
export function showProblem(form, problem) {
  clearErrors(form);
  const sum = form.querySelector('.form-err');
  const loose = [];
  let first = null, placed = 0;
  for (const e of (problem && problem.errors) || []) {
    const box = e.field ? fieldFor(form, e.field) : null;
    if (!box) { loose.push(e.field ? `${e.field}: ${e.message}` : e.message); continue; }
    const own = box.getAttribute('data-field');
    const idx = e.field.slice(own.length).match(/^\[(\d+)\]/);
    const rest = e.field.slice(own.length);
    const msg = rest ? (idx && rest === idx[0] ? `entry ${+idx[1] + 1}: ${e.message}` : `${rest.replace(/^\./, '')}: ${e.message}`) : e.message;
    const err = box.querySelector(':scope > .err');
    err.textContent = err.textContent ? `${err.textContent}; ${msg}` : msg;
    const input = control(box);
    if (input) input.setAttribute('aria-invalid', 'true');
    first = first || input;
    placed++;
  }
  if (sum) {
    const title = (problem && (problem.detail || problem.title)) || 'The request failed';
    append(sum, [h('strong', {}, title), loose.length ? h('ul', {}, loose.map(t => h('li', {}, t))) : null]);
    sum.setAttribute('role', 'alert');
  }
  if (first) first.focus();
  else if (sum) { sum.tabIndex = -1; sum.focus(); }
  return placed;
}

// Check the inputs of a form against their HTML constraints and the extra
// checks given (path -> fn(value) -> message|null); errors go next to the
// fields like the API's. True when all is well.
export function checkForm(form, extra = {}) {
  const errors = [];
  for (const box of form.querySelectorAll('.field[data-field]')) {
    const input = control(box);
    if (!input || input.disabled) continue;
    const path = box.getAttribute('data-field');
    let msg = input.validity && !input.validity.valid ? input.validationMessage : null;
    if (!msg && extra[path]) msg = extra[path](input.type === 'checkbox' ? input.checked : input.value);
    if (msg) errors.push({ field: path, message: msg });
  }
  if (!errors.length) { clearErrors(form); return true; }
  showProblem(form, { detail: `${errors.length} field${errors.length > 1 ? 's need' : ' needs'} attention`, errors });
  return false;
}

// A modal confirmation; resolves true when the action button is chosen.
// Escape and Cancel resolve false. The cancel button has the focus, so a
// stray Enter never destroys anything.
export function confirmDialog(title, text, action = 'Delete', kind = 'danger') {
  return new Promise(resolve => {
    const cancel = h('button', { type: 'button', onclick: () => dlg.close('cancel') }, 'Cancel');
    const ok = h('button', { type: 'button', class: kind, onclick: () => dlg.close('ok') }, action);
    const dlg = h('dialog', { 'aria-labelledby': 'dlg-title', class: 'confirm' },
      h('h2', { id: 'dlg-title' }, title), h('p', {}, text), h('div', { class: 'actions-row' }, cancel, ok));
    dlg.addEventListener('close', () => { dlg.remove(); resolve(dlg.returnValue === 'ok'); });
    document.body.append(dlg);
    dlg.showModal();
    cancel.focus();
  });
}

export function toast(text, bad = false) {
  const box = document.getElementById('toast');
  const p = h('p', { class: bad ? 'bad' : '' }, text);
  box.append(p);
  setTimeout(() => p.remove(), bad ? 8000 : 4000);
}

// The text of an error for a toast: the problem's detail, or its title.
export function problemText(err) {
  const p = err && err.problem;
  if (p && typeof p === 'object') return p.detail || p.title || `HTTP ${err.status}`;
  return (err && err.message) || String(err);
}

export function fmtTime(t) {
  if (t == null) return '—';
  const d = new Date(t * 1000);
  const pad = n => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtBytes(n) {
  if (n == null) return '—';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(n < 10 ? 1 : 0) : Math.round(n)} ${u[i]}`;
}

// Text lists as the API wants them: "a, b c" -> ["a", "b", "c"].
export function splitList(text) {
  return text.split(/[\s,]+/).map(x => x.trim()).filter(Boolean);
}

// A table whose cells carry their column name, so phones can show each row
// as a card (style.css). cols: [[label, fn(row) -> content, class?]].
export function table(cols, rows, label) {
  return h('table', { class: 'rows', 'aria-label': label },
    h('thead', {}, h('tr', {}, cols.map(c => h('th', { scope: 'col' }, c[0])))),
    h('tbody', {}, rows.map(r => h('tr', {}, cols.map(c => h('td', { 'data-label': c[0], class: c[2] }, c[1](r)))))));
}
