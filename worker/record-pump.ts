/**
 * Keeps WORKER_CONCURRENCY record lookups running at once, all the time.
 *
 * Why not `boss.work()`: its workers fetch a batch, run it, complete it, and only then fetch
 * again, so every slot idles through a fetch, our writes and a completion per batch, and a batch
 * waits for its slowest record (one slow mail server idles the others). Measured with a 50 ms
 * job at 50 slots that caps throughput near 70–78 % of the ideal (docs/benchmarks.md). The pump
 * instead:
 *   - keeps a few claimed jobs (with their records) ready beside the running ones, so a slot that
 *     frees starts its next lookup at once instead of waiting for a fetch round trip;
 *   - fetches to refill that buffer as soon as it runs low (one query for many jobs);
 *   - starts each job on its own, so a slow record holds only its own slot;
 *   - settles finished records in small groups, writing results and completing their jobs in
 *     ONE transaction (so a record's result and its job's completion commit together: a crash
 *     can only leave both undone, and the job then runs again);
 *   - sends heartbeats for running jobs, so a SIGKILLed worker's jobs come back in seconds;
 *   - on stop, lets running lookups finish within the grace period, settles them, and hands the
 *     rest back to the queue (failed now, retried by another worker at once).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Job, JobAttempt } from 'pg-boss';
import { withTransaction } from '../core/db/pool.ts';
import { inTransaction } from '../core/queue/boss.ts';
import { QUEUE_OPTIONS, type Payloads } from '../core/queue/queues.ts';
import type { WorkerContext } from './context.ts';
import { QUEUE, enrichOne, loadRecords, progressNotifier, promoteDeferredDomains, recheckDelaySeconds, settle, type Outcome, type RecordRow } from './jobs/record.enrich.ts';

export interface PumpOptions {
  /** How long to wait before asking again when the queue had nothing for us. */
  idlePollMs?: number;
  /** Claimed jobs kept ready beside the running ones. Default: a fifth of the concurrency. */
  prefetch?: number;
}

export interface RecordPump {
  stop(graceMs: number): Promise<void>;
  /** Lookups running now (for tests and metrics). */
  running(): number;
  /** Jobs were just queued (by this process's import): fetch now rather than at the next poll. */
  wake(): void;
}

interface Running {
  attempt: JobAttempt;
  abort: AbortController;
}

interface Finished {
  attempt: JobAttempt;
  outcome: Outcome;
}

