// snare-web's intercept controls (docs/web-api.md, "Intercept"): the
// intercept filter box, Resume all, and for a held flow in the detail view
// Resume, Kill and an editor for the held request or response (method, path,
// status, headers, body).  Save is answered once the proxy saved or refused
// the edit; a refusal is shown in the editor and changes nothing.  Loaded after app.js and uses its helpers ($, el,
// state, apiJSON, bodyBytes, openDetail, toast).  Flow data is shown with
// textContent and form values only, never parsed as markup.
'use strict';

const intercept = { editing: null };

// The intercept box: checked by the server, then set for every worker.
function interceptBox() {
  const input = $('intercept');
  let timer = 0;
  const apply = async () => {
    const v = input.value.trim();
    try {
      const r = await apiJSON('/api/options', {
        method: 'PUT', body: JSON.stringify({ intercept: v }), headers: { 'Content-Type': 'application/json' },
      });
      input.classList.remove('invalid');
      input.classList.toggle('active', !!r.intercept);
      showFilterError('');
    } catch (e) {
      input.classList.add('invalid');
      showFilterError(`intercept: ${e.message}`);
    }
  };
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(apply, 400); });
  input.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { clearTimeout(timer); apply(); } });
}

async function heldAction(path, what) {
  try {
    await apiJSON(path, { method: 'POST' });
  } catch (e) { toast(`${what}: ${e.message}`, true); }
}

// "Name: value" lines to [[name, value], ...]; a line without a colon is an error.
function parseHeaders(text) {
  const out = [];
  for (const line of text.split('\n').map((l) => l.replace(/\r$/, ''))) {
    if (!line.trim()) continue;
    const i = line.indexOf(':');
    if (i <= 0) throw new Error(`not a header: ${line}`);
    out.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
  }
  return out;
}

// The editor of the held part (request or response) in the detail body.
async function interceptEditor(f) {
  const part = f.intercepted === 'response' ? 'response' : 'request';
  const m = f[part];
  const field = (id, label, value) => el('label', { class: 'edit-field' }, label,
    el('input', { id, type: 'text', spellcheck: 'false', value: value ?? '' }));
  const headers = el('textarea', { id: 'edit-headers', spellcheck: 'false', rows: 8 });
  headers.value = (m.headers || []).map(([k, v]) => `${k}: ${v}`).join('\n');
  const body = el('textarea', { id: 'edit-body', spellcheck: 'false', rows: 8 });
  let original = '';
  try {
    const b = await bodyBytes(f.id, part, false);
    original = b ? new TextDecoder('utf-8').decode(b) : '';
  } catch (_) { /* shown empty */ }
  body.value = original;
  // Held with its head only (chunked or large): the body follows unchanged.
  if (m.content_streamed) { body.disabled = true; body.value = '(the body streams after the resume; it cannot be edited)'; }
  const top = part === 'request'
    ? [field('edit-method', 'Method', m.method), field('edit-path', 'Path', m.path)]
    : [field('edit-status', 'Status', m.status_code), field('edit-reason', 'Reason', m.reason)];
  const save = el('button', { type: 'button', id: 'edit-save' }, 'Save');
  const cancel = el('button', { type: 'button', id: 'edit-cancel' }, 'Cancel');
  // The proxy's refusal (the worker holding the flow checks the edit): shown
  // here, the editor keeps the user's text and the flow stays held as it was.
  const err = el('p', { class: 'edit-error', id: 'edit-error', role: 'alert', hidden: true });
  save.addEventListener('click', async () => {
    const edit = {};
    err.hidden = true;
    err.textContent = '';
    save.disabled = true;
    try {
      edit.headers = parseHeaders(headers.value);
      if (part === 'request') {
        edit.method = $('edit-method').value.trim();
        edit.path = $('edit-path').value.trim();
      } else {
        edit.status_code = parseInt($('edit-status').value, 10);
        edit.reason = $('edit-reason').value;
      }
      if (!body.disabled && body.value !== original) edit.content = body.value;
      await apiJSON(`/api/flows/${encodeURIComponent(f.id)}`, {
        method: 'PUT', body: JSON.stringify({ [part]: edit }), headers: { 'Content-Type': 'application/json' },
      });
      intercept.editing = null;
      toast('Saved; Resume sends it on');
      openDetail(f.id, true);
    } catch (e) {
      // 504: the proxy has not answered yet; a late save shows in the flow list
      err.textContent = e.status === 504 ? `Not confirmed yet: ${e.message}` : `Not saved: ${e.message}`;
      err.hidden = false;
      toast(`Edit: ${e.message}`, true);
    } finally { save.disabled = false; }
  });
  cancel.addEventListener('click', () => { intercept.editing = null; openDetail(f.id, true); });
  return el('div', { class: 'editor', 'data-part': part },
    el('h4', {}, `Edit the held ${part}`), top, el('label', { class: 'edit-field' }, 'Headers', headers),
    el('label', { class: 'edit-field' }, 'Body', body), err, el('div', { class: 'edit-actions' }, save, cancel));
}

// Called by renderDetail: the held flow's buttons and banner.
function interceptDetail(f) {
  const held = !!f.intercepted;
  for (const id of ['act-resume', 'act-kill', 'act-edit']) $(id).hidden = !held;
  if (!held) { intercept.editing = null; return; }
  $('detail-body').prepend(el('p', { class: 'held-banner' },
    `Intercepted: the ${f.intercepted} waits. Edit it, then Resume, or Kill the flow.`));
  if (intercept.editing === f.id) {
    interceptEditor(f).then((ed) => {
      if (intercept.editing === f.id && detailFlow && detailFlow.id === f.id) $('detail-body').replaceChildren(ed);
    });
  }
}

function interceptInit() {
  interceptBox();
  $('resume-all').addEventListener('click', () => heldAction('/api/flows/resume', 'Resume all'));
  $('act-resume').addEventListener('click', () => { intercept.editing = null; heldAction(`/api/flows/${encodeURIComponent(detailFlow.id)}/resume`, 'Resume'); });
  $('act-kill').addEventListener('click', () => { intercept.editing = null; heldAction(`/api/flows/${encodeURIComponent(detailFlow.id)}/kill`, 'Kill'); });
  $('act-edit').addEventListener('click', () => { intercept.editing = detailFlow.id; renderDetail(); });
  // The filter in force (set at start with --set intercept, or by another page).
  apiJSON('/api/state').then((s) => {
    $('intercept').value = s.intercept || '';
    $('intercept').classList.toggle('active', !!s.intercept);
  }, () => {});
}

document.addEventListener('DOMContentLoaded', interceptInit);
