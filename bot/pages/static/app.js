// Toofr's pages: upload through the API and keep progress bars live by polling it. Plain DOM,
// no framework; text goes in with textContent, never as HTML.
'use strict';

const UNFINISHED = ['queued', 'importing', 'running', 'delivering'];
const POLL_MS = 1000;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function bar(l) {
  const pct = Math.round(l.progress * 100);
  const p = el('progress', { class: 'bar', max: '100', value: String(pct), 'aria-label': 'progress of ' + (l.filename || 'list') });
  return [p, ' ', el('span', { class: 'pct' }, pct + ' %')];
}

function counts(l) {
  return `${l.found} found · ${l.processed} looked up · ${l.bad_rows} skipped · ${l.total_rows} rows`;
}

function ready(l) {
  return l.status === 'done' || l.status === 'delivering';
}

function row(l) {
  const tr = el('tr', { 'data-list-id': l.id, 'data-status': l.status });
  tr.append(
    el('td', {}, el('a', { href: '/lists/' + l.id }, l.filename || 'list')),
    el('td', {}, el('time', { datetime: l.created_at }, l.created_at.slice(0, 16).replace('T', ' '))),
    el('td', { class: 'status' }, l.status),
    el('td', { class: 'progress' }, ...bar(l)),
    el('td', { class: 'counts' }, counts(l)),
    el('td', { class: 'download' }, ...(ready(l) ? [el('a', { href: l.results_url, download: '' }, 'Download')] : [])),
  );
  return tr;
}

async function getJson(url) {
  const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(url + ': ' + res.status);
  return res.json();
}

function liveLists(table) {
  const tbody = table.querySelector('tbody');
  let timer;
  async function refresh() {
    timer = undefined;
    try {
      const { lists } = await getJson('/api/v1/lists?limit=50');
      tbody.replaceChildren(...lists.map(row));
      document.querySelector('.empty')?.remove();
    } catch (err) {
      console.warn('progress update failed; retrying', err);
    }
    schedule();
  }
  function schedule() {
    const busy = [...tbody.querySelectorAll('tr')].some((tr) => UNFINISHED.includes(tr.dataset.status));
    if (busy && !timer) timer = setTimeout(refresh, POLL_MS);
  }
  schedule();
  return { refresh };
}

function liveList(card) {
  const id = card.dataset.listId;
  async function poll() {
    try {
      const l = await getJson('/api/v1/lists/' + id);
      card.dataset.status = l.status;
      card.querySelector('.status').textContent = l.status;
      card.querySelector('.progress').replaceChildren(...bar(l));
      card.querySelector('.counts').textContent = counts(l);
      // Finished: reload once for the final counts by status and the bad rows.
      if (!UNFINISHED.includes(l.status) || ready(l)) return void location.reload();
    } catch (err) {
      console.warn('progress update failed; retrying', err);
    }
    setTimeout(poll, POLL_MS);
  }
  if (UNFINISHED.includes(card.dataset.status) && !ready({ status: card.dataset.status })) setTimeout(poll, POLL_MS);
}

function uploadForm(form, lists) {
  const status = form.querySelector('.upload-status');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    status.textContent = 'Uploading…';
    try {
      const res = await fetch('/api/v1/lists', { method: 'POST', body: new FormData(form), credentials: 'same-origin' });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(body.error ? body.error.message : 'upload failed (' + res.status + ')');
      status.textContent = 'Uploaded: ' + (body.filename || 'list') + ' is queued.';
      form.reset();
      await lists?.refresh();
    } catch (err) {
      status.textContent = err.message;
      status.classList.add('error');
    } finally {
      button.disabled = false;
    }
  });
}

document.addEventListener('DOMContentLoaded', () => {
  const table = document.querySelector('[data-live="lists"]');
  const lists = table ? liveLists(table) : undefined;
  const form = document.getElementById('upload');
  if (form) uploadForm(form, lists);
  const card = document.querySelector('[data-live="list"]');
  if (card) liveList(card);
});
