// snare-web's page: the flow list, filter and highlight, the detail view,
// export and import, the event log and the WireGuard page, all from the ui
// role's API (docs/web-api.md).  Plain JavaScript, no build step.
// Trust: everything the server sends (flow data above all) is shown with
// textContent or as data: URLs, never parsed as markup.
'use strict';

const ROW_H = 22;           // px; the list's rows all have this height
const OVERSCAN = 20;        // rows fetched above and below the visible ones
const SCAN_POLL_MS = 100;   // a filter still being matched is asked about again after this
const RESORT_MS = 1000;     // live flows refresh a list sorted by another column after this
const MAX_TEXT = 1 << 20;   // bytes of a body shown as text
const MAX_HEX = 64 << 10;   // bytes of a body shown as hex
const LEVELS = ['debug', 'info', 'warn', 'error'];

const $ = (id) => document.getElementById(id);

// el('div', {class: 'x'}, child, 'text', ...): an element; strings become text.
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined) continue;
    e.append(k instanceof Node ? k : String(k));
  }
  return e;
}

const state = {
  csrf: '', info: null,
  filter: '', highlight: '', sort: 'seq', order: 'asc',
  total: 0, offset: 0, rows: [],  // the window of summaries the server gave
  maxSeq: 0, selected: new Set(), current: null, detailTab: 'request',
  hlCache: new Map(),             // id -> bool for the current highlight
  follow: true, dropped: 0, ws: null, wsUp: false,
  seenTop: 0,                     // the list's scrollTop when follow was last decided
  asking: false,                  // a new filter or sort is on its way
  scanning: null,                 // {scanned}: the filter's matches are still being counted
};

// ---- HTTP helpers

async function api(path, opts = {}) {
  const o = { credentials: 'same-origin', ...opts, headers: { ...(opts.headers || {}) } };
  if (o.method && o.method !== 'GET') o.headers['X-CSRF-Token'] = state.csrf;
  const r = await fetch(path, o);
  return r;
}

async function apiJSON(path, opts) {
  const r = await api(path, opts);
  let body = null;
  const text = await r.text();
  try { body = JSON.parse(text); } catch (_) { body = { error: text.trim() }; }
  if (!r.ok) {
    const e = new Error((body && body.error) || `${r.status} ${r.statusText}`);
    e.status = r.status;
    throw e;
  }
  return body;
}

const q = (o) => Object.entries(o).filter(([, v]) => v !== '' && v !== null && v !== undefined)
  .map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');

// ---- formatting

