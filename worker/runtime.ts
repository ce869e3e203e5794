/**
 * Starts every job handler of a worker process. With pg-boss's defaults (one job per fetch,
 * 2 s polling) 50 slots would run about 25 jobs/s; see worker/record-pump.ts for how record jobs
 * keep all slots busy, and docs/benchmarks.md (bench:queue) for the measured effect.
 */
import type { WorkerContext } from './context.ts';
import * as listImport from './jobs/list.import.ts';
import { startRecordPump } from './record-pump.ts';
import * as listProgress from './jobs/list.progress.ts';
import * as listDeliver from './jobs/list.deliver.ts';
import * as listClassify from './jobs/list.classify.ts';
import * as lookup from './jobs/lookup.ts';
import * as sheetsWrite from './jobs/sheets.write.ts';

/** Single lookups at once per worker process: they mostly wait on mail servers. */
export const LOOKUP_CONCURRENCY = 50;

export interface RunningWorker {
  /** Stops taking record jobs, lets running ones finish within `graceMs`, hands back the rest. */
  stop(graceMs: number): Promise<void>;
}

/**
 * Record jobs run in the pump (worker/record-pump.ts); the other queues are low-volume and use
 * pg-boss's own workers, stopped by pg-boss's graceful stop (Services.close).
 */
export async function startWorker(ctx: WorkerContext): Promise<RunningWorker> {
  const { boss } = ctx;
  // Lookups: woken by NOTIFY when one is sent; while a backlog remains (more lookups than
  // workers) each worker fetches again at once instead of waiting for the next notification
  // (pg-boss's cached ready count, refreshed every few seconds, must exceed 1).
  await boss.work(lookup.QUEUE, { localConcurrency: LOOKUP_CONCURRENCY, pollingIntervalSeconds: 0.5, burstWhenReadyExceeds: 1 }, lookup.handler(ctx));
  // The import wakes this process's pump as it queues record jobs: the first lookups start
  // while the rest of the file is read, not half a poll interval later.
  let pump: ReturnType<typeof startRecordPump> | undefined;
  await boss.work(listImport.QUEUE, { localConcurrency: 2, pollingIntervalSeconds: 0.5 }, listImport.handler({ ...ctx, recordsQueued: () => pump?.wake() }));
  await boss.work(listProgress.QUEUE, { localConcurrency: 2, pollingIntervalSeconds: 0.5 }, listProgress.handler(ctx));
  await boss.work(listClassify.QUEUE, { localConcurrency: 2, pollingIntervalSeconds: 0.5 }, listClassify.handler(ctx));
  await boss.work(listDeliver.QUEUE, { localConcurrency: 2, pollingIntervalSeconds: 0.5 }, listDeliver.handler(ctx));
  await sheetsWrite.start(ctx); // only when the Sheets notifier is configured
  // Started last: if registering a queue above fails, no pump is left running.
  pump = startRecordPump(ctx);
  ctx.log.info({ concurrency: ctx.concurrency }, 'worker started');
  const started = pump;
  return { stop: (graceMs) => started.stop(graceMs) };
}
