/** The per-domain company cache in Postgres (`domains.company`): one fetch per domain until it ages out. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { openDatabase, type Database } from '../../core/db/index.ts';
import { classifyCompanyCached, createCompanyStore, COMPANY_MAX_AGE_DAYS } from '../../core/classify/company-store.ts';
import type { CompanyResult } from '../../core/classify/company.ts';
import { dropSchemas, testLogger, testSettings } from '../helpers/db.ts';

let db: Database;
let server: http.Server;
let port = 0;
let hits = 0;
let clock = new Date('2026-01-01T00:00:00Z');

before(async () => {
  const settings = testSettings('classify.cache');
  await dropSchemas(settings);
  db = await openDatabase(settings, testLogger(), { poolMax: 2 });
  server = http.createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<title>Brandworks – creative advertising agency</title><body><nav><a>Work</a><a>Clients</a></nav><h1>Campaigns for brands</h1><p>Case studies. Start a project.</p></body>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await db.close();
});

describe('company cache', () => {
  const deps = () => ({
    settings: { web: { allowPrivate: true }, dns: { servers: undefined } },
    store: createCompanyStore(db.pool, { now: () => clock }),
    fetch: { resolveHost: async () => ['127.0.0.1'], ports: { http: port, https: 1 } },
    domainOptions: { allowReserved: true },
  });

  it('fetches a domain once, answers from Postgres after, and re-checks when it is too old', async () => {
    const first = await classifyCompanyCached('https://www.Brandworks.test/about', deps());
    assert.equal(first.domain, 'brandworks.test');
    assert.equal(first.cached, false);
    assert.equal(first.industry, 'marketing_advertising');
    assert.equal(first.is_agency, true);
    const fetchesAfterFirst = hits;
    assert.ok(fetchesAfterFirst >= 1);

    const second = await classifyCompanyCached('brandworks.test', deps());
    assert.equal(second.cached, true);
    assert.equal(second.industry, 'marketing_advertising');
    assert.equal(second.checked_at, clock.toISOString());
    assert.equal(hits, fetchesAfterFirst, 'no second fetch');

    const { rows } = await db.pool.query('SELECT company->>$2 AS industry FROM domains WHERE domain = $1', ['brandworks.test', 'industry']);
    assert.equal(rows[0].industry, 'marketing_advertising');

    clock = new Date(clock.getTime() + (COMPANY_MAX_AGE_DAYS + 1) * 86_400_000);
    const third = await classifyCompanyCached('brandworks.test', deps());
    assert.equal(third.cached, false);
    assert.ok(hits > fetchesAfterFirst);
  });

  it('keeps a timeout for a day only', async () => {
    const store = createCompanyStore(db.pool, { now: () => clock });
    const timedOut = { domain: 'slow.test', industry: 'unknown', website: { status: 'timeout', ms: 8000, truncated: false } } as CompanyResult;
    await store.save(timedOut);
    const later = (hours: number) => createCompanyStore(db.pool, { now: () => new Date(clock.getTime() + hours * 3_600_000) });
    assert.equal((await later(12).get('slow.test'))?.website.status, 'timeout');
    assert.equal(await later(25).get('slow.test'), undefined);
  });

  it('says which of a list\'s domains need reading: new ones, old answers, timeouts after a day', async () => {
    const store = createCompanyStore(db.pool, { now: () => clock });
    await store.save({ domain: 'fresh.test', industry: 'software', website: { status: 'ok', ms: 5, truncated: false } } as CompanyResult);
    await store.save({ domain: 'flaky.test', industry: 'unknown', website: { status: 'timeout', ms: 8000, truncated: false } } as CompanyResult);
    const at = (hours: number) => createCompanyStore(db.pool, { now: () => new Date(clock.getTime() + hours * 3_600_000) });
    const asked = ['fresh.test', 'flaky.test', 'never.test'];
    assert.deepEqual((await at(1).stale(asked)).sort(), ['never.test']);
    assert.deepEqual((await at(25).stale(asked)).sort(), ['flaky.test', 'never.test']);
    assert.deepEqual((await at(24 * (COMPANY_MAX_AGE_DAYS + 1)).stale(asked)).sort(), ['flaky.test', 'fresh.test', 'never.test']);
    assert.deepEqual(await store.stale([]), []);
  });

  it('refuses input that is not a company domain, saying what to give', async () => {
    await assert.rejects(classifyCompanyCached('10.0.0.1', deps()), /company domain such as acme\.com/);
  });
});
