/**
 * sheets.write: writes a Sheets list's finished results into its sheet, round after round,
 * until every result is in (or held with a reason). One job per list at a time: each round
 * queues the next one, at the time the pacing or backoff says; when the user's token has
 * expired the loop stops, and the web process restarts it when the add-on forwards a new one.
 */
import type { Job } from 'pg-boss';
import { QUEUES, type Payloads } from '../../core/queue/queues.ts';
import type { WorkerContext } from '../context.ts';
import type { SheetsNotifier } from '../notifiers/sheets.ts';
import { requestWrite } from './sheets.store.ts';

export const QUEUE = QUEUES.sheetsWrite;

function sheetsNotifier(ctx: WorkerContext): SheetsNotifier | undefined {
  const n = ctx.notifiers.sheets as Partial<SheetsNotifier> | undefined;
  return n && typeof n.flush === 'function' ? (n as SheetsNotifier) : undefined;
}

export function handler(ctx: WorkerContext, sheets: SheetsNotifier) {
  return async ([job]: Job<Payloads['sheets.write']>[]) => {
    const { listId } = job!.data;
    const outcome = await sheets.flush(listId);
    if (outcome.next === 'later') await requestWrite(ctx.boss, listId, outcome.inMs);
  };
}

/** Runs the queue when the Sheets integration is configured (its notifier is present). */
export async function start(ctx: WorkerContext): Promise<void> {
  const sheets = sheetsNotifier(ctx);
  if (!sheets) return;
  await ctx.boss.work(QUEUE, { localConcurrency: 4, pollingIntervalSeconds: 0.5 }, handler(ctx, sheets));
}
