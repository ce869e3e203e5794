/** API v1 lists: upload (CSV body, multipart), status, records, results.csv, delete/cancel, bad uploads. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getList } from '../../core/lists/store.ts';
import { waitForList } from '../helpers/pipeline.ts';
import { errorOf, startApiHarness, type ApiHarness } from './api.harness.ts';

const CSV = ['Prénom,Nom,Company website', 'José,Müller,https://www.acme.com/team', 'Ann,Lee,beta.io', ',Nobody,acme.com', 'Bob,Stone,', 'Dee,Dale,acme.com'].join('\n');

describe('API lists', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApiHarness('api.lists', { API_MAX_UPLOAD_MB: '1' });
  });
  after(async () => {
    await h.close();
  });

  async function upload(body: string | FormData, headers: Record<string, string> = { 'content-type': 'text/csv' }, query = '') {
    return h.get(`/api/v1/lists${query}`, h.keyA, { method: 'POST', headers: body instanceof FormData ? {} : headers, body });
  }

  it('should take a CSV body, run it, and give status, records and results', async () => {
    const res = await upload(CSV, { 'content-type': 'text/csv; charset=utf-8' }, '?filename=leads.csv');
    assert.equal(res.status, 202);
    const created = await res.json();
    assert.equal(res.headers.get('location'), `/api/v1/lists/${created.id}`);
    assert.equal(created.status, 'queued');
    assert.equal(created.filename, 'leads.csv');
    await waitForList(h.settings, h.services, created.id);

    const list = await (await h.get(`/api/v1/lists/${created.id}`)).json();
    assert.equal(list.status, 'done');
    assert.deepEqual([list.total_rows, list.bad_rows, list.processed, list.found, list.progress], [5, 2, 3, 3, 1]);

    const page1 = await (await h.get(`/api/v1/lists/${created.id}/records?limit=2`)).json();
    assert.deepEqual(page1.records.map((r: { ordinal: number }) => r.ordinal), [0, 1]);
    assert.equal(page1.records[0].email, 'josé.müller@acme.com');
    assert.deepEqual(page1.records[0].raw, ['José', 'Müller', 'https://www.acme.com/team']);
    assert.equal(page1.next_cursor, '1');
    const page2 = await (await h.get(`/api/v1/lists/${created.id}/records?limit=2&cursor=${page1.next_cursor}`)).json();
    assert.deepEqual(page2.records.map((r: { ordinal: number }) => r.ordinal), [2, 3]);
    const last = await (await h.get(`/api/v1/lists/${created.id}/records?limit=2&cursor=${page2.next_cursor}`)).json();
    assert.deepEqual(last.records.map((r: { ordinal: number }) => r.ordinal), [4]);
    assert.equal(last.next_cursor, null);
    const bad = await (await h.get(`/api/v1/lists/${created.id}/records?status=bad`)).json();
    assert.deepEqual(bad.records.map((r: { line: number }) => r.line), [4, 5]);
    assert.ok(bad.records.every((r: { reason: string; result: string }) => r.reason && r.result.startsWith('skipped: ')));

    const csv = await h.get(`/api/v1/lists/${created.id}/results.csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(csv.headers.get('content-disposition') ?? '', /leads-with-emails\.csv/);
    const lines = (await csv.text()).trim().split(/\r?\n/);
    assert.equal(lines.length, 6);
    assert.match(lines[0]!, /^Prénom,Nom,Company website,email,confidence,verification,status,pattern/);
    assert.match(lines[1]!, /^José,Müller,https:\/\/www.acme.com\/team,josé.müller@acme.com,90,valid,found/);
    assert.match(lines[3]!, /skipped: /);
  });

  it('should take a multipart upload with its callback_url and filename before the file', async () => {
    const form = new FormData();
    form.append('callback_url', 'https://hooks.example.com/toofr');
    form.append('file', new Blob(['first,last,domain\nAnn,Lee,acme.com\n'], { type: 'text/csv' }), 'from-form.csv');
    const res = await upload(form);
    assert.equal(res.status, 202);
    const { id, filename } = await res.json();
    assert.equal(filename, 'from-form.csv');
    const row = await getList(h.services.db.pool, id, h.accountA);
    assert.deepEqual(row?.source_ref, { callback_url: 'https://hooks.example.com/toofr' });
    assert.equal(row?.source, 'api');
  });

  it('should refuse a callback_url field sent after the file, and keep no list from it', async () => {
    const before = (await h.services.db.pool.query('SELECT count(*)::int AS n FROM lists')).rows[0].n;
    const form = new FormData();
    form.append('file', new Blob(['first,last,domain\nAnn,Lee,acme.com\n']), 'late.csv');
    form.append('callback_url', 'https://hooks.example.com/toofr');
    const res = await upload(form);
    assert.equal(res.status, 400);
    assert.equal((await errorOf(res)).code, 'field_after_file');
    assert.equal((await h.services.db.pool.query('SELECT count(*)::int AS n FROM lists')).rows[0].n, before);
  });

  const refusals: [string, () => Promise<Response>, number, string][] = [
    ['a JSON body', () => upload('{"rows":[]}', { 'content-type': 'application/json' }), 415, 'unsupported_media_type'],
    ['no content type', () => h.get('/api/v1/lists', h.keyA, { method: 'POST', body: new Uint8Array([97, 10]) }), 415, 'unsupported_media_type'],
    ['an empty file', () => upload(''), 400, 'empty_file'],
    ['a file over API_MAX_UPLOAD_MB', () => upload('first,last,domain\n' + 'Ann,Lee,acme.com\n'.repeat(80_000)), 413, 'upload_too_large'],
    ['a multipart upload over the limit', () => { const f = new FormData(); f.append('file', new Blob(['a,b,c\n'.repeat(200_000)]), 'big.csv'); return upload(f); }, 413, 'upload_too_large'],
    ['a multipart upload without a file', () => { const f = new FormData(); f.append('note', 'hi'); return upload(f); }, 400, 'missing_file'],
    ['a callback_url that is not http(s)', () => upload(CSV, { 'content-type': 'text/csv' }, '?callback_url=' + encodeURIComponent('file:///etc/passwd')), 400, 'invalid_request'],
    ['a callback_url with credentials', () => upload(CSV, { 'content-type': 'text/csv' }, '?callback_url=' + encodeURIComponent('https://u:p@example.com/')), 400, 'invalid_request'],
  ];
  for (const [what, send, status, code] of refusals) {
    it(`should refuse ${what} (${status} ${code})`, async () => {
      const lists = (await h.services.db.pool.query('SELECT count(*)::int AS n FROM lists')).rows[0].n;
      const res = await send();
      assert.equal(res.status, status);
      assert.equal((await errorOf(res)).code, code);
      assert.equal((await h.services.db.pool.query('SELECT count(*)::int AS n FROM lists')).rows[0].n, lists, 'no list was created');
    });
  }

  it('should page through lists, newest first', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await upload(CSV, { 'content-type': 'text/csv' }, `?filename=page${i}.csv`)).status, 202);
    const all: string[] = [];
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { lists: { id: string; filename: string }[]; next_cursor: string | null } = await (await h.get(`/api/v1/lists?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      assert.ok(page.lists.length <= 2);
      all.push(...page.lists.map((l) => l.filename));
      ids.push(...page.lists.map((l) => l.id));
      cursor = page.next_cursor;
    } while (cursor);
    assert.deepEqual(all.slice(0, 3), ['page2.csv', 'page1.csv', 'page0.csv']);
    assert.equal(new Set(ids).size, ids.length, 'no list twice');
    const { rows } = await h.services.db.pool.query('SELECT count(*)::int AS n FROM lists WHERE account_id = $1', [h.accountA]);
    assert.equal(ids.length, rows[0].n, 'and none missed');
    assert.equal((await h.get('/api/v1/lists?limit=0')).status, 400);
    assert.equal((await h.get('/api/v1/lists?cursor=bm90LWEtY3Vyc29y')).status, 400);
  });

  it('should cancel a running list, then delete it on a second DELETE', async () => {
    // "Slow" rows wait on the gate, so the list is certainly still running when cancelled.
    const res = await upload('first,last,domain\nSlow,One,acme.com\nSlow,Two,acme.com\n');
    const { id } = await res.json();
    const cancelled = await h.get(`/api/v1/lists/${id}`, h.keyA, { method: 'DELETE' });
    assert.equal(cancelled.status, 200);
    assert.equal((await cancelled.json()).status, 'cancelled');
    assert.equal((await (await h.get(`/api/v1/lists/${id}`)).json()).status, 'cancelled');
    const deleted = await h.get(`/api/v1/lists/${id}`, h.keyA, { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    assert.equal((await h.get(`/api/v1/lists/${id}`)).status, 404);
    assert.equal(await getList(h.services.db.pool, id), undefined, 'gone from the database with its records');
  });

  it('should answer 409 for the results of a list whose file has not been read', async () => {
    const { rows } = await h.services.db.pool.query<{ id: string }>(`INSERT INTO lists (account_id, source) VALUES ($1, 'api') RETURNING id`, [h.accountA]);
    const res = await h.get(`/api/v1/lists/${rows[0]!.id}/results.csv`);
    assert.equal(res.status, 409);
    assert.equal((await errorOf(res)).code, 'not_ready');
  });

  it('should answer JSON 404 for unknown API paths and 400 for a malformed list id', async () => {
    const res = await h.get('/api/v1/nope');
    assert.equal(res.status, 404);
    assert.equal((await errorOf(res)).code, 'not_found');
    assert.equal((await h.get('/api/v2/find')).status, 404);
    const bad = await h.get(`/api/v1/lists/${encodeURIComponent("1' OR '1'='1")}`);
    assert.equal(bad.status, 400);
    assert.match((await errorOf(bad)).message, /UUID/);
  });
});
