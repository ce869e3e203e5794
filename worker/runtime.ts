/**
 * Registers every job handler on pg-boss with the fetch settings that keep the slots busy.
 *
 * Why these numbers: with pg-boss's defaults (one job per fetch, 2 s polling) 50 slots run about
 * 25 jobs/s — each worker sleeps between polls even when work is waiting. Fetching small batches
 * and fetching again at once while batches come back full (`burstWhenBatchFull`) keeps the
 * slots busy: see docs/benchmarks.md (bench:queue) for the measured effect.
 */
import type { WorkerContext } from './context.ts';
import * as listImport from './jobs/list.import.ts';
import * as recordEnrich from './jobs/record.enrich.ts';
import * as listProgress from './jobs/list.progress.ts';
import * as listDeliver from './jobs/list.deliver.ts';
import * as lookup from './jobs/lookup.ts';

/** Records per fetch. Small, because a batch's slots wait for its slowest record. */
export const RECORD_BATCH = 5;

/**
 * Stopping is pg-boss's graceful stop (Services.close): no new fetches, running handlers get the
 * grace period, and whatever is still running then is failed so another worker retries it at once.
 */
export async function startWorker(ctx: WorkerContext): Promise<void> {
  const { boss } = ctx;
  const batch = Math.min(RECORD_BATCH, ctx.concurrency);
  await boss.work(
    recordEnrich.QUEUE,
    {
      batchSize: batch,
      localConcurrency: Math.max(1, Math.ceil(ctx.concurrency / batch)),
      burstWhenBatchFull: true,
      perJobResults: true,
      pollingIntervalSeconds: 0.5,
      groupConcurrency: ctx.perDomainConcurrency,
    },
    recordEnrich.handler(ctx),
  );
  await boss.work(lookup.QUEUE, { localConcurrency: 10, pollingIntervalSeconds: 0.5 }, lookup.handler(ctx));
  await boss.work(listImport.QUEUE, { localConcurrency: 2, pollingIntervalSeconds: 0.5 }, listImport.handler(ctx));
  await boss.work(listProgress.QUEUE, { localConcurrency: 2, pollingIntervalSeconds: 0.5 }, listProgress.handler(ctx));
  await boss.work(listDeliver.QUEUE, { localConcurrency: 2, pollingIntervalSeconds: 0.5 }, listDeliver.handler(ctx));
  ctx.log.info({ concurrency: ctx.concurrency, batch }, 'worker started');
}
