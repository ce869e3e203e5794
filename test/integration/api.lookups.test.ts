/** API v1 find / verify / pattern / company / lookups: answers, validation, deadlines (202 then poll), quota. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { getLookup } from '../../core/lookups.ts';
import { createApiRouter } from '../../bot/api/index.ts';
import { errorOf, fixtureCompanies, startApiHarness, type ApiHarness } from './api.harness.ts';

describe('API lookups', () => {
  let h: ApiHarness;
  let sites: Awaited<ReturnType<typeof fixtureCompanies>>;
  before(async () => {
    sites = await fixtureCompanies();
    h = await startApiHarness('api.lookups', {}, { companies: sites.companies });
  });
  after(async () => {
    await h.close();
    await sites.close();
  });

  it('should find an address from first, last and company', async () => {
    const res = await h.get('/api/v1/find?first=Jane&last=Doe&company=acme.com');
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.status, 'done');
    assert.equal(body.kind, 'find');
    assert.equal(body.data.email, 'jane.doe@acme.com');
    assert.equal(body.data.confidence, 90);
    assert.match(body.id, /^[0-9a-f-]{36}$/);
  });

  it('should accept full_name and a website as the company', async () => {
    const res = await h.get(`/api/v1/find?full_name=${encodeURIComponent('Ann Lee')}&company=${encodeURIComponent('https://www.beta.io/about')}`);
    assert.equal(res.status, 200);
    const body = await res.json();
    const row = await getLookup(h.services.db.pool, body.id, h.accountA);
    assert.deepEqual(row?.input, { full_name: 'Ann Lee', domain: 'https://www.beta.io/about' });
  });

  it('should verify an address and read a pattern', async () => {
    const v = await h.get('/api/v1/verify?email=jane%40acme.com');
    assert.equal(v.status, 200);
    assert.equal((await v.json()).data.verification, 'valid');
    const p = await h.get('/api/v1/pattern?domain=acme.com');
    assert.equal(p.status, 200);
    assert.equal((await p.json()).data.pattern, '{first}.{last}');
  });

  it('should classify a company from its homepage: industry with NAICS, agency, top 3, evidence and the page read', async () => {
    const res = await h.get(`/api/v1/company?domain=${encodeURIComponent('https://www.Brandworks.com/about')}`);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.status, 'done');
    assert.equal(body.kind, 'company');
    const c = body.data;
    assert.equal(c.domain, 'brandworks.com');
    assert.equal(c.industry, 'marketing_advertising');
    assert.equal(c.industry_name, 'Marketing & Advertising');
    assert.equal(c.naics, '5418');
    assert.ok(c.confidence >= 0.3 && c.confidence <= 1, `confidence ${c.confidence}`);
    assert.equal(c.is_agency, true);
    assert.ok(c.agency_confidence >= 0.5);
    assert.equal(c.top3.length, 3);
    assert.equal(c.top3[0].industry, 'marketing_advertising');
    assert.ok(c.evidence.length > 0);
    assert.equal(c.website.status, 'ok');
    assert.match(c.website.url, /^http:\/\/(www\.)?brandworks\.com/);
    assert.equal(c.cached, false);
    assert.ok(!Number.isNaN(Date.parse(c.checked_at)));
    // The lookup keeps the domain, not the URL it was read from.
    assert.deepEqual((await getLookup(h.services.db.pool, body.id, h.accountA))?.input, { domain: 'brandworks.com' });

    // An address at the company is the same company, answered from the cache without a fetch…
    const fetched = sites.hits();
    const again = await (await h.get('/api/v1/company?domain=jane%40brandworks.com')).json();
    assert.equal(again.data.cached, true);
    assert.equal(again.data.industry, 'marketing_advertising');
    assert.equal(sites.hits(), fetched, 'no second fetch');
    // …unless asked to read the homepage again.
    const fresh = await h.get('/api/v1/company?domain=brandworks.com&refresh=true');
    assert.equal(fresh.status, 200);
    const refreshed = await fresh.json();
    assert.equal(refreshed.data.cached, false);
    assert.ok(sites.hits() > fetched, 'fetched again');
    assert.deepEqual((await getLookup(h.services.db.pool, refreshed.id))?.input, { domain: 'brandworks.com', refresh: true });
  });

  it('should answer a company without a website as industry unknown with the reason, not as an error', async () => {
    const res = await h.get('/api/v1/company?domain=acme.com');
    assert.equal(res.status, 200);
    const c = (await res.json()).data;
    assert.equal(c.domain, 'acme.com');
    assert.equal(c.industry, 'unknown');
    assert.equal(c.naics, null);
    assert.equal(c.is_agency, false);
    assert.equal(c.website.status, 'no_website');
    assert.ok(c.website.reason, 'says why the website could not be read');
  });

  it('should keep unicode and SQL-looking input verbatim', async () => {
    const first = "Robert'); DROP TABLE lists;--";
    const res = await h.get(`/api/v1/find?first=${encodeURIComponent(first)}&last=${encodeURIComponent('Müller-Øystein 李')}&company=acme.com`);
    assert.equal(res.status, 200);
    const { id } = await res.json();
    const row = await getLookup(h.services.db.pool, id);
    assert.deepEqual(row?.input, { first, last: 'Müller-Øystein 李', domain: 'acme.com' });
    const { rows } = await h.services.db.pool.query(`SELECT to_regclass('lists') IS NOT NULL AS exists`);
    assert.equal(rows[0].exists, true, 'the lists table is still there');
  });

  const bad: [string, string, RegExp][] = [
    ['no name', '/api/v1/find?company=acme.com', /first and last/],
    ['no company', '/api/v1/find?first=Jane&last=Doe', /company/],
    ['only a first name', '/api/v1/find?first=Jane&company=acme.com', /first and last/],
    ['an empty name', '/api/v1/find?first=%20&last=Doe&company=acme.com', /first must not be empty/],
    ['a repeated parameter', '/api/v1/find?first=Jane&first=Joan&last=Doe&company=acme.com', /first must be given once/],
    ['a control character', '/api/v1/find?first=Ja%00ne&last=Doe&company=acme.com', /control characters/],
    ['a 300-character name', `/api/v1/find?first=${'a'.repeat(300)}&last=Doe&company=acme.com`, /at most 100/],
    ['max_duration over 20 s', '/api/v1/find?first=Jane&last=Doe&company=acme.com&max_duration=21', /at most 20/],
    ['max_duration not a number', '/api/v1/find?first=Jane&last=Doe&company=acme.com&max_duration=soon', /number of seconds/],
    ['no email', '/api/v1/verify', /email/],
    ['a bad email', '/api/v1/verify?email=jane.acme.com', /address such as/],
    ['an email with spaces', '/api/v1/verify?email=jane%20doe%40acme.com', /address such as/],
    ['an SQL-ish email', `/api/v1/verify?email=${encodeURIComponent("x' OR 1=1;--@acme.com")}`, /address such as/],
    ['a domain without a dot', '/api/v1/pattern?domain=localhost', /domain or website/],
    ['a bad lookup id', '/api/v1/lookups/1%20OR%201=1', /UUID/],
    ['a company without a domain', '/api/v1/company', /domain is required.*\?domain=acme\.com/],
    ['a company with an empty domain', '/api/v1/company?domain=%20', /domain must not be empty.*acme\.com/],
    ['a company name instead of a domain', '/api/v1/company?domain=Acme%20Inc', /company domain such as acme\.com/],
    ['an IP address as a company', '/api/v1/company?domain=10.0.0.1', /IP address, not a company domain.*\?domain=acme\.com/],
    ['a company URL on an IP address', `/api/v1/company?domain=${encodeURIComponent('http://127.0.0.1/admin')}`, /IP address/],
    ['a repeated company domain', '/api/v1/company?domain=acme.com&domain=beta.io', /domain must be given once/],
    ['refresh that is not true or false', '/api/v1/company?domain=acme.com&refresh=maybe', /refresh must be true or false/],
    ['a company with max_duration over 20 s', '/api/v1/company?domain=acme.com&max_duration=60', /at most 20/],
  ];
  for (const [what, path, message] of bad) {
    it(`should answer 400 for ${what}`, async () => {
      const res = await h.get(path);
      assert.equal(res.status, 400);
      const e = await errorOf(res);
      assert.equal(e.code, 'invalid_request');
      assert.match(e.message, message);
    });
  }

  it('should stop any request at the hard deadline with 503, whatever it waits on', async () => {
    // The same router with a 150 ms backstop instead of 25 s, and a lookup asked to wait 20 s
    // ("Slow" lookups wait for the gate, opened only by the next test).
    const app = express();
    app.use('/api/v1', createApiRouter({ settings: h.settings, pool: h.services.db.pool, boss: h.services.boss, log: h.log, lookups: h.waiter }, { hardDeadlineMs: 150 }));
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/find?first=Slow&last=Backstop&company=acme.com&max_duration=20`, {
        headers: { authorization: `Bearer ${h.keyA}` },
      });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '5');
      assert.equal((await errorOf(res)).code, 'deadline_exceeded');
      assert.ok(performance.now() - started < 5000, 'stopped at the backstop, not at max_duration');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('should answer 202 with a poll URL past max_duration, and the answer on the poll later', async () => {
    const started = performance.now();
    const res = await h.get('/api/v1/find?first=Slow&last=Poke&company=acme.com&max_duration=0.5');
    const ms = performance.now() - started;
    assert.equal(res.status, 202);
    const body = await res.json();
    assert.equal(body.status, 'pending');
    assert.equal(body.poll, `/api/v1/lookups/${body.id}`);
    assert.equal(res.headers.get('location'), body.poll);
    // The 0.5 s budget counts from the request's arrival, less a 50 ms margin for the reply.
    assert.ok(ms >= 350 && ms < 1500, `answered at its deadline (${ms.toFixed(0)} ms)`);

    const stillPending = await h.get(body.poll);
    assert.equal(stillPending.status, 202);
    assert.equal((await stillPending.json()).status, 'pending');
    // Another account polling the same id learns nothing.
    assert.equal((await h.get(body.poll, h.keyB)).status, 404);

    h.slow.open();
    const done = await h.waiter.wait(h.services.db.pool, body.id, 20_000);
    assert.equal(done?.status, 'done');
    const polled = await h.get(body.poll);
    assert.equal(polled.status, 200);
    const answer = await polled.json();
    assert.equal(answer.status, 'done');
    assert.equal(answer.data.email, 'slow.poke@acme.com');
  });

  it('should answer a slow company with 202 and a poll URL, and the classification on the poll later', async () => {
    // slowco.com's name resolves only once the gate opens: the homepage read outlives the request.
    const res = await h.get('/api/v1/company?domain=slowco.com&max_duration=0.5');
    assert.equal(res.status, 202);
    const body = await res.json();
    assert.equal(body.status, 'pending');
    assert.equal(body.poll, `/api/v1/lookups/${body.id}`);
    assert.equal(res.headers.get('location'), body.poll);
    assert.equal((await h.get(body.poll)).status, 202);
    assert.equal((await h.get(body.poll, h.keyB)).status, 404, 'another account learns nothing');

    sites.slow.open();
    const done = await h.waiter.wait(h.services.db.pool, body.id, 20_000);
    assert.equal(done?.status, 'done');
    const polled = await h.get(body.poll);
    assert.equal(polled.status, 200);
    const answer = await polled.json();
    assert.equal(answer.kind, 'company');
    assert.equal(answer.data.domain, 'slowco.com');
    assert.equal(answer.data.industry, 'marketing_advertising');
    assert.equal(answer.data.is_agency, true);
  });

  it('should answer 404 for a lookup id that does not exist', async () => {
    const res = await h.get('/api/v1/lookups/00000000-0000-4000-8000-000000000000');
    assert.equal(res.status, 404);
    assert.equal((await errorOf(res)).code, 'not_found');
  });

  it('should refuse finds past the monthly quota, counting only finds that found an address', async () => {
    const q = await h.app({ MONTHLY_LOOKUP_QUOTA: '2' });
    const { key } = await (await import('../../core/api-keys.ts')).createApiKey(
      h.services.db.pool,
      await (await import('../../core/lists/store.ts')).ensureAccount(h.services.db.pool, 'api', 'quota-user'),
    );
    const find = (name: string) => fetch(`${q.base}/api/v1/find?full_name=${name}&company=acme.com`, { headers: { authorization: `Bearer ${key}` } });
    // A one-word name gives the stand-in engine nothing to guess: not found, so not counted.
    for (let i = 0; i < 3; i++) {
      const r = await find('Nobody');
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as { data: { email: string | null } }).data.email, null);
    }
    assert.equal((await find('Ann%20X')).status, 200);
    assert.equal((await find('Bob%20X')).status, 200);
    // Verifications never count and stay available.
    assert.equal((await fetch(`${q.base}/api/v1/verify?email=a@acme.com`, { headers: { authorization: `Bearer ${key}` } })).status, 200);
    const refused = await find('Cy%20X');
    assert.equal(refused.status, 429);
    // Company lookups find no address: they never count and stay available past the quota.
    const company = await fetch(`${q.base}/api/v1/company?domain=acme.com`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(company.status, 200);
    assert.equal(((await company.json()) as { kind: string }).kind, 'company');
    assert.ok(Number(refused.headers.get('retry-after')) > 0, 'Retry-After until the month renews');
    const e = await errorOf(refused);
    assert.equal(e.code, 'quota_exceeded');
    assert.match(e.message, /quota of 2/);
  });
});