function fmtSize(n) {
  if (n === null || n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}
function fmtMs(ms) {
  if (ms === null || ms === undefined) return '';
  return ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
function fmtTime(ts) {
  if (!ts) return '';
  const d = new Date(ts * 1000);
  return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}
function flowTarget(f) {
  if (f.type === 'dns') return f.dns_name || f.server || '';
  if (f.type === 'tcp' || f.type === 'udp') return f.server || (f.host ? `${f.host}:${f.port}` : '');
  return f.url || (f.host ? `${f.host}${f.path || ''}` : '');
}
// The Type column: the body's media type for HTTP ("application/" left
// out), else the flow's type.
function flowType(f) {
  if (f.type !== 'http') return f.type;
  return (f.content_type || '').split(';')[0].trim().replace(/^application\//, '') || 'http';
}
function fmtProcess(p) { return p ? `${p.name || '?'}${p.pid ? ` (${p.pid})` : ''}` : ''; }

// ---- the flow list: columns, virtual scrolling, live updates

const COLUMNS = [
  { key: 'seq', title: '#', cls: 'c-seq', val: (f) => f.seq },
  { key: 'method', title: 'Method', cls: 'c-method', val: (f) => f.method || f.type.toUpperCase() },
  { key: 'url', title: 'URL / host', cls: 'c-url', val: flowTarget },
  { key: 'status', title: 'Status', cls: 'c-status', val: (f) => f.error ? 'error' : (f.status ?? '') },
  { key: 'resp_size', title: 'Size', cls: 'c-size', val: (f) => fmtSize((f.req_size || 0) + (f.resp_size || 0)) },
  { key: 'duration_ms', title: 'Time', cls: 'c-time', val: (f) => fmtMs(f.duration_ms) },
  { key: 'type', title: 'Type', cls: 'c-type', val: flowType },
  { key: 'process', title: 'Process', cls: 'c-proc', val: (f) => fmtProcess(f.process) },
];

function renderHead() {
  const head = $('list-head');
  head.replaceChildren(...COLUMNS.map((c) => el('span', {
    class: `cell ${c.cls}${state.sort === c.key ? ` sorted ${state.order}` : ''}`,
    'data-sort': c.key, title: `sort by ${c.title}`,
    onclick: () => setSort(c.key),
  }, c.title)));
}

function setSort(key) {
  if (state.sort === key) state.order = state.order === 'asc' ? 'desc' : 'asc';
  else { state.sort = key; state.order = 'asc'; }
  saveHash();
  renderHead();
  reloadList(true);
}

function visibleRange() {
  const sc = $('list-scroll');
  const first = Math.floor(sc.scrollTop / ROW_H);
  const n = Math.ceil(sc.clientHeight / ROW_H) + 1;
  return [first, n];
}

// Whether the window of rows held covers the visible ones.
function holdsVisible() {
  const [first, n] = visibleRange();
  return state.offset <= first && Math.min(first + n, state.total) <= state.offset + state.rows.length;
}

let fetchSerial = 0, fetchTimer = 0, fetchPending = false;

// Asks the server for the rows around the visible ones (the page never holds more).
async function fetchWindow() {
  const [first, n] = visibleRange();
  const offset = Math.max(0, first - OVERSCAN);
  const limit = n + 2 * OVERSCAN;
  const my = ++fetchSerial;
  const asked = { filter: state.filter, sort: state.sort, order: state.order };
  // An answer for a filter or sort that changed meanwhile is dropped: the
  // fetch queued by that change follows (scheduleFetch), and a stale total
  // must not show as "N flows match".
  const stale = () => my !== fetchSerial || asked.filter !== state.filter ||
    asked.sort !== state.sort || asked.order !== state.order;
  try {
    const r = await apiJSON('/api/flows?' + q({ ...asked, offset, limit }));
    if (stale()) return;
    state.total = r.total;
    state.asking = false;
    state.offset = r.offset ?? offset;
    state.rows = r.flows || [];
    for (const f of state.rows) state.maxSeq = Math.max(state.maxSeq, f.seq || 0);
    // A filter still being matched (docs/web-api.md): the rows found so far
    // now, the count when the server has matched every flow; asked again soon.
    state.scanning = r.complete === false ? { scanned: r.scanned || 0 } : null;
    if (state.scanning) scheduleFetch(SCAN_POLL_MS);
    // The list may have scrolled while this was asked, back to rows that were
    // held then (so the scroll asked for nothing): ask for the visible ones.
    else if (listShown() && !holdsVisible()) scheduleFetch(30);
    showFilterError('');
    renderList();
  } catch (e) {
    if (stale()) return;
    state.asking = false;
    showFilterError(e.message);
    renderList();
  }
}

// At most one window fetch in flight; further asks coalesce into one more.
function scheduleFetch(delay = 0) {
  if (fetchTimer) { fetchPending = true; return; }
  fetchTimer = setTimeout(async () => {
    await fetchWindow();
    fetchTimer = 0;
    if (fetchPending) { fetchPending = false; scheduleFetch(150); }
  }, delay);
}

function reloadList(asking) {
  if (asking) { state.asking = true; renderCount(); }
  state.hlCache.clear();
  scheduleFetch(0);
}

function renderCount() {
  $('list-count').textContent = state.asking ? (state.filter ? 'filtering…' : 'sorting…') :
    state.scanning ? `filtering… ${state.total} found in ${state.scanning.scanned} flows` :
    `${state.total} flow${state.total === 1 ? '' : 's'}` + (state.filter ? ' match' : '') +
    (state.dropped ? ` · ${state.dropped} updates dropped` : '');
}

// Whether the list keeps to its newest rows: decided where the user scrolled
// to (onScroll), or here for a scroll whose event has not come yet, so that a
// render in between does not take the list back to the end.
function updateFollow() {
  const sc = $('list-scroll');
  state.follow = sc.scrollTop + sc.clientHeight >= state.total * ROW_H - ROW_H;
  state.seenTop = sc.scrollTop;
}

// A hidden list (another tab shown) reads 0 for its scroll position and
// height: nothing about following or fetching is decided from those.
function listShown() {
  return $('list-scroll').clientHeight > 0;
}

function renderList() {
  const sc = $('list-scroll');
  if (listShown() && sc.scrollTop !== state.seenTop) updateFollow();
  $('list-spacer').style.height = `${state.total * ROW_H}px`;
  $('list-head').style.paddingRight = `${sc.offsetWidth - sc.clientWidth}px`;
  const [first, n] = visibleRange();
  const rows = [];
  for (let i = first; i < Math.min(first + n, state.total); i++) {
    const f = state.rows[i - state.offset];
    rows.push(f ? flowRow(f, i) : el('div', { class: 'row loading', style: `top:${i * ROW_H}px` }, '…'));
  }
  $('list-rows').replaceChildren(...rows);
  $('list').classList.toggle('no-proc', !state.rows.some((f) => f.process));
  renderCount();
  if (state.highlight) fillHighlights();
  // Following the newest waits for the count: while a filter is still being
  // matched, the page shows the first matches, at the top.
  if (state.follow && listShown() && !state.scanning && state.order === 'asc' && state.sort === 'seq') {
    const bottom = state.total * ROW_H - sc.clientHeight;
    if (bottom > sc.scrollTop + 1) sc.scrollTop = bottom;
    state.seenTop = sc.scrollTop;
  }
}

function flowRow(f, i) {
  const cls = ['row'];
  if (state.selected.has(f.id)) cls.push('selected');
  if (state.current === f.id) cls.push('current');
  if (f.marked) cls.push('marked');
  if (f.is_replay) cls.push(`replay-${f.is_replay}`);
  if (f.error) cls.push('failed');
  if (state.highlight && state.hlCache.get(f.id)) cls.push('highlighted');
  if (f.status >= 400) cls.push('status-err');
  if (f.intercepted) cls.push('intercepted');  // held by intercept (intercept.js)
  return el('div', {
    class: cls.join(' '), style: `top:${i * ROW_H}px`, 'data-id': f.id, 'data-seq': f.seq, 'data-index': i,
    onclick: (ev) => rowClick(ev, f),
  }, COLUMNS.map((c) => el('span', { class: `cell ${c.cls}`, title: c.key === 'url' ? flowTarget(f) : c.key === 'process' ? fmtProcess(f.process) || null : null }, c.val(f))));
}

function rowClick(ev, f) {
  if (ev.ctrlKey || ev.metaKey) {
    if (state.selected.has(f.id)) state.selected.delete(f.id); else state.selected.add(f.id);
  } else {
    state.selected = new Set([f.id]);
    openDetail(f.id);
  }
  updateExportLinks();
  renderList();
}

// Highlight: the server decides which of the visible rows match (one
// /api/filter/match each, cached per flow until it changes).
async function fillHighlights() {
  const expr = state.highlight;
  const [first, n] = visibleRange();
  const todo = state.rows.slice(Math.max(0, first - state.offset), first - state.offset + n)
    .filter((f) => !state.hlCache.has(f.id));
  if (!todo.length) return;
  for (const f of todo) state.hlCache.set(f.id, false);  // asked once
  await Promise.all(todo.map(async (f) => {
    try {
      const r = await apiJSON('/api/filter/match?' + q({ q: expr, id: f.id }));
      if (expr === state.highlight) state.hlCache.set(f.id, !!r.match);
    } catch (_) { /* stays unhighlighted */ }
  }));
  if (expr === state.highlight) {
    for (const row of $('list-rows').children)
      row.classList.toggle('highlighted', !!state.hlCache.get(row.dataset.id));
  }
}

// A pushed summary: new flows grow the list, changed ones update in place.
// With a filter, a new flow is asked about (/api/filter/match) while few
// such questions are open; under a burst the list is simply fetched again.
let matchesOpen = 0;
async function onFlowPush(f) {
  const idx = state.rows.findIndex((r) => r.id === f.id);
  state.hlCache.delete(f.id);
  if (idx >= 0) {
    state.rows[idx] = f;
    renderList();
    if (state.current === f.id) openDetail(f.id, true);
    return;
  }
  const isNew = f.seq > state.maxSeq;
  state.maxSeq = Math.max(state.maxSeq, f.seq);
  if (!isNew && state.sort === 'seq' && !state.filter) return;  // changed, not on screen
  if (state.filter && matchesOpen < 8) {
    matchesOpen++;
    try {
      const r = await apiJSON('/api/filter/match?' + q({ q: state.filter, id: f.id }));
      if (!r.match) return;
    } catch (_) { return; } finally { matchesOpen--; }
  }
  // A list sorted by another column is sorted anew by each fetch (the whole
  // list, in the ui): live flows refresh it at most once a second.
  scheduleFetch(state.sort === 'seq' ? 100 : RESORT_MS);
}

// Keys as in mitmweb: up/down (or k/j) move through the list, Escape closes the detail.
function onKey(ev) {
  if (ev.target.closest('input, select, textarea, dialog') || $('page-flows').hidden) return;
  if (ev.key === 'Escape') { $('act-close').click(); return; }
  const step = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1 }[ev.key];
  if (!step) return;
  const i = state.rows.findIndex((r) => r.id === state.current) + step;
  if (i < 0 || i >= state.rows.length) return;
  ev.preventDefault();
  const f = state.rows[i], sc = $('list-scroll'), top = (state.offset + i) * ROW_H;
  state.selected = new Set([f.id]);
  openDetail(f.id);
  if (top < sc.scrollTop) sc.scrollTop = top;
  else if (top + ROW_H > sc.scrollTop + sc.clientHeight) sc.scrollTop = top + ROW_H - sc.clientHeight;
  updateExportLinks();
  renderList();
}

function onScroll() {
  updateFollow();
  renderList();
  if (!holdsVisible()) scheduleFetch(30);
}

// ---- filter and highlight boxes

function showFilterError(msg) {
  const e = $('filter-error');
  e.textContent = msg;
  e.hidden = !msg;
}

function exprBox(input, apply) {
  let timer = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const v = input.value.trim();
      if (!v) { input.classList.remove('invalid'); showFilterError(''); return apply(''); }
      try {
        const r = await apiJSON('/api/filter?' + q({ q: v }));
        if (input.value.trim() !== v) return;
        if (r.ok) { input.classList.remove('invalid'); showFilterError(''); apply(v); }
        else { input.classList.add('invalid'); showFilterError(`${input.id}: ${r.error}`); }
      } catch (e) { input.classList.add('invalid'); showFilterError(`${input.id}: ${e.message}`); }
    }, 250);
  });
}

