/**
 * list.classify: the industry and agency answer for every company of a list, once per distinct
 * domain (core/classify, cached in `domains.company`). Queued when the import finishes, so the
 * homepages are read while the records are still being looked up; list.deliver runs the same
 * step again before it writes the file, which then only finds what is missing (a crashed or
 * slow classify job costs the results file nothing).
 */
import type { Job } from 'pg-boss';
import { CompanyInputError } from '../../core/classify/company-store.ts';
import { isDisposable, isWebmail } from '../../core/engine/domain.ts';
import { QUEUES, type Payloads } from '../../core/queue/queues.ts';
import type { WorkerContext } from '../context.ts';

export const QUEUE = QUEUES.listClassify;

/** Homepages read at once for one list: they mostly wait on the network, and each site gets one request. */
export const CLASSIFY_CONCURRENCY = 8;

export function handler(ctx: WorkerContext) {
  return async ([job]: Job<Payloads['list.classify']>[]) => {
    const { classified, failed } = await classifyListCompanies(ctx, job!.data.listId, job!.signal);
    ctx.log.debug({ listId: job!.data.listId, classified, failed }, 'list companies classified');
  };
}

/**
 * Classifies the list's company domains that have no fresh answer yet. Webmail and disposable
 * domains are not companies and are left out. One domain's failure (a database hiccup while
 * saving) is logged and left for the next pass; it never stops the others.
 */
export async function classifyListCompanies(
  ctx: WorkerContext,
  listId: string,
  signal?: AbortSignal,
  /** Stop starting new domains after this many ms (what is left shows no industry). */
  budgetMs = Infinity,
): Promise<{ classified: number; failed: number; skipped: number }> {
  const { rows } = await ctx.pool.query<{ domain: string }>(
    'SELECT DISTINCT domain FROM records WHERE list_id = $1 AND domain IS NOT NULL',
    [listId],
  );
  const companies = rows.map((r) => r.domain).filter((d) => !isWebmail(d) && !isDisposable(d));
  const todo = await ctx.companies.store.stale(companies);
  let classified = 0;
  let failed = 0;
  let next = 0;
  const stopAt = performance.now() + budgetMs;
  const lane = async () => {
    while (next < todo.length && !signal?.aborted && performance.now() < stopAt) {
      const domain = todo[next++]!;
      try {
        // `refresh`: the query above already found no fresh answer, so skip reading the cache again.
        await ctx.companies.classify(domain, { refresh: true });
        classified++;
      } catch (err) {
        // A reserved name (.test, .internal) that only the mail checker was allowed to use.
        if (err instanceof CompanyInputError) continue;
        failed++;
        ctx.log.warn({ err, listId, domain }, 'could not classify a company; the results show it without an industry');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CLASSIFY_CONCURRENCY, todo.length) }, lane));
  return { classified, failed, skipped: todo.length - next };
}
