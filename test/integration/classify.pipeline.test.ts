/**
 * Company classification as part of a list: once per distinct domain, cached across lists, in the
 * results file as `industry` and `is_agency`, and completed by list.deliver when list.classify
 * has not (crashed, slow). Homepages come from a local server chosen by Host header.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import type { Settings } from '../../core/config.ts';
import type { Services } from '../../core/services.ts';
import type { Logger } from '../../core/logger.ts';
import type { Companies } from '../../core/classify/companies.ts';
import { localWebsites, type LocalWebsites } from '../helpers/websites.ts';
import { getList } from '../../core/lists/store.ts';
import { resultsCsv } from '../../core/lists/results.ts';
import { freshServices } from '../helpers/db.ts';
import { fakeEnricher } from '../helpers/fake-enricher.ts';
import { startTestWorker, submitCsv, waitForList } from '../helpers/pipeline.ts';
import { until } from '../helpers/until.ts';
import { handler as deliverHandler } from '../../worker/jobs/list.deliver.ts';
import { classifyListCompanies } from '../../worker/jobs/list.classify.ts';
import type { WorkerContext } from '../../worker/context.ts';

const PAGES: Record<string, string> = {
  'brandworks.test':
    '<title>Brandworks – creative advertising agency</title><meta name="description" content="Campaigns, branding and media buying for ambitious brands.">' +
    '<nav><a>Work</a><a>Clients</a><a>Case studies</a><a>Start a project</a></nav><h1>We make brands impossible to ignore</h1><p>Our clients include retailers and banks.</p>',
  'ledgerly.test':
    '<title>Ledgerly – accounting software for small businesses</title><nav><a>Product</a><a>Pricing</a><a>Integrations</a><a>Log in</a></nav>' +
    '<h1>Invoicing and bookkeeping in one app</h1><p>Start your free trial. Connect your bank, send invoices, export to your accountant. API and integrations.</p>',
};

async function csvRows(services: Services, listId: string): Promise<string[][]> {
  const list = (await getList(services.db.pool, listId))!;
  let text = '';
  for await (const chunk of resultsCsv(services.db.pool, list)) text += chunk;
  return parse(text.replace(/^\uFEFF/, '')) as string[][];
}

/** A list is delivered, and its list.classify job (which may run after delivery) has finished too. */
async function settled(settings: Settings, services: Services, listId: string): Promise<void> {
  await waitForList(settings, services, listId);
  await until('list.classify to finish', async () => {
    const { rows } = await services.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${services.db.queueSchema}.job WHERE name = 'list.classify' AND data->>'listId' = $1 AND state IN ('created', 'retry', 'active')`,
      [listId],
    );
    return rows[0]!.n === 0;
  });
}

describe('company classification in the list pipeline', () => {
  let settings: Settings;
  let services: Services;
  let log: Logger;
  let sites: LocalWebsites;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let companies: Companies;
  let hits: Map<string, number>;

  before(async () => {
    // Only the two fixture companies have a website; every other name does not resolve.
    sites = await localWebsites((host) => PAGES[host.replace(/^www\./, '')]);
    hits = sites.hits;
    ({ settings, services, log } = await freshServices('classify.pipeline'));
    companies = sites.companies(services.db.pool);
    worker = await startTestWorker(services, log, fakeEnricher(), { companies });
  });
  after(async () => {
    await worker.stop(1000);
    await services.close();
    await sites.close();
  });

  it('should classify each company once and add industry and is_agency to the results', async () => {
    const csv = [
      'First,Last,Company',
      'Ann,Lee,brandworks.test',
      'Bo,Ray,https://www.brandworks.test/team',
      'Cy,Fox,brandworks.test',
      'Di,Ng,ledgerly.test',
      'Ed,Oh,ledgerly.test',
      'Flo,Park,nosite.test',
      'Gus,Quinn,gmail.com',
      ',Nobody,brandworks.test',
    ].join('\n');
    const id = await submitCsv(services, csv);
    const list = await waitForList(settings, services, id);
    await settled(settings, services, id);
    assert.equal(list.status, 'done');

    const rows = await csvRows(services, id);
    const header = rows[0]!;
    assert.deepEqual(header.slice(-2), ['industry', 'is_agency'], 'the company columns come after all the others');
    const col = (name: string) => header.indexOf(name);
    const byName = new Map(rows.slice(1).map((r) => [`${r[0]} ${r[1]}`, r]));
    for (const name of ['Ann Lee', 'Bo Ray', 'Cy Fox']) {
      assert.equal(byName.get(name)![col('industry')], 'Marketing & Advertising', name);
      assert.equal(byName.get(name)![col('is_agency')], 'true', name);
    }
    for (const name of ['Di Ng', 'Ed Oh']) {
      assert.equal(byName.get(name)![col('industry')], 'Software & Internet', name);
      assert.equal(byName.get(name)![col('is_agency')], 'false', name);
    }
    // No website: tried, nothing to read. Webmail is not a company. A skipped row has no company.
    assert.deepEqual(byName.get('Flo Park')!.slice(col('industry')), ['Unknown', '']);
    assert.deepEqual(byName.get('Gus Quinn')!.slice(col('industry')), ['', '']);
    assert.deepEqual(byName.get(' Nobody')!.slice(col('industry')), ['', '']);
    assert.match(byName.get(' Nobody')![col('status')]!, /^skipped/);

    // One page request per company, however many of its people the list holds.
    assert.equal(hits.get('brandworks.test'), 1);
    assert.equal(hits.get('ledgerly.test'), 1);
    const { rows: cached } = await services.db.pool.query<{ domain: string }>('SELECT domain FROM domains WHERE company IS NOT NULL ORDER BY domain');
    assert.deepEqual(cached.map((r) => r.domain), ['brandworks.test', 'ledgerly.test', 'nosite.test']);
  });

  it('should answer a later list from the cache without fetching again', async () => {
    const before = new Map(hits);
    const id = await submitCsv(services, 'First,Last,Company\nHal,Ito,brandworks.test\nIvy,Jo,ledgerly.test\n');
    await settled(settings, services, id);
    const rows = await csvRows(services, id);
    assert.deepEqual(rows.slice(1).map((r) => r.slice(-2)), [['Marketing & Advertising', 'true'], ['Software & Internet', 'false']]);
    assert.deepEqual(hits, before);
  });

  it('should stop starting websites past its time budget, leaving those companies without an industry', async () => {
    const id = await submitCsv(services, 'First,Last,Company\nKai,Lo,ledgerly.test\n');
    await settled(settings, services, id);
    await services.db.pool.query(`UPDATE domains SET company = NULL, company_checked_at = NULL WHERE domain = 'ledgerly.test'`);
    const fetchesBefore = hits.get('ledgerly.test') ?? 0;
    const ctx = { pool: services.db.pool, boss: services.boss, log, companies } as unknown as WorkerContext;
    assert.deepEqual(await classifyListCompanies(ctx, id, undefined, 0), { classified: 0, failed: 0, skipped: 1 });
    assert.equal(hits.get('ledgerly.test') ?? 0, fetchesBefore);
    assert.deepEqual((await csvRows(services, id))[1]!.slice(-2), ['', '']);
  });

  it('should classify at delivery what list.classify left undone', async () => {
    const id = await submitCsv(services, 'First,Last,Company\nJo,Kim,ledgerly.test\n');
    await settled(settings, services, id);
    // As if list.classify had crashed before reaching this company: no answer cached, and the
    // list's delivery still to come.
    await services.db.pool.query(`UPDATE domains SET company = NULL, company_checked_at = NULL WHERE domain = 'ledgerly.test'`);
    await services.db.pool.query(`UPDATE lists SET delivered_at = NULL, status = 'delivering' WHERE id = $1`, [id]);
    const fetchesBefore = hits.get('ledgerly.test') ?? 0;
    const ctx = { pool: services.db.pool, boss: services.boss, log, enricher: fakeEnricher(), companies, notifiers: {} } as unknown as WorkerContext;
    await deliverHandler(ctx)([{ id: 'again', name: 'list.deliver', data: { listId: id }, signal: new AbortController().signal } as never]);
    assert.equal(hits.get('ledgerly.test'), fetchesBefore + 1);
    const rows = await csvRows(services, id);
    assert.deepEqual(rows[1]!.slice(-2), ['Software & Internet', 'false']);
    assert.equal((await getList(services.db.pool, id))!.status, 'done');
  });
});