function setFilter(v) {
  state.filter = v;
  $('list-scroll').scrollTop = 0;
  state.follow = true;
  state.seenTop = $('list-scroll').scrollTop;
  saveHash();
  updateExportLinks();
  reloadList(true);
}

function setHighlight(v) {
  state.highlight = v;
  state.hlCache.clear();
  saveHash();
  renderList();
}

// The filter, highlight and sort live in the address's #fragment (a reload keeps them).
function saveHash() {
  const h = q({ filter: state.filter, highlight: state.highlight,
    sort: state.sort === 'seq' ? '' : state.sort, order: state.order === 'asc' ? '' : state.order });
  history.replaceState(null, '', h ? `#${h}` : location.pathname);
}
function loadHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  state.filter = p.get('filter') || '';
  state.highlight = p.get('highlight') || '';
  state.sort = p.get('sort') || 'seq';
  state.order = p.get('order') === 'desc' ? 'desc' : 'asc';
  $('filter').value = state.filter;
  $('highlight').value = state.highlight;
}

// ---- export and import

function updateExportLinks() {
  const ids = [...state.selected].join(',');
  $('act-replay-selected').disabled = !ids;
  for (const kind of ['har', 'snare']) {
    const base = kind === 'har' ? '/flows.har' : '/flows.snare';
    $(`${kind}-all`).href = base;
    const fl = $(`${kind}-filtered`);
    fl.href = state.filter ? `${base}?${q({ filter: state.filter })}` : base;
    fl.classList.toggle('disabled', !state.filter);
    const sel = $(`${kind}-selected`);
    sel.href = ids ? `${base}?${q({ ids })}` : base;
    sel.classList.toggle('disabled', !ids);
  }
}

