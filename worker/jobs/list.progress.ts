/** list.progress: tells the list's source (a Slack message, a Sheet's status) how far it got. */
import type { Job } from 'pg-boss';
import { getList } from '../../core/lists/store.ts';
import { QUEUES, type Payloads } from '../../core/queue/queues.ts';
import type { WorkerContext } from '../context.ts';

export const QUEUE = QUEUES.listProgress;

export function handler(ctx: WorkerContext) {
  return async ([job]: Job<Payloads['list.progress']>[]) => {
    const list = await getList(ctx.pool, job!.data.listId);
    // Once delivery is under way, the final message replaces progress; a late update would undo it.
    if (!list || !['importing', 'running'].includes(list.status)) return;
    await ctx.notifiers[list.source]?.progress?.(list, { pool: ctx.pool, log: ctx.log, signal: job!.signal });
  };
}
