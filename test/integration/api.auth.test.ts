/**
 * API keys, accounts and limits: Bearer and ?api_key=, failures, revocation, page sessions,
 * local single-user mode, the per-key rate limit shared by two web processes, and the CLI.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createApiKey, revokeApiKey } from '../../core/api-keys.ts';
import { ensureAccount } from '../../core/lists/store.ts';
import { submitCsv } from '../helpers/pipeline.ts';
import { errorOf, startApiHarness, type ApiHarness } from './api.harness.ts';

const run = promisify(execFile);

describe('API keys and accounts', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApiHarness('api.auth');
  });
  after(async () => {
    await h.close();
  });

  it('should answer 401 with a way forward when there is no key', async () => {
    const res = await h.get('/api/v1/lists', null);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
    const e = await errorOf(res);
    assert.equal(e.code, 'unauthorized');
    assert.match(e.message, /toofr keys create/);
  });

  it('should answer 401 for a wrong key, a malformed header and a revoked key', async () => {
    assert.equal((await h.get('/api/v1/lists', 'toofr_00000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status, 401);
    assert.equal((await h.get('/api/v1/lists', "' OR 1=1 --")).status, 401);
    const basic = await h.get('/api/v1/lists', null, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(basic.status, 401);
    assert.match((await errorOf(basic)).message, /Bearer/);
    const { key, info } = await createApiKey(h.services.db.pool, h.accountA, 'soon revoked');
    assert.equal((await h.get('/api/v1/lists', key)).status, 200);
    await revokeApiKey(h.services.db.pool, info.prefix);
    const revoked = await h.get('/api/v1/lists', key);
    assert.equal(revoked.status, 401);
    assert.match((await errorOf(revoked)).message, /revoked/);
  });

  it('should accept ?api_key= for spreadsheet formulas, and store keys only hashed', async () => {
    const res = await h.get(`/api/v1/find?first=Jane&last=Doe&company=acme.com&api_key=${h.keyA}`, null);
    assert.equal(res.status, 200);
    const { rows } = await h.services.db.pool.query(`SELECT count(*)::int AS n FROM api_keys WHERE position($1 in encode(key_hash, 'escape')) > 0 OR prefix = $1`, [h.keyA]);
    assert.equal(rows[0].n, 0, 'the key itself is nowhere in the table');
  });

  it("should scope every list to its account: another account's id is 404", async () => {
    const created = await h.get('/api/v1/lists', h.keyA, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'first,last,domain\nAnn,Lee,acme.com\n' });
    assert.equal(created.status, 202);
    const { id } = await created.json();
    for (const path of [`/api/v1/lists/${id}`, `/api/v1/lists/${id}/records`, `/api/v1/lists/${id}/results.csv`]) {
      const res = await h.get(path, h.keyB);
      assert.equal(res.status, 404, path);
      assert.equal((await errorOf(res)).code, 'not_found');
    }
    assert.equal((await h.get(`/api/v1/lists/${id}`, h.keyB, { method: 'DELETE' })).status, 404);
    const bLists = await (await h.get('/api/v1/lists', h.keyB)).json();
    assert.ok(!bLists.lists.some((l: { id: string }) => l.id === id), "B's list of lists does not show A's");
    assert.equal((await h.get(`/api/v1/lists/${id}`, h.keyA)).status, 200, 'still there for its owner');
  });

  it('should rate-limit per key across two web processes, with 429 and Retry-After', async () => {
    const one = await h.app({ API_RATE_LIMIT_PER_MINUTE: '3' });
    const two = await h.app({ API_RATE_LIMIT_PER_MINUTE: '3' });
    const acct = await ensureAccount(h.services.db.pool, 'api', 'limited');
    const { key } = await createApiKey(h.services.db.pool, acct);
    const other = (await createApiKey(h.services.db.pool, acct)).key;
    const call = (base: string, k = key) => fetch(`${base}/api/v1/lists`, { headers: { authorization: `Bearer ${k}` } });
    const minute = async () => (await h.services.db.pool.query(`SELECT date_trunc('minute', now())::text AS m`)).rows[0].m as string;
    // The window is the database's minute; if one rolls over mid-test, the counts reset: run again.
    for (let attempt = 0; ; attempt++) {
      const at = await minute();
      const statuses = [(await call(one.base)).status, (await call(two.base)).status, (await call(one.base)).status];
      const limited = await call(two.base);
      if ((await minute()) !== at && attempt < 2) continue;
      assert.deepEqual(statuses, [200, 200, 200]);
      assert.equal(limited.status, 429, 'the 4th request of the minute, whichever process serves it');
      const retry = Number(limited.headers.get('retry-after'));
      assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
      assert.equal(limited.headers.get('ratelimit-remaining'), '0');
      assert.equal((await errorOf(limited)).code, 'rate_limited');
      break;
    }
    assert.equal((await call(one.base, other)).status, 200, 'another key of the same account has its own budget');
  });

  it('should open a page session from a key, refuse cross-site writes with it, and end it on revocation', async () => {
    const { key, info } = await createApiKey(h.services.db.pool, h.accountB, 'browser');
    const signin = await fetch(`${h.base}/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.base },
      body: `api_key=${encodeURIComponent(key)}`,
      redirect: 'manual',
    });
    assert.equal(signin.status, 303);
    const setCookie = signin.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.ok(!setCookie.includes(key), 'the cookie is a session token, not the key');
    const cookie = setCookie.split(';')[0]!;
    assert.equal((await h.get('/api/v1/lists', null, { headers: { cookie } })).status, 200);
    const page = await h.get('/', null, { headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Your lists/);
    const csrf = await h.get('/api/v1/lists', null, { method: 'POST', headers: { cookie, 'content-type': 'text/csv', origin: 'https://evil.example' }, body: 'a,b\n' });
    assert.equal(csrf.status, 403);
    assert.equal((await errorOf(csrf)).code, 'cross_site_request');
    const own = await h.get('/api/v1/lists', null, { method: 'POST', headers: { cookie, 'content-type': 'text/csv', origin: h.base }, body: 'first,last,domain\nAnn,Lee,acme.com\n' });
    assert.equal(own.status, 202, 'our own pages may upload with the session');
    assert.equal((await own.json()).source, 'web');
    const wrongSignin = await fetch(`${h.base}/signin`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.base }, body: 'api_key=nope', redirect: 'manual' });
    assert.equal(wrongSignin.status, 401);
    await revokeApiKey(h.services.db.pool, info.prefix);
    assert.equal((await h.get('/api/v1/lists', null, { headers: { cookie } })).status, 401);
    const redirected = await h.get('/', null, { headers: { cookie }, redirect: 'manual' });
    assert.equal(redirected.status, 303);
    assert.equal(redirected.headers.get('location'), '/signin');
  });

  it("should serve the local account without a key in local mode, only to this machine's own requests", async () => {
    const local = await h.app({ LOCAL_MODE: 'true' });
    const listId = await submitCsv(h.services, 'first,last,domain\nAnn,Lee,acme.com\n', { filename: 'from-cli.csv' });
    const res = await fetch(`${local.base}/api/v1/lists`);
    assert.equal(res.status, 200);
    assert.ok(((await res.json()) as { lists: { id: string }[] }).lists.some((l: { id: string }) => l.id === listId), 'sees the lists the CLI made');
    const forwarded = await fetch(`${local.base}/api/v1/lists`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(forwarded.status, 401, 'a request relayed by a proxy is not local');
    assert.equal((await fetch(`${h.base}/api/v1/lists`)).status, 401, 'without LOCAL_MODE a key is required');
    assert.equal((await fetch(`${local.base}/api/v1/lists`, { headers: { authorization: 'Bearer wrong' } })).status, 401, 'a wrong key is not ignored in local mode');
  });

  it('should create, list and revoke keys with the toofr CLI', async () => {
    const env = { ...process.env, DATABASE_URL: h.settings.databaseUrl, DATABASE_SCHEMA: h.settings.databaseSchema, NODE_ENV: 'test' };
    const created = JSON.parse((await run(process.execPath, ['cli/toofr.ts', 'keys', 'create', '--account', 'acme-corp', '--name', 'zapier', '--json'], { env })).stdout);
    assert.match(created.key, /^toofr_[0-9a-f]{8}_[A-Za-z0-9_-]{32}$/);
    assert.match(created.callback_secret, /^whsec_/);
    assert.equal((await h.get('/api/v1/lists', created.key)).status, 200);
    const listed = (await run(process.execPath, ['cli/toofr.ts', 'keys', 'list', '--account', 'acme-corp'], { env })).stdout;
    assert.match(listed, new RegExp(created.prefix));
    assert.match(listed, /zapier/);
    assert.ok(!listed.includes(created.key), 'list never prints a key');
    const revoked = (await run(process.execPath, ['cli/toofr.ts', 'keys', 'revoke', created.prefix], { env })).stdout;
    assert.match(revoked, /Revoked/);
    assert.equal((await h.get('/api/v1/lists', created.key)).status, 401);
    await assert.rejects(run(process.execPath, ['cli/toofr.ts', 'keys', 'revoke', 'toofr_ffffffff'], { env }), (err: { code: number; stderr: string }) => err.code === 2 && /No key/.test(err.stderr));
  });
});
