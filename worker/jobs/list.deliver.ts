/**
 * list.deliver: the list is finished (or its file could not be read): hand the results to where
 * the list came from, then mark it done. The results themselves live in the records, so a failed
 * delivery is simply retried later and can never lose them.
 */
import type { Job } from 'pg-boss';
import { getList } from '../../core/lists/store.ts';
import { QUEUES, type Payloads } from '../../core/queue/queues.ts';
import type { WorkerContext } from '../context.ts';
import { classifyListCompanies } from './list.classify.ts';

export const QUEUE = QUEUES.listDeliver;

/** How long delivery may spend reading the websites list.classify has not read yet. */
export const DELIVERY_CLASSIFY_BUDGET_MS = 60_000;

export function handler(ctx: WorkerContext) {
  return async ([job]: Job<Payloads['list.deliver']>[]) => {
    const { listId } = job!.data;
    const list = await getList(ctx.pool, listId);
    if (!list || list.delivered_at) return;
    // The file carries each company's industry: whatever list.classify has not done yet (it was
    // slow, or crashed) is done now; usually that is nothing. Websites never hold a list's
    // results back for long: past the budget, the companies left show no industry.
    if (list.status !== 'failed') {
      const { skipped } = await classifyListCompanies(ctx, listId, job!.signal, DELIVERY_CLASSIFY_BUDGET_MS);
      if (skipped) ctx.log.info({ listId, skipped }, 'delivering without the industry of companies whose websites were not read in time');
    }
    await ctx.notifiers[list.source]?.deliver?.(list, { pool: ctx.pool, log: ctx.log, signal: job!.signal });
    await ctx.pool.query(
      `UPDATE lists SET delivered_at = now(), updated_at = now(),
              status = CASE WHEN status = 'delivering' THEN 'done' ELSE status END
        WHERE id = $1`,
      [listId],
    );
    await ctx.pool.query(`SELECT pg_notify('toofr_list_finished', $1)`, [listId]);
    ctx.log.info({ listId, status: list.status, processed: list.processed, found: list.found }, 'list delivered');
  };
}
