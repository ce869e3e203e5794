/** Single lookups go through their own high-priority queue and never wait behind a bulk list. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Settings } from '../../core/config.ts';
import type { Services } from '../../core/services.ts';
import { ensureAccount, getList } from '../../core/lists/store.ts';
import { LookupWaiter, getLookup, requestLookup } from '../../core/lookups.ts';
import { freshServices } from '../helpers/db.ts';
import { fakeEnricher } from '../helpers/fake-enricher.ts';
import { startTestWorker, submitCsv, waitForList } from '../helpers/pipeline.ts';

describe('single lookups', () => {
  let settings: Settings;
  let services: Services;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let waiter: LookupWaiter;

  before(async () => {
    const made = await freshServices('lookups');
    ({ settings, services } = made);
    worker = await startTestWorker(services, made.log, fakeEnricher({ delayMs: 100 }), { concurrency: 20 });
    waiter = new LookupWaiter({ url: settings.databaseUrl!, schema: settings.databaseSchema, log: made.log });
    await waiter.start();
  });
  after(async () => {
    await waiter.stop();
    await worker.stop(1000);
    await services.close();
  });

  it('should answer a lookup while a bulk list keeps every record slot busy', async () => {
    const lines = ['first,last,domain'];
    for (let i = 0; i < 1000; i++) lines.push(`A${i},B${i},bulk${i % 10}.com`);
    const listId = await submitCsv(services, lines.join('\n'));
    const accountId = await ensureAccount(services.db.pool, 'slack', 'T123', 'Acme workspace');
    // Wait until the list is really under way before asking.
    for (;;) {
      const l = await getList(services.db.pool, listId);
      if (l && l.processed > 0) break;
      await new Promise((r) => setImmediate(r));
    }
    const id = await requestLookup(services.db.pool, services.boss, accountId, 'find', { first: 'Jane', last: 'Doe', domain: 'acme.com' });
    const answer = await waiter.wait(services.db.pool, id, 30_000);
    assert.ok(answer, 'answered');
    assert.equal(answer.status, 'done');
    assert.equal((answer.result as { email: string }).email, 'jane.doe@acme.com');
    const list = (await getList(services.db.pool, listId))!;
    assert.ok(list.processed < 1000, `the lookup finished before the list (list at ${list.processed}/1000)`);
    await waitForList(settings, services, listId);
  });

  it('should keep an answer for polling, scoped to its account', async () => {
    const a = await ensureAccount(services.db.pool, 'api', 'owner-a');
    const b = await ensureAccount(services.db.pool, 'api', 'owner-b');
    const id = await requestLookup(services.db.pool, services.boss, a, 'verify', { email: 'jane@acme.com' });
    const done = await waiter.wait(services.db.pool, id, 30_000);
    assert.equal(done?.status, 'done');
    assert.equal((await getLookup(services.db.pool, id, a))?.id, id);
    assert.equal(await getLookup(services.db.pool, id, b), undefined, "another account's id is not found");
    assert.equal(await getLookup(services.db.pool, 'not-a-uuid'), undefined);
  });

  it('should give up at the deadline, then deliver the answer to a later wait', async () => {
    const acct = await ensureAccount(services.db.pool, 'api', 'deadline');
    // A pending lookup with no job: nothing will answer it until we do.
    const { rows: [row] } = await services.db.pool.query<{ id: string }>(
      `INSERT INTO lookups (account_id, kind, input) VALUES ($1, 'pattern', '{"domain":"acme.com"}') RETURNING id`,
      [acct],
    );
    assert.equal(await waiter.wait(services.db.pool, row!.id, 50), undefined, 'still pending at the deadline');
    const later = waiter.wait(services.db.pool, row!.id, 30_000);
    await services.db.pool.query(`UPDATE lookups SET status = 'done', result = '{"pattern":"{first}"}' WHERE id = $1`, [row!.id]);
    await services.db.pool.query(`SELECT pg_notify('toofr_lookup_finished', $1)`, [row!.id]);
    assert.deepEqual((await later)?.result, { pattern: '{first}' });
  });
});