async function importFile(file) {
  try {
    const r = await apiJSON('/api/flows/import', {
      method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' },
    });
    toast(`Imported ${r.imported} flow${r.imported === 1 ? '' : 's'} from ${file.name}`);
    reloadList();
  } catch (e) {
    toast(`Import failed: ${e.message}`, true);
  }
}

function toast(msg, bad) {
  const t = el('div', { class: `toast${bad ? ' bad' : ''}`, role: 'status' }, msg);
  document.body.append(t);
  setTimeout(() => t.remove(), 6000);
}

// shq: a POSIX shell single-quoted word.
const shq = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;

async function bodyBytes(id, part, decode) {
  const r = await api(`/api/flows/${encodeURIComponent(id)}/${part}/content${decode ? '?decode=1' : ''}`);
  if (r.status === 404) return null;
  if (!r.ok) throw new Error((await r.text()).trim() || `${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// Copy as curl: the request as sent, headers in order, the body as bytes.
async function curlCommand(f) {
  const rq = f.request;
  const url = f.url || `${rq.scheme}://${rq.authority || rq.host}${rq.path}`;
  const parts = ['curl'];
  if (rq.method !== 'GET') parts.push('-X', shq(rq.method));
  parts.push(shq(url));
  for (const [k, v] of rq.headers || []) {
    const lk = k.toLowerCase();
    if (lk === 'content-length' || lk.startsWith(':')) continue;
    parts.push('-H', shq(`${k}: ${v}`));
  }
  if (rq.http_version === 'HTTP/2.0' || rq.http_version === 'HTTP/2') parts.push('--http2');
  const body = await bodyBytes(f.id, 'request', false);
  if (body && body.length) {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(body);
    parts.push('--data-binary', shq(text));
  }
  return parts.join(' ');
}

function rawHead(lines, headers) {
  return lines + '\r\n' + (headers || []).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
}
const latin1 = (b) => b ? Array.from(b, (c) => String.fromCharCode(c)).join('') : '';

async function rawRequest(f) {
  const rq = f.request;
  const head = rawHead(`${rq.method} ${rq.path} ${rq.http_version}`, rq.headers);
  return head + latin1(await bodyBytes(f.id, 'request', false));
}
async function rawResponse(f) {
  const rs = f.response;
  if (!rs) return '';
  const head = rawHead(`${rs.http_version} ${rs.status_code} ${rs.reason || ''}`.trimEnd(), rs.headers);
  return head + latin1(await bodyBytes(f.id, 'response', false));
}

// The modal's text as built (a <textarea> turns CR LF into LF; copy and
// download use this instead).
let modalText = '';

function showModal(title, text, filename) {
  modalText = text;
  $('modal-title').textContent = title;
  $('modal-text').value = text;
  $('modal').dataset.filename = filename;
  $('modal').showModal();
}

async function modalCopy() {
  const t = $('modal-text');
  try { await navigator.clipboard.writeText(modalText); toast('Copied'); } catch (_) {
    t.select(); document.execCommand('copy'); toast('Copied');
  }
}
function modalDownload() {
  // Raw messages hold bytes as latin1 characters: write them back as bytes.
  const s = modalText;
  const bytes = Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
  const a = el('a', { href: URL.createObjectURL(new Blob([bytes])), download: $('modal').dataset.filename });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// ---- the detail view

let detailFlow = null;

async function openDetail(id, refresh) {
  state.current = id;
  try {
    const f = await apiJSON(`/api/flows/${encodeURIComponent(id)}`);
    if (state.current !== id) return;
    detailFlow = f;
    $('detail').hidden = false;
    $('splitter').hidden = false;
    if (!refresh || !tabsFor(f).includes(state.detailTab)) state.detailTab = tabsFor(f)[0];
    renderDetail();
  } catch (e) {
    toast(`Flow ${id}: ${e.message}`, true);
  }
}

function tabsFor(f) {
  const t = [];
  if (f.request) t.push('request');
  if (f.response) t.push('response');
  if (f.messages && f.messages.length) t.push('messages');
  if (f.dns) t.push('dns');
  t.push('connection', 'timing');
  if (f.error) t.push('error');
  return t;
}

function renderDetail() {
  const f = detailFlow;
  $('detail-tabs').replaceChildren(...tabsFor(f).map((t) => el('button', {
    type: 'button', class: t === state.detailTab ? 'active' : null, 'data-tab': t,
    onclick: () => { state.detailTab = t; renderDetail(); },
  }, t === 'dns' ? 'DNS' : t[0].toUpperCase() + t.slice(1))));
  const isHttp = !!f.request;
  $('act-curl').hidden = !isHttp;
  $('act-raw-req').hidden = !isHttp;
  $('act-raw-resp').hidden = !f.response;
  $('act-mark').textContent = f.marked ? 'Unmark' : 'Mark';
  $('act-replay').hidden = !isHttp || !!f.websocket;
  $('detail-body').replaceChildren(DETAIL_TABS[state.detailTab](f));
  if (typeof interceptDetail === 'function') interceptDetail(f);  // intercept.js
}

function kvTable(rows) {
  return el('table', { class: 'kv' }, rows.filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v))));
}
function headerTable(headers, cls) {
  return el('table', { class: `headers ${cls || ''}` },
    (headers || []).map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v))));
}

