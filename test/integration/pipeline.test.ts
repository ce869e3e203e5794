import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Settings } from '../../core/config.ts';
import type { Services } from '../../core/services.ts';
import type { Logger } from '../../core/logger.ts';
import { readRecords, outputStatus } from '../../core/lists/store.ts';
import { freshServices } from '../helpers/db.ts';
import { fakeEnricher } from '../helpers/fake-enricher.ts';
import { offlineCompanies, startTestWorker, submitCsv, waitForList } from '../helpers/pipeline.ts';
import { handler as enrichHandler } from '../../worker/jobs/record.enrich.ts';
import type { ListRow } from '../../core/lists/store.ts';

describe('the list pipeline on real Postgres', () => {
  let settings: Settings;
  let services: Services;
  let log: Logger;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  const enricher = fakeEnricher();
  const progress: ListRow[] = [];
  const delivered: ListRow[] = [];

  before(async () => {
    ({ settings, services, log } = await freshServices('pipeline'));
    worker = await startTestWorker(services, log, enricher, {
      progressIntervalSeconds: 1,
      notifiers: {
        slack: {
          progress: async (list) => void progress.push(list),
          deliver: async (list) => void delivered.push(list),
        },
      },
    });
  });
  after(async () => {
    await worker.stop(1000);
    await services.close();
  });

  it('should turn a 1,000-row CSV into 1,000 results in file order', async () => {
    const lines = ['First name,Last name,Company website'];
    for (let i = 0; i < 1000; i++) lines.push(`First${i},Last${i},https://www.company${i % 37}.com/about`);
    const id = await submitCsv(services, lines.join('\n'));
    const list = await waitForList(settings, services, id);
    assert.equal(list.status, 'done');
    assert.equal(list.total_rows, 1000);
    assert.equal(list.bad_rows, 0);
    assert.equal(list.processed, 1000);
    assert.equal(list.found, 1000);
    let i = 0;
    for await (const r of readRecords(services.db.pool, id, 300)) {
      assert.equal(r.ordinal, i);
      assert.equal(r.line, i + 2);
      assert.deepEqual(r.raw, [`First${i}`, `Last${i}`, `https://www.company${i % 37}.com/about`]);
      assert.equal(r.email, `first${i}.last${i}@company${i % 37}.com`);
      assert.equal(outputStatus(r), 'found');
      i++;
    }
    assert.equal(i, 1000);
  });

  it('should keep unusable rows with their reason and line number, and still finish', async () => {
    const csv = [
      'first,last,domain',
      'Ann,Lee,acme.com',
      ',Nobody,acme.com',
      'Bob,Stone,',
      'Cy,Young,Acme Inc',
      'Dee,Dale,beta.io',
    ].join('\n');
    const id = await submitCsv(services, csv);
    const list = await waitForList(settings, services, id);
    assert.equal(list.status, 'done');
    assert.equal(list.total_rows, 5);
    assert.equal(list.bad_rows, 3);
    assert.equal(list.processed, 2);
    const rows = [];
    for await (const r of readRecords(services.db.pool, id)) rows.push(r);
    assert.deepEqual(rows.map((r) => r.status), ['done', 'bad', 'bad', 'bad', 'done']);
    assert.deepEqual(rows.map((r) => r.line), [2, 3, 4, 5, 6]);
    assert.match(rows[1]!.reason!, /first name/);
    assert.match(rows[2]!.reason!, /company|domain/);
    assert.match(outputStatus(rows[3]!), /^skipped: /);
  });

  it('should fail a list whose file is unusable, saying why', async () => {
    const id = await submitCsv(services, 'Colour,Size\nred,10\n');
    const list = await waitForList(settings, services, id);
    assert.equal(list.status, 'failed');
    assert.match(list.error ?? '', /Colour/);
  });

  it('should finish a list where every row is bad', async () => {
    const id = await submitCsv(services, 'first,last,domain\nA,,x.com\n,B,y.com\n');
    const list = await waitForList(settings, services, id);
    assert.equal(list.status, 'done');
    assert.equal(list.bad_rows, 2);
    assert.equal(list.processed, 0);
  });

  it('should not redo or recount a record whose job runs twice', async () => {
    const id = await submitCsv(services, 'first,last,domain\nAnn,Lee,acme.com\n');
    const list = await waitForList(settings, services, id);
    const { rows: [rec] } = await services.db.pool.query<{ id: number }>('SELECT id FROM records WHERE list_id = $1', [id]);
    const callsBefore = enricher.calls;
    // The same job delivered again (at-least-once after a crash): nothing may change.
    const run = enrichHandler({ pool: services.db.pool, boss: services.boss, log, enricher, companies: offlineCompanies(services.db.pool), notifiers: {}, concurrency: 1, perDomainConcurrency: 1, progressIntervalSeconds: 60 });
    const results = await run([{ id: 'dup', name: 'record.enrich', data: { recordId: rec!.id, listId: id }, retryCount: 0, signal: new AbortController().signal, expireInSeconds: 60, heartbeatSeconds: null }]);
    assert.deepEqual(results, [{ id: 'dup', status: 'completed' }]);
    assert.equal(enricher.calls, callsBefore);
    const { rows: [again] } = await services.db.pool.query('SELECT processed, found, deliver_queued_at FROM lists WHERE id = $1', [id]);
    assert.equal(again.processed, list.processed);
    assert.equal(again.found, list.found);
  });

  it('should deliver a Slack list once and report progress only while it runs', async () => {
    const before = delivered.length;
    const lines = ['Full name,Email domain'];
    for (let i = 0; i < 50; i++) lines.push(`Person ${i},slack${i}.org`);
    const id = await submitCsv(services, lines.join('\n'), { source: 'slack' });
    await waitForList(settings, services, id);
    const mine = delivered.slice(before).filter((l) => l.id === id);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.status, 'delivering');
    assert.equal(mine[0]!.processed, 50);
    for (const p of progress.filter((l) => l.id === id)) assert.ok(['importing', 'running'].includes(p.status));
    const { rows: [jobs] } = await services.db.pool.query(
      `SELECT count(*)::int AS n FROM ${settings.databaseSchema}_queue.job WHERE name = 'list.deliver' AND data->>'listId' = $1`,
      [id],
    );
    assert.equal(jobs.n, 1);
  });
});
