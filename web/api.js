// SPDX-License-Identifier: MIT
// The one way the UI talks to the agent: /api/v1 with the session cookie,
// the CSRF header on every change, problem+json turned into ApiError.

export const API = '/api/v1';

let csrf = '';
let onEnded = () => {};

export function setCsrf(token) { csrf = token || ''; }
// fn(problem) runs when a request comes back 401: the session is gone.
export function onSessionEnded(fn) { onEnded = fn; }

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem && typeof problem === 'object' ? problem : { title: `HTTP ${status}`, detail: String(problem || '') };
  }
}

// api('PUT', '/connections/hq', doc, {ifMatch, query, type}) -> {status, data, etag, headers}
export async function api(method, path, body, opt = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf;
  if (opt.ifMatch) headers['If-Match'] = opt.ifMatch;
  if (opt.comment) headers['X-Secgw-Comment'] = opt.comment;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = opt.type || 'application/json';
    payload = typeof body === 'string' || body instanceof Blob ? body : JSON.stringify(body);
  }
  const q = opt.query ? '?' + new URLSearchParams(Object.entries(opt.query).filter(([, v]) => v != null && v !== '')) : '';
  let res;
  try {
    res = await fetch(API + path + (q === '?' ? '' : q), { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, { title: 'Cannot reach the agent', detail: `cannot reach the agent (${e.message})` });
  }
  let data = null;
  if (res.status !== 204 && res.status !== 304 && method !== 'HEAD') {
    const text = await res.text();
    const ct = res.headers.get('Content-Type') || '';
    data = text && ct.includes('json') ? JSON.parse(text) : text;
  }
  if (res.status === 401 && !opt.login) onEnded(data);
  if (!res.ok && res.status !== 304) throw new ApiError(res.status, data);
  return { status: res.status, data, etag: res.headers.get('ETag'), headers: res.headers };
}

// Every item of a paginated list (GET /connections, /secrets).
export async function listAll(path, query = {}) {
  const items = [];
  let cursor = null, revision = null;
  do {
    const r = await api('GET', path, undefined, { query: { ...query, limit: 1000, cursor } });
    items.push(...r.data.items);
    cursor = r.data.next_cursor;
    revision = r.data.revision;
  } while (cursor);
  return { items, revision };
}

export const enc = encodeURIComponent;

// Does this agent have a route? (Read once from its OpenAPI document, so a
// page can say plainly what the agent it talks to cannot do yet.)
let routesDoc = null;
export async function hasRoute(path) {
  if (!routesDoc) routesDoc = api('GET', '/openapi.json').then(r => r.data.paths || {}, () => ({}));
  return path in await routesDoc;
}
