/**
 * lookup: one find/verify/pattern/company asked from Slack or the API. These have their own queue and
 * workers at the highest priority, so a single lookup never waits behind a 10,000-row list.
 */
import type { Job } from 'pg-boss';
import type { FindInput } from '../../core/engine/types.ts';
import type { EnrichContext } from '../../core/enricher.ts';
import { QUEUES, QUEUE_OPTIONS, type Payloads } from '../../core/queue/queues.ts';
import type { WorkerContext } from '../context.ts';
import type { LookupKind } from '../../core/lookups.ts';
import { CompanyInputError } from '../../core/classify/company-store.ts';

export const QUEUE = QUEUES.lookup;

export function handler(ctx: WorkerContext) {
  return async ([job]: Job<Payloads['lookup']>[]) => {
    const { lookupId } = job!.data;
    const { rows: [lookup] } = await ctx.pool.query<{ kind: LookupKind; input: Record<string, string>; status: string }>(
      'SELECT kind, input, status FROM lookups WHERE id = $1',
      [lookupId],
    );
    if (!lookup || lookup.status !== 'pending') return;
    const ectx = { signal: job!.signal, attempt: job!.retryCount };
    const fail = (message: string) =>
      ctx.pool.query(`UPDATE lookups SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status = 'pending'`, [lookupId, message]);
    try {
      const result = await answer(ctx, lookup.kind, lookup.input, ectx);
      await ctx.pool.query(`UPDATE lookups SET status = 'done', result = $2, finished_at = now() WHERE id = $1 AND status = 'pending'`, [lookupId, JSON.stringify(result)]);
    } catch (err) {
      // Not a company domain at all: the asker's mistake, which no retry fixes.
      if (err instanceof CompanyInputError) await fail(err.message);
      else if (job!.retryCount < (QUEUE_OPTIONS.lookup.retryLimit ?? 0)) throw err;
      else await fail((err as Error).message);
    }
    await ctx.pool.query(`SELECT pg_notify('toofr_lookup_finished', $1)`, [lookupId]);
  };
}

function answer(ctx: WorkerContext, kind: LookupKind, input: Record<string, string>, ectx: EnrichContext) {
  switch (kind) {
    case 'find':
      return ctx.enricher.find(input as FindInput, ectx);
    case 'verify':
      return ctx.enricher.verify(input.email ?? '', ectx);
    case 'pattern':
      return ctx.enricher.pattern(input.domain ?? '', ectx);
    case 'company':
      return ctx.companies.classify(input.domain ?? '', { refresh: Boolean(input.refresh) });
  }
}
