/**
 * What the sidebar shows while a list runs: counts from the list (lookups) and from the sheet
 * write-back (results in the sheet, results held), whether results wait for a fresh Google
 * token, and a rough time left.
 */
import type { Pool } from '../../core/db/pool.ts';

export interface RunStatus {
  listId: string;
  /** finding: lookups running; writing: all found, results still going in; done; failed. */
  phase: 'finding' | 'writing' | 'done' | 'failed';
  total: number;
  processed: number;
  found: number;
  written: number;
  held: number;
  /** Sheet rows (1-based) whose results are held, first few, for the note in the sidebar. */
  heldRows: number[];
  heldReason: string | null;
  waitingForToken: boolean;
  rateLimited: boolean;
  etaSeconds: number | null;
  error: string | null;
}

export async function runStatus(pool: Pool, listId: string, accountId: number): Promise<RunStatus | undefined> {
  const { rows: [r] } = await pool.query<{
    status: string; total_rows: number; bad_rows: number; processed: number; found: number; error: string | null;
    finished: boolean; elapsed_s: number; state: string; written: number; held: number; retry_at: Date | null; last_error: string | null;
  }>(
    `SELECT l.status, l.total_rows, l.bad_rows, l.processed, l.found, l.error,
            (l.finished_at IS NOT NULL OR l.status IN ('failed', 'cancelled')) AS finished,
            extract(epoch FROM now() - l.created_at) AS elapsed_s,
            s.state, s.written, s.held, s.retry_at, s.last_error
       FROM lists l JOIN sheet_lists s ON s.list_id = l.id
      WHERE l.id = $1 AND l.account_id = $2`,
    [listId, accountId],
  );
  if (!r) return undefined;
  const { rows: held } = await pool.query<{ row_number: number; held_reason: string }>(
    `SELECT row_number, held_reason FROM sheet_rows WHERE list_id = $1 AND written_at IS NULL AND held_reason IS NOT NULL ORDER BY row_number LIMIT 20`,
    [listId],
  );
  const { rows: [count] } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM sheet_rows WHERE list_id = $1', [listId]);
  const total = count!.n;
  // Rows the importer refused count as processed: they get their reason in the Status column.
  const processed = Math.min(total, r.processed + r.bad_rows);
  const rate = processed / Math.max(1, Number(r.elapsed_s));
  const failed = r.status === 'failed' || r.status === 'cancelled';
  const phase = failed ? 'failed' : !r.finished ? 'finding' : r.state === 'written' ? 'done' : 'writing';
  return {
    listId,
    phase,
    total,
    processed,
    found: r.found,
    written: r.written,
    held: r.held,
    heldRows: held.map((h) => h.row_number),
    heldReason: held[0]?.held_reason ?? null,
    waitingForToken: r.state === 'waiting_for_token',
    rateLimited: r.retry_at !== null && r.retry_at.getTime() > Date.now(),
    etaSeconds: phase === 'finding' && processed > 0 ? Math.ceil((total - processed) / rate) : null,
    error: failed ? (r.error ?? 'The list could not be processed.') : r.last_error,
  };
}
