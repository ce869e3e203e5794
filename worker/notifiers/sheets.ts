/**
 * The Sheets notifier: results go back into the sheet progressively, by the `sheets.write`
 * loop (worker/jobs/sheets.write.ts). Progress and delivery each run a round too, so a sheet
 * also fills when that loop is between jobs; rounds are paced and one at a time per list, so
 * the extra calls never add requests beyond the quotas.
 *
 * Delivery's round is also the company sweep's first chance: list.deliver has just classified
 * every company of the list, so the Industry and Agency cells still empty can be filled.
 */
import type { Settings } from '../../core/config.ts';
import type { Pool } from '../../core/db/pool.ts';
import type { Logger } from '../../core/logger.ts';
import type { ListNotifier } from './types.ts';
import { flushList, type FlushOutcome } from '../jobs/sheets.flush.ts';

export interface SheetsNotifier extends ListNotifier {
  /** One write-back round for a list (used by the sheets.write job). */
  flush(listId: string): Promise<FlushOutcome>;
}

export function createSheetsNotifier(deps: { settings: Settings; pool: Pool; log: Logger }): SheetsNotifier {
  const flushDeps = { pool: deps.pool, log: deps.log, apiUrl: deps.settings.google.apiUrl, pace: deps.settings.google.sheets };
  const flush = (listId: string) => flushList(flushDeps, listId);
  return {
    flush,
    async progress(list) {
      await flush(list.id);
    },
    async deliver(list, ctx) {
      // Never throws for a missing token or a 429: the results wait in Postgres and the
      // sheets.write loop (or the next token from the add-on) finishes the job.
      // list.deliver classified every company of the list before calling this.
      await flushList(flushDeps, list.id, { companiesFinal: true }).catch((err: unknown) => ctx.log.warn({ err, listId: list.id }, 'sheet write-back round failed; it will be retried'));
    },
  };
}