function requestTab(f) {
  const rq = f.request;
  const line = el('div', { class: 'first-line' }, `${rq.method} ${f.url || rq.path} ${rq.http_version}`);
  return el('div', {}, line, headerTable(rq.headers),
    rq.trailers && rq.trailers.length ? [el('h4', {}, 'Trailers'), headerTable(rq.trailers)] : null,
    bodyView(f, 'request', rq));
}
function responseTab(f) {
  const rs = f.response;
  const line = el('div', { class: 'first-line' }, `${rs.http_version} ${rs.status_code} ${rs.reason || ''}`);
  return el('div', {}, line, headerTable(rs.headers),
    rs.trailers && rs.trailers.length ? [el('h4', {}, 'Trailers'), headerTable(rs.trailers)] : null,
    bodyView(f, 'response', rs));
}

// A body: fetched decoded, then shown as JSON, text, hex or image (auto picks one).
function bodyView(f, part, msg) {
  const box = el('div', { class: 'body', 'data-part': part });
  if (msg.content_streamed) { box.append(el('p', { class: 'note' }, 'Body streamed, not stored.')); return box; }
  if (!msg.content_length) { box.append(el('p', { class: 'note' }, 'No body.')); return box; }
  const modeSel = el('select', { class: 'body-mode' },
    ['auto', 'json', 'text', 'hex', 'image'].map((m) => el('option', { value: m }, m)));
  const out = el('div', { class: 'body-out' }, el('p', { class: 'note' }, 'Loading…'));
  const ctype = (msg.headers || []).find(([k]) => k.toLowerCase() === 'content-type')?.[1] || '';
  box.append(el('div', { class: 'body-bar' }, el('span', {}, `Body ${fmtSize(msg.content_length)} `), modeSel), out);
  let bytes = null, note = '';
  const show = () => out.replaceChildren(...renderBody(bytes, ctype, modeSel.value), note ? el('p', { class: 'note' }, note) : '');
  modeSel.addEventListener('change', show);
  bodyBytes(f.id, part, true).then((b) => {
    if (b === null) { out.replaceChildren(el('p', { class: 'note' }, 'No body.')); return; }
    bytes = b; show();
  }, async (e) => {
    // Not decodable: say why and show the bytes as they came.
    note = `Could not decode: ${e.message}; showing the encoded bytes.`;
    try { bytes = await bodyBytes(f.id, part, false); show(); } catch (e2) { out.replaceChildren(el('p', { class: 'error-line' }, e2.message)); }
  });
  return box;
}

function looksText(b) {
  try { new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, 4096)); } catch (_) { return false; }
  return !b.subarray(0, 4096).includes(0);
}

