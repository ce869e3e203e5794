/**
 * record.enrich: runs the engine for one record and settles it: the steps (load, enrich, settle)
 * that the record pump (worker/record-pump.ts) drives, 50 at a time, settling finished records
 * in small batches.
 *
 * Idempotent: a record that is no longer `pending` is skipped, and a record is counted only by
 * the UPDATE that moves it out of `pending`, so a job that runs twice (at-least-once delivery
 * after a crash) cannot count twice or finish the list twice.
 */
import type { Job, JobResult } from 'pg-boss';
import { withTransaction, type PoolClient } from '../../core/db/pool.ts';
import type { FindAnswer, FindInput } from '../../core/engine/types.ts';
import { inTransaction, promoteGroups } from '../../core/queue/boss.ts';
import { MAX_RECHECKS, PRIORITY, QUEUES, QUEUE_OPTIONS, type Payloads } from '../../core/queue/queues.ts';
import { inputOf } from '../../core/lists/read-csv.ts';
import type { ColumnMapping } from '../../core/lists/columns.ts';
import type { WorkerContext } from '../context.ts';
import { queueDeliveryIfComplete } from '../delivery.ts';

export const QUEUE = QUEUES.recordEnrich;

export interface RecordRow {
  id: number;
  list_id: string;
  input: FindInput;
  /** The normalised company domain (null only for rows that were skipped at import). */
  domain: string | null;
  status: string;
  attempts: number;
}

export type Outcome =
  | { kind: 'skip' }
  | { kind: 'final'; rec: RecordRow; answer: FindAnswer }
  | { kind: 'recheck'; rec: RecordRow; answer: FindAnswer }
  | { kind: 'error'; rec: RecordRow; error: Error; last: boolean };

/** The records behind a set of jobs; records of a failed or cancelled list are left out. */
export async function loadRecords(ctx: WorkerContext, recordIds: number[]): Promise<Map<number, RecordRow>> {
  const { rows } = await ctx.pool.query<Omit<RecordRow, 'input'> & { raw: string[]; mapping: ColumnMapping | null; width: number | null }>(
    `SELECT r.id, r.list_id, r.raw, r.domain, r.status, r.attempts, l.mapping, jsonb_array_length(l.header) AS width
       FROM records r JOIN lists l ON l.id = r.list_id
      WHERE r.id = ANY($1::bigint[]) AND l.status NOT IN ('failed', 'cancelled')`,
    [recordIds],
  );
  return new Map(
    rows.map(({ raw, mapping, width, ...r }) => {
      // The lookup input is rebuilt from the row as read and the list's mapping (the import
      // stores only the domain it normalised), so it is exactly what the import checked.
      const input: FindInput = inputOf(raw, mapping ?? {}, width ?? raw.length);
      if (r.domain) input.domain = r.domain;
      return [r.id, { ...r, input }];
    }),
  );
}

/** Runs the engine for one record; never throws (a failure is an outcome to settle). */
export async function enrichOne(ctx: WorkerContext, rec: RecordRow | undefined, retryCount: number, signal: AbortSignal): Promise<Outcome> {
  if (!rec || rec.status !== 'pending') return { kind: 'skip' };
  try {
    const answer = await ctx.enricher.find(rec.input, { signal, attempt: rec.attempts });
    if (answer.status !== 'rechecking') return { kind: 'final', rec, answer };
    if (rec.attempts < MAX_RECHECKS) return { kind: 'recheck', rec, answer };
    // Out of re-checks: settle it as inconclusive rather than keep the list waiting.
    return { kind: 'final', rec, answer: { ...answer, status: 'unknown', reason: `still deferred after ${MAX_RECHECKS + 1} tries: ${answer.reason ?? 'temporary failure'}` } };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    const last = retryCount >= (QUEUE_OPTIONS['record.enrich'].retryLimit ?? 0);
    ctx.log.warn({ err: error, recordId: rec.id, retryCount, last }, 'record lookup failed');
    return { kind: 'error', rec, error, last };
  }
}

/**
 * A pg-boss batch handler over the same steps, for running record jobs through `boss.work`
 * (tests, and the benchmark's comparison with pg-boss's defaults). Production uses the pump in
 * worker/record-pump.ts, which settles jobs in the same transaction as their results.
 */
export function handler(ctx: WorkerContext) {
  const progress = progressNotifier(ctx);
  return async (jobs: Job<Payloads['record.enrich']>[]): Promise<JobResult[]> => {
    const records = await loadRecords(ctx, jobs.map((j) => j.data.recordId));
    const outcomes = await Promise.all(jobs.map((job) => enrichOne(ctx, records.get(job.data.recordId), job.retryCount, job.signal)));
    await withTransaction(ctx.pool, (client) => settle(ctx, client, outcomes));
    void promoteDeferredDomains(ctx, outcomes);
    progress(outcomes);
    return jobs.map((job, i) => {
      const o = outcomes[i]!;
      if (o.kind === 'error' && !o.last) return { id: job.id, status: 'failed', output: { message: o.error.message } };
      return { id: job.id, status: 'completed' };
    });
  };
}

