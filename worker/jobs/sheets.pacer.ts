/**
 * Pacing for the Sheets API, shared by every worker process through Postgres (an in-memory
 * limiter would let N workers make N times the quota). Each bucket is a sliding window: at most
 * `limit` requests in any `windowMs`. Google refills its per-minute quotas every minute, so a
 * sliding window of 60 s never exceeds them, whatever the alignment of Google's minute.
 *
 * A request takes a slot in every bucket it belongs to (the project, the user, the spreadsheet)
 * or in none: `tryAcquire` is all-or-nothing, under transaction-scoped advisory locks taken in
 * a fixed order so two workers never deadlock (the SQL function `sheets_try_acquire`).
 */
import type { Pool } from '../../core/db/pool.ts';

export interface Bucket {
  key: string;
  limit: number;
  windowMs: number;
}

export type Acquired = { ok: true } | { ok: false; waitMs: number };

/**
 * Takes one slot in each bucket, or none and says how long to wait. `nowMs` is for tests that
 * simulate minutes of load in a moment; in production the database clock is the one clock all
 * workers share.
 */
export async function tryAcquire(pool: Pool, buckets: readonly Bucket[], nowMs?: number): Promise<Acquired> {
  // One statement (core/db/migrations/006_sheets.sql): the slots are checked and taken under
  // advisory locks held by that statement's transaction.
  const { rows: [r] } = await pool.query<{ wait: number }>('SELECT sheets_try_acquire($1, $2, $3, $4) AS wait', [
    buckets.map((b) => b.key), buckets.map((b) => b.limit), buckets.map((b) => b.windowMs), nowMs ?? null,
  ]);
  const waitMs = Number(r!.wait);
  return waitMs > 0 ? { ok: false, waitMs: Math.ceil(waitMs) } : { ok: true };
}

export interface PaceSettings {
  writeIntervalMs: number;
  userRequestsPerMinute: number;
  projectRequestsPerMinute: number;
}

/**
 * The buckets of one write-back round: a read (to check the rows are still where they were) and
 * a write. Reads and writes have separate quotas of the same size at Google, so separate buckets.
 */
export function flushBuckets(p: PaceSettings, accountId: number, spreadsheetId: string): Bucket[] {
  const minute = 60_000;
  return [
    { key: `spreadsheet:${spreadsheetId}`, limit: 1, windowMs: p.writeIntervalMs },
    { key: `user-read:${accountId}`, limit: p.userRequestsPerMinute, windowMs: minute },
    { key: `user-write:${accountId}`, limit: p.userRequestsPerMinute, windowMs: minute },
    { key: 'project-read', limit: p.projectRequestsPerMinute, windowMs: minute },
    { key: 'project-write', limit: p.projectRequestsPerMinute, windowMs: minute },
  ];
}