export function startRecordPump(ctx: WorkerContext, opts: PumpOptions = {}): RecordPump {
  const idlePollMs = opts.idlePollMs ?? 500;
  const prefetch = opts.prefetch ?? Math.max(1, Math.ceil(ctx.concurrency / 5));
  const running = new Map<string, Running>();
  const ready: { job: Job<Payloads['record.enrich']>; rec: RecordRow | undefined }[] = [];
  const finished: Finished[] = [];
  const progress = progressNotifier(ctx);
  let stopping = false;
  let wake: (() => void) | undefined;
  const wakeFetcher = () => {
    wake?.();
    wake = undefined;
  };

  // --- settling: one transaction at a time, taking everything finished so far ----------------
  let settling: Promise<void> | undefined;
  const settleSoon = () => {
    settling ??= (async () => {
      while (finished.length) {
        const group = finished.splice(0);
        try {
          await withTransaction(ctx.pool, async (client) => {
            // The result is written with synchronous_commit off: the job's completion below is
            // in the same transaction, and if the commit is lost in a database crash, so is the
            // completion, and the job simply runs again.
            await client.query('SET LOCAL synchronous_commit = off');
            await settle(ctx, client, group.map((f) => f.outcome));
            const db = inTransaction(client);
            const done = group.filter((f) => f.outcome.kind !== 'error' || f.outcome.last).map((f) => f.attempt);
            if (done.length) await ctx.boss.complete(QUEUE, done, null, { db });
            for (const f of group) {
              if (f.outcome.kind === 'error' && !f.outcome.last) await ctx.boss.fail(QUEUE, [f.attempt], { message: f.outcome.error.message }, { db });
            }
          });
          progress(group.map((f) => f.outcome));
          void promoteDeferredDomains(ctx, group.map((f) => f.outcome));
          wakeForRechecks(group);
        } catch (err) {
          // Nothing was written: the jobs stay active and come back after their heartbeat lapses.
          ctx.log.error({ err, jobs: group.length }, 'could not save finished lookups; they will be retried');
        }
      }
      settling = undefined;
    })();
  };

  // A re-check queued here becomes due in a second or more; near the end of a list few lookups
  // finish to wake the fetcher, so without this it would notice only at its next idle poll.
  const recheckTimers = new Set<NodeJS.Timeout>();
  const wakeForRechecks = (group: Finished[]) => {
    const delays = new Set(group.flatMap((f) => (f.outcome.kind === 'recheck' ? [recheckDelaySeconds(f.outcome.answer)] : [])));
    for (const seconds of delays) {
      if (seconds * 1000 > idlePollMs * 20) continue; // far off: the idle poll finds it
      const t = setTimeout(() => {
        recheckTimers.delete(t);
        wakeFetcher();
      }, seconds * 1000 + 50);
      t.unref();
      recheckTimers.add(t);
    }
  };

  // --- heartbeats for everything claimed and not yet settled --------------------------------
  const heartbeatSeconds = QUEUE_OPTIONS['record.enrich'].heartbeatSeconds ?? 0;
  const heartbeat = heartbeatSeconds
    ? setInterval(() => {
        const attempts = [...running.values()].map((r) => r.attempt)
          .concat(finished.map((f) => f.attempt), ready.map((r) => ({ id: r.job.id, retryCount: r.job.retryCount })));
        if (attempts.length) ctx.boss.touch(QUEUE, attempts).catch((err: unknown) => ctx.log.warn({ err }, 'heartbeat failed'));
      }, (heartbeatSeconds * 1000) / 2)
    : undefined;
  heartbeat?.unref();

  // --- running one job ----------------------------------------------------------------------
  const startReady = () => {
    while (!stopping && running.size < ctx.concurrency && ready.length) {
      const { job, rec } = ready.shift()!;
      const abort = new AbortController();
      const attempt = { id: job.id, retryCount: job.retryCount };
      running.set(job.id, { attempt, abort });
      void enrichOne(ctx, rec, job.retryCount, abort.signal).then((outcome) => {
        running.delete(job.id);
        // An aborted lookup (shutdown) is handed back, not settled as a result.
        if (!abort.signal.aborted) {
          finished.push({ attempt, outcome });
          settleSoon();
        }
        startReady();
        wakeFetcher();
      });
    }
  };

  // --- fetching: fill free slots as they free up --------------------------------------------
  const fetcher = (async () => {
    while (!stopping) {
      const free = ctx.concurrency + prefetch - running.size - ready.length;
      if (free <= 0) {
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      let jobs: Job<Payloads['record.enrich']>[] = [];
      try {
        jobs = await ctx.boss.fetch<Payloads['record.enrich']>(QUEUE, { batchSize: free, groupConcurrency: ctx.perDomainConcurrency });
        if (jobs.length) {
          const records = await loadRecords(ctx, jobs.map((j) => j.data.recordId));
          for (const job of jobs) ready.push({ job, rec: records.get(job.data.recordId) });
          startReady();
        }
      } catch (err) {
        if (stopping) break;
        ctx.log.error({ err }, 'could not fetch record jobs; retrying');
      }
      if (jobs.length < free) {
        // The queue (or the per-domain caps) had fewer jobs than free slots: ask again when a
        // lookup finishes, or after a short pause.
        const woken = new Promise<void>((r) => (wake = r));
        await Promise.race([woken, delay(idlePollMs)]);
      }
    }
  })();

  return {
    running: () => running.size,
    wake: wakeFetcher,
    async stop(graceMs) {
      stopping = true;
      wakeFetcher();
      await fetcher;
      const deadline = performance.now() + graceMs;
      while (running.size && performance.now() < deadline) {
        await Promise.race([new Promise<void>((r) => (wake = r)), delay(Math.max(1, deadline - performance.now()))]);
      }
      const leftovers = [...running.values(), ...ready.splice(0).map((r) => ({ attempt: { id: r.job.id, retryCount: r.job.retryCount }, abort: new AbortController() }))];
      for (const r of leftovers) r.abort.abort(new Error('worker shutting down'));
      running.clear();
      if (heartbeat) clearInterval(heartbeat);
      for (const t of recheckTimers) clearTimeout(t);
      settleSoon();
      await settling;
      if (leftovers.length) {
        await ctx.boss
          .fail(QUEUE, leftovers.map((r) => r.attempt), { message: 'worker shut down before this lookup finished; retrying elsewhere' })
          .catch((err: unknown) => ctx.log.warn({ err }, 'could not hand back unfinished lookups; they return after their heartbeat lapses'));
      }
    },
  };
}