/** Writes the outcomes: final results, counters (and the list's delivery once), re-checks. */
export async function settle(ctx: WorkerContext, client: PoolClient, outcomes: Outcome[]): Promise<void> {
  const finals: { id: number; status: 'done' | 'failed'; reason: string | null; answer: FindAnswer | null }[] = [];
  for (const o of outcomes) {
    if (o.kind === 'final') finals.push({ id: o.rec.id, status: 'done', reason: o.answer.reason ?? null, answer: o.answer });
    // After the last retry the record is settled as failed, so the list still finishes.
    if (o.kind === 'error' && o.last) finals.push({ id: o.rec.id, status: 'failed', reason: o.error.message, answer: null });
  }

  if (finals.length) {
    const { rows } = await client.query<{ list_id: string; found: boolean }>(
      `UPDATE records r SET status = u.status, reason = u.reason, email = u.email, confidence = u.confidence,
              verification = u.verification, pattern = u.pattern, result = u.result,
              attempts = r.attempts + 1, updated_at = now()
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::jsonb[])
              AS u(id, status, reason, email, confidence, verification, pattern, result)
        WHERE r.id = u.id AND r.status = 'pending'
        RETURNING r.list_id, (r.email IS NOT NULL) AS found`,
      [
        finals.map((f) => f.id),
        finals.map((f) => f.status),
        finals.map((f) => f.reason),
        finals.map((f) => f.answer?.email ?? null),
        finals.map((f) => f.answer?.confidence ?? null),
        finals.map((f) => f.answer?.verification ?? null),
        finals.map((f) => f.answer?.pattern ?? null),
        finals.map((f) => (f.answer ? JSON.stringify(f.answer) : null)),
      ],
    );
    const perList = new Map<string, { processed: number; found: number }>();
    for (const r of rows) {
      const c = perList.get(r.list_id) ?? { processed: 0, found: 0 };
      c.processed++;
      if (r.found) c.found++;
      perList.set(r.list_id, c);
    }
    // Lists in a stable order so two transactions never lock them in opposite orders.
    for (const [listId, c] of [...perList].sort(([a], [b]) => a.localeCompare(b))) {
      await client.query('UPDATE lists SET processed = processed + $2, found = found + $3, updated_at = now() WHERE id = $1', [listId, c.processed, c.found]);
      await queueDeliveryIfComplete(client, ctx.boss, listId);
    }
  }

  const rechecks = outcomes.filter((o): o is Extract<Outcome, { kind: 'recheck' }> => o.kind === 'recheck');
  if (rechecks.length) {
    // Greylisting and other temporary answers: keep the provisional answer ("unknown, re-checking")
    // on the record and look again later through the queue, never by sleeping in a handler.
    await client.query(
      `UPDATE records r SET attempts = r.attempts + 1, verification = 'unknown', result = u.result, updated_at = now()
         FROM unnest($1::bigint[], $2::jsonb[]) AS u(id, result) WHERE r.id = u.id AND r.status = 'pending'`,
      [rechecks.map((o) => o.rec.id), rechecks.map((o) => JSON.stringify(o.answer))],
    );
    await ctx.boss.insert(
      QUEUES.recordEnrich,
      rechecks.map((o) => ({
        data: { recordId: o.rec.id, listId: o.rec.list_id },
        priority: PRIORITY.recheck,
        startAfter: recheckDelaySeconds(o.answer),
        group: { id: o.rec.domain ?? 'none' },
      })),
      { db: inTransaction(client) },
    );
  }
}

// Domains whose waiting records were moved up lately, so each is moved once, not per record.
const promoted = new Map<string, number>();
const PROMOTE_AGAIN_AFTER_MS = 10 * 60_000;

/**
 * A first look that was deferred (greylisting: every new sender/recipient pair must come back
 * after a delay) means the domain's other records will be deferred too, each on its own clock.
 * Their first looks are moved ahead of the rest of the queue, so all the clocks start now and the
 * re-checks come due together — instead of the domain's last records being tried only at the end
 * of the list and keeping it open for one more greylisting delay (minutes, on real servers).
 * Best effort: a failure only leaves the order as it was.
 */
export function promoteDeferredDomains(ctx: WorkerContext, outcomes: Outcome[]): Promise<void> {
  const now = performance.now();
  // Only deferrals (greylisting): a server that asked us to slow down, or could not be reached,
  // gets nothing sooner.
  const domains = [...new Set(outcomes.flatMap((o) => (o.kind === 'recheck' && o.answer.retry_kind === 'deferred' && o.rec.attempts === 0 && o.rec.domain ? [o.rec.domain] : [])))]
    .filter((d) => now - (promoted.get(d) ?? -Infinity) > PROMOTE_AGAIN_AFTER_MS);
  if (!domains.length) return Promise.resolve();
  for (const d of domains) promoted.set(d, now);
  if (promoted.size > 10_000) promoted.delete(promoted.keys().next().value!);
  return promoteGroups(ctx.pool, ctx.boss, QUEUE, domains, PRIORITY.recheck).then(
    (moved) => void (moved && ctx.log.debug({ domains, moved }, 'moved the waiting records of deferring domains ahead')),
    (err: unknown) => ctx.log.warn({ err, domains }, 'could not move the waiting records of deferring domains ahead; they keep their place'),
  );
}

/** When a deferred record is looked at again (pg-boss `startAfter`, whole seconds). */
export function recheckDelaySeconds(answer: FindAnswer): number {
  return Math.max(1, Math.round(answer.retry_after_seconds ?? 300));
}

/** At most one progress job per list per interval from this process; pg-boss throttles across processes. */
export function progressNotifier(ctx: WorkerContext): (outcomes: Outcome[]) => void {
  const last = new Map<string, number>();
  return (outcomes) => {
    const now = performance.now();
    const lists = new Set(outcomes.flatMap((o) => (o.kind === 'skip' ? [] : [o.rec.list_id])));
    for (const listId of lists) {
      if (now - (last.get(listId) ?? -Infinity) < ctx.progressIntervalSeconds * 1000) continue;
      last.set(listId, now);
      if (last.size > 1000) last.delete(last.keys().next().value!);
      ctx.boss
        .sendThrottled(QUEUES.listProgress, { listId }, { priority: PRIORITY.list }, ctx.progressIntervalSeconds, listId)
        .catch((err: unknown) => ctx.log.warn({ err, listId }, 'could not queue a progress update'));
    }
  };
}
