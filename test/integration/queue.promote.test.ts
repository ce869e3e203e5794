/**
 * Moving a deferring domain's waiting records ahead (core/queue/boss.ts `promoteGroups`, used by
 * worker/jobs/record.enrich.ts): it writes pg-boss's job table directly, so this pins down that
 * it still does what it should against the pg-boss version in use.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Services } from '../../core/services.ts';
import type { Logger } from '../../core/logger.ts';
import { promoteGroups } from '../../core/queue/boss.ts';
import { PRIORITY, QUEUES } from '../../core/queue/queues.ts';
import { freshServices } from '../helpers/db.ts';
import { promoteDeferredDomains, type Outcome, type RecordRow } from '../../worker/jobs/record.enrich.ts';
import type { WorkerContext } from '../../worker/context.ts';

describe('promoting a domain\'s waiting record jobs', () => {
  let services: Services;
  let log: Logger;
  before(async () => {
    ({ services, log } = await freshServices('queue.promote'));
  });
  after(async () => {
    await services.close();
  });

  const queueJobs = async (groups: string[]) => {
    await services.boss.insert(QUEUES.recordEnrich, groups.map((g, i) => ({ data: { recordId: i, listId: 'l' }, group: { id: g } })));
  };
  const drain = async () => {
    const order: string[] = [];
    for (;;) {
      const jobs = await services.boss.fetch<{ recordId: number }>(QUEUES.recordEnrich, { batchSize: 1 });
      if (!jobs.length) return order;
      const { rows } = await services.db.pool.query<{ group_id: string }>(`SELECT group_id FROM ${services.db.queueSchema}.job WHERE id = $1`, [jobs[0]!.id]);
      order.push(rows[0]!.group_id);
      await services.boss.complete(QUEUES.recordEnrich, jobs[0]!.id);
    }
  };

  it('moves only the named groups\' waiting jobs ahead, and leaves a delayed re-check where it is', async () => {
    await queueJobs(['a.com', 'b.com', 'slow.com', 'c.com', 'slow.com']);
    await services.boss.send(QUEUES.recordEnrich, { recordId: 99, listId: 'l' }, { group: { id: 'slow.com' }, startAfter: 3600, priority: PRIORITY.recheck });
    const moved = await promoteGroups(services.db.pool, services.boss, QUEUES.recordEnrich, ['slow.com'], PRIORITY.recheck);
    assert.equal(moved, 2, 'the two waiting slow.com jobs, not the one due in an hour');
    assert.deepEqual(await drain(), ['slow.com', 'slow.com', 'a.com', 'b.com', 'c.com']);
  });

  it('does it once per domain from record outcomes: first looks that were deferred (greylisting), nothing else', async () => {
    await queueJobs(['x.com', 'grey.com', 'y.com', 'grey.com']);
    const rec = (domain: string, attempts: number): RecordRow => ({ id: 1, list_id: 'l', input: {}, domain, status: 'pending', attempts });
    const recheck = (domain: string, attempts: number, retry_kind = 'deferred'): Outcome => ({ kind: 'recheck', rec: rec(domain, attempts), answer: { status: 'rechecking', retry_kind } as never });
    const ctx = { pool: services.db.pool, boss: services.boss, log } as unknown as WorkerContext;
    // A re-check that is itself deferred again says nothing new; a first look does.
    const priorities = async (group: string) =>
      (await services.db.pool.query<{ priority: number }>(`SELECT priority FROM ${services.db.queueSchema}.job WHERE group_id = $1 AND state = 'created' ORDER BY priority`, [group])).rows.map((r) => r.priority);
    await promoteDeferredDomains(ctx, [recheck('y.com', 1), recheck('grey.com', 0), recheck('x.com', 0, 'slow_down')]);
    assert.deepEqual(await priorities('grey.com'), [PRIORITY.recheck, PRIORITY.recheck]);
    assert.deepEqual(await priorities('y.com'), [0], 'a re-check that was deferred again says nothing new');
    assert.deepEqual(await priorities('x.com'), [0], 'a server that asked us to slow down gets nothing sooner');
    assert.deepEqual(await drain(), ['grey.com', 'grey.com', 'x.com', 'y.com']);
    // The same domain again soon after: already done once, nothing is written.
    await queueJobs(['grey.com']);
    await promoteDeferredDomains(ctx, [recheck('grey.com', 0)]);
    assert.deepEqual(await priorities('grey.com'), [0]);
    await drain();
  });
});