function renderBody(b, ctype, mode) {
  if (!b) return [];
  if (mode === 'auto') {
    if (/json/i.test(ctype)) mode = 'json';
    else if (/^image\//i.test(ctype)) mode = 'image';
    else mode = looksText(b) ? 'text' : 'hex';
  }
  const text = () => new TextDecoder('utf-8').decode(b.length > MAX_TEXT ? b.subarray(0, MAX_TEXT) : b);
  const cut = (max) => b.length > max ? el('p', { class: 'note' }, `Showing the first ${fmtSize(max)}.`) : '';
  if (mode === 'json') {
    try { return [el('pre', { class: 'json' }, JSON.stringify(JSON.parse(text()), null, 2))]; } catch (e) {
      return [el('p', { class: 'note' }, `Not JSON (${e.message}); as text:`), el('pre', { class: 'text' }, text())];
    }
  }
  if (mode === 'text') return [el('pre', { class: 'text' }, text()), cut(MAX_TEXT)];
  if (mode === 'image') {
    const url = URL.createObjectURL(new Blob([b], { type: /^image\//i.test(ctype) ? ctype : 'image/png' }));
    return [el('img', { class: 'body-img', src: url, alt: 'body as an image' })];
  }
  return [el('pre', { class: 'hex' }, hexdump(b.subarray(0, MAX_HEX))), cut(MAX_HEX)];
}

function hexdump(b) {
  const lines = [];
  for (let o = 0; o < b.length; o += 16) {
    const row = b.subarray(o, o + 16);
    const hex = Array.from(row, (c) => c.toString(16).padStart(2, '0')).join(' ');
    const asc = Array.from(row, (c) => (c >= 32 && c < 127 ? String.fromCharCode(c) : '.')).join('');
    lines.push(`${o.toString(16).padStart(8, '0')}  ${hex.padEnd(48)}  ${asc}`);
  }
  return lines.join('\n');
}

const MSG_PREVIEW = 200;  // messages whose content is fetched at once

function messagesTab(f) {
  const t0 = f.ts_start || 0;
  const rows = f.messages.map((m, n) => {
    const content = el('td', { class: 'msg-content' });
    const tr = el('tr', { class: m.from_client ? 'from-client' : 'from-server' },
      el('td', { class: 'dir', title: m.from_client ? 'client to server' : 'server to client' }, m.from_client ? '→' : '←'),
      el('td', {}, fmtTime(m.ts)), el('td', {}, t0 ? `+${fmtMs((m.ts - t0) * 1000)}` : ''),
      el('td', {}, fmtSize(m.size) + (m.truncated ? ' (truncated)' : '')), el('td', {}, m.kind), content);
    if (n < MSG_PREVIEW) {
      api(`/api/flows/${encodeURIComponent(f.id)}/messages/${n}/content`).then(async (r) => {
        if (!r.ok) return;
        const b = new Uint8Array(await r.arrayBuffer());
        const txt = m.kind === 'text' || (m.kind !== 'binary' && looksText(b));
        content.append(el('pre', {}, txt ? new TextDecoder().decode(b.subarray(0, 4096)) : hexdump(b.subarray(0, 256))));
      });
    }
    return tr;
  });
  return el('table', { class: 'messages' },
    el('tr', {}, ['', 'Time', 'Since start', 'Size', 'Kind', 'Content'].map((h) => el('th', {}, h))), rows);
}

// DNS numbers by name (RFC 1035, 3596, 2782, 9460 and the IANA registry's common ones).
const DNS_TYPES = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT',
  28: 'AAAA', 33: 'SRV', 35: 'NAPTR', 39: 'DNAME', 41: 'OPT', 43: 'DS', 46: 'RRSIG', 47: 'NSEC',
  48: 'DNSKEY', 64: 'SVCB', 65: 'HTTPS', 99: 'SPF', 252: 'AXFR', 255: 'ANY', 257: 'CAA' };
const DNS_RCODES = { 0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED' };
const DNS_OPCODES = { 0: 'QUERY', 1: 'IQUERY', 2: 'STATUS', 4: 'NOTIFY', 5: 'UPDATE' };
const dnsName = (table, v) => typeof v === 'number' && table[v] ? `${table[v]} (${v})` : v;

function dnsPart(title, d) {
  if (!d) return null;
  const answers = d.answers || [];
  return el('div', { class: 'dns-part' }, el('h4', {}, title),
    kvTable([['ID', d.id], ['Opcode', dnsName(DNS_OPCODES, d.opcode)], ['Rcode', dnsName(DNS_RCODES, d.rcode)]]),
    el('h5', {}, 'Questions'),
    el('table', { class: 'dns-q' }, el('tr', {}, el('th', {}, 'Name'), el('th', {}, 'Type')),
      (d.questions || []).map((x) => el('tr', {}, el('td', {}, x.name), el('td', {}, dnsName(DNS_TYPES, x.type))))),
    el('h5', {}, 'Answers'),
    answers.length ? el('table', { class: 'dns-a' }, el('tr', {}, ['Name', 'Type', 'TTL', 'Data'].map((h) => el('th', {}, h))),
      answers.map((x) => el('tr', {}, el('td', {}, x.name), el('td', {}, dnsName(DNS_TYPES, x.type)), el('td', {}, x.ttl),
        el('td', {}, x.data)))) : el('p', { class: 'note' }, 'none'));
}
function dnsTab(f) { return el('div', {}, dnsPart('Query', f.dns.request), dnsPart('Response', f.dns.response)); }

function connPart(title, c) {
  if (!c) return el('div', {}, el('h4', {}, title), el('p', { class: 'note' }, 'none'));
  const tls = c.tls || {};
  const cert = tls.cert || {};
  return el('div', { class: 'conn' }, el('h4', {}, title), kvTable([
    ['Peer', c.peer], ['Local socket', c.sock], ['Address', c.address], ['Mode', c.proxy_mode],
    ['Process', c.process_name ? `${c.process_name}${c.pid ? ` (pid ${c.pid})` : ''}` : null],
    ['TLS version', tls.version], ['Cipher', tls.cipher], ['SNI', tls.sni],
    ['ALPN', Array.isArray(tls.alpn) ? tls.alpn.join(', ') : tls.alpn],
    ['Certificate subject', cert.subject], ['Certificate issuer', cert.issuer],
    ['Valid from', cert.not_before], ['Valid until', cert.not_after],
  ]));
}
function connectionTab(f) { return el('div', {}, connPart('Client connection', f.client_conn), connPart('Server connection', f.server_conn)); }

function timingTab(f) {
  const marks = [
    ['Client connected', f.client_conn?.timestamp_start], ['Client TLS done', f.client_conn?.timestamp_tls_setup],
    ['Server connected', f.server_conn?.timestamp_start], ['Server TLS done', f.server_conn?.timestamp_tls_setup],
    ['Request started', f.request?.timestamp_start], ['Request done', f.request?.timestamp_end],
    ['Response started', f.response?.timestamp_start], ['Response done', f.response?.timestamp_end],
    ['Server closed', f.server_conn?.timestamp_end], ['Client closed', f.client_conn?.timestamp_end],
  ].filter(([, t]) => t);
  const t0 = Math.min(...marks.map(([, t]) => t));
  return el('table', { class: 'kv timing' }, marks.sort((a, b) => a[1] - b[1]).map(([k, t]) =>
    el('tr', {}, el('th', {}, k), el('td', {}, fmtTime(t)), el('td', {}, `+${fmtMs((t - t0) * 1000)}`))));
}

function errorTab(f) {
  return el('pre', { class: 'error-line' }, typeof f.error === 'string' ? f.error : JSON.stringify(f.error, null, 2));
}

const DETAIL_TABS = {
  request: requestTab, response: responseTab, messages: messagesTab, dns: dnsTab,
  connection: connectionTab, timing: timingTab, error: errorTab,
};

async function toggleMark() {
  const f = detailFlow;
  try {
    await apiJSON(`/api/flows/${encodeURIComponent(f.id)}/mark`, {
      method: 'POST', body: JSON.stringify({ marked: !f.marked }), headers: { 'Content-Type': 'application/json' },
    });
    openDetail(f.id, true);
    scheduleFetch(0);
  } catch (e) { toast(`Mark: ${e.message}`, true); }
}

// Client replay (POST /api/flows/ID/replay): the replayed request comes back
// as a new flow with is_replay "request", marked in the list.
async function replayFlows(ids) {
  let sent = 0;
  for (const id of ids) {
    try {
      await apiJSON(`/api/flows/${encodeURIComponent(id)}/replay`, { method: 'POST' });
      sent++;
    } catch (e) { toast(`Replay: ${e.message}`, true); }
  }
  if (sent) toast(sent === 1 ? 'Replay queued' : `${sent} replays queued`);
  scheduleFetch(0);
}

// The bar between the list and the detail: drag to share the width.
function splitter() {
  const bar = $('splitter');
  bar.addEventListener('pointerdown', (ev) => {
    bar.setPointerCapture(ev.pointerId);
    bar.classList.add('dragging');
    const move = (e) => {
      const w = bar.parentElement.getBoundingClientRect().right - e.clientX;
      $('detail').style.width = `${Math.max(280, w)}px`;
    };
    const up = () => {
      bar.classList.remove('dragging');
      bar.removeEventListener('pointermove', move);
      bar.removeEventListener('pointerup', up);
      onScroll();
    };
    bar.addEventListener('pointermove', move);
    bar.addEventListener('pointerup', up);
  });
}

// ---- events

function levelAtLeast(l, min) { return LEVELS.indexOf(l) >= LEVELS.indexOf(min); }

function eventRow(ev) {
  return el('div', { class: `event lvl-${ev.level}`, 'data-seq': ev.seq },
    el('span', { class: 'ev-time' }, fmtTime(ev.ts)), el('span', { class: 'ev-level' }, ev.level),
    el('span', { class: 'ev-text' }, ev.text));
}

async function loadEvents() {
  const lvl = $('event-level').value;
  try {
    const r = await apiJSON('/api/events?' + q({ level: lvl }));
    $('events').replaceChildren(...(r.events || []).filter((e) => levelAtLeast(e.level, lvl)).map(eventRow));
  } catch (e) { $('events').replaceChildren(el('p', { class: 'error-line' }, e.message)); }
}

function onEventPush(ev) {
  if (!levelAtLeast(ev.level, $('event-level').value)) return;
  const box = $('events'), page = $('page-events');
  const atEnd = page.scrollTop + page.clientHeight >= page.scrollHeight - 4;
  box.append(eventRow(ev));
  while (box.childElementCount > 1000) box.firstElementChild.remove();
  if (atEnd) page.scrollTop = page.scrollHeight;  // follow the log while at its end
}

// ---- WireGuard

// An SVG with a width and height but no viewBox would not scale to the <img>.
function scalableSvg(text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const svg = doc.documentElement;
  if (svg.nodeName !== 'svg' || svg.hasAttribute('viewBox')) return text;
  const w = parseFloat(svg.getAttribute('width')), h = parseFloat(svg.getAttribute('height'));
  if (!(w > 0 && h > 0)) return text;
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  return new XMLSerializer().serializeToString(svg);
}

async function loadWireguard() {
  const box = $('wireguard');
  try {
    const r = await apiJSON('/api/wireguard');
    box.replaceChildren(...r.configs.map((c) => el('div', { class: 'wg-config' },
      el('h3', {}, c.name),
      // The QR code is an image from a data: URL, so the SVG cannot run anything.
      el('img', { class: 'qr', alt: `QR code for ${c.name}`, src: 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(scalableSvg(c.qr_svg)) }),
      el('pre', { class: 'wg-text' }, c.text))));
  } catch (e) { box.replaceChildren(el('p', { class: 'error-line' }, e.message)); }
}

// ---- pages, status, live socket

function showPage(name) {
  for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('active', b.dataset.page === name);
  for (const p of document.querySelectorAll('.page')) p.hidden = p.id !== `page-${name}`;
  if (name === 'events') loadEvents();
  if (name === 'wireguard') loadWireguard();
  if (name === 'flows') {
    renderList();
    if (!holdsVisible()) scheduleFetch(30);
  }
}

function renderStatus() {
  const i = state.info || {};
  $('status').textContent = `${(i.modes || []).join(', ')} · snare ${i.version || ''} · ` +
    (state.wsUp ? 'live' : 'reconnecting…');
  $('status').classList.toggle('down', !state.wsUp);
}

let wsRetry = 500;
function connectWS() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  state.ws = ws;
  ws.onopen = () => { state.wsUp = true; wsRetry = 500; renderStatus(); reloadList(); };
  ws.onmessage = (m) => {
    let msg;
    try { msg = JSON.parse(m.data); } catch (_) { return; }
    if (msg.type === 'flow') onFlowPush(msg.flow);
    else if (msg.type === 'flows') {
      // a new flow is announced by seq and id; a row fetched already is current
      for (const [seq, id] of msg.new || []) if (!state.rows.some((r) => r.id === id)) onFlowPush({ id, seq });
      (msg.flows || []).forEach(onFlowPush);
    }
    else if (msg.type === 'event') onEventPush(msg.event);
    else if (msg.type === 'dropped') { state.dropped += msg.count; reloadList(); }
  };
  ws.onclose = () => {
    state.wsUp = false; renderStatus();
    setTimeout(connectWS, wsRetry);
    wsRetry = Math.min(wsRetry * 2, 10000);
  };
}

async function init() {
  loadHash();
  renderHead();
  updateExportLinks();
  for (const b of document.querySelectorAll('#tabs button')) b.addEventListener('click', () => showPage(b.dataset.page));
  exprBox($('filter'), setFilter);
  exprBox($('highlight'), setHighlight);
  $('list-scroll').addEventListener('scroll', onScroll, { passive: true });
  new ResizeObserver(() => onScroll()).observe($('list-scroll'));
  $('event-level').addEventListener('change', loadEvents);
  document.addEventListener('keydown', onKey);
  $('import-file').addEventListener('change', (e) => { if (e.target.files[0]) importFile(e.target.files[0]); e.target.value = ''; });
  $('act-close').addEventListener('click', () => {
    $('detail').hidden = true; $('splitter').hidden = true; state.current = null; renderList();
  });
  splitter();
  $('act-mark').addEventListener('click', toggleMark);
  $('act-replay').addEventListener('click', () => replayFlows([detailFlow.id]));
  $('act-replay-selected').addEventListener('click', () => replayFlows([...state.selected]));
  $('act-curl').addEventListener('click', async () => showModal('Copy as curl', await curlCommand(detailFlow), 'request.sh'));
  $('act-raw-req').addEventListener('click', async () => showModal('Raw request', await rawRequest(detailFlow), 'request.txt'));
  $('act-raw-resp').addEventListener('click', async () => showModal('Raw response', await rawResponse(detailFlow), 'response.txt'));
  $('modal-copy').addEventListener('click', modalCopy);
  $('modal-download').addEventListener('click', modalDownload);
  for (const a of document.querySelectorAll('#export-menu a'))
    a.addEventListener('click', () => { $('export-menu').open = false; });
  try {
    state.info = await apiJSON('/api/state');
    state.csrf = state.info.csrf;
    state.dropped = state.info.dropped || 0;
    $('tab-wireguard').hidden = !state.info.wireguard;
  } catch (e) {
    showFilterError(`Cannot read /api/state: ${e.message}`);
  }
  renderStatus();
  reloadList();
  connectWS();
}

document.addEventListener('DOMContentLoaded', init);
