/**
 * What the Sheets write-back keeps in Postgres, shared by the web process (which records a
 * sheet's rows and the user's forwarded token) and the workers (which write results back).
 */
import type pg from 'pg';
import type { Pool, PoolClient } from '../../core/db/pool.ts';
import type { Boss } from '../../core/queue/boss.ts';
import { PRIORITY, QUEUES } from '../../core/queue/queues.ts';

type Queryable = Pool | PoolClient | pg.Client;

/**
 * Google access tokens live about an hour and the add-on cannot tell how much of it is left, so
 * a token is trusted for a little less; a 401 from Google retires it sooner.
 */
export const TOKEN_TRUST_MS = 50 * 60 * 1000;

/** The person's result columns: every run has them. */
export type ResultRole = 'email' | 'confidence' | 'status';
/**
 * The company's columns (industry display name; agency Yes/No). Optional: runs started by an
 * add-on older than these columns have none, and then none are written.
 */
export type CompanyRole = 'industry' | 'is_agency';
export type OutputRole = ResultRole | CompanyRole;
export const RESULT_ROLES: readonly ResultRole[] = ['email', 'confidence', 'status'];
export const COMPANY_ROLES: readonly CompanyRole[] = ['industry', 'is_agency'];
export const OUTPUT_HEADERS: Record<OutputRole, string> = { email: 'Email', confidence: 'Confidence', status: 'Status', industry: 'Industry', is_agency: 'Agency' };
export type OutputColumns = Record<ResultRole, OutputColumn> & Partial<Record<CompanyRole, OutputColumn>>;

export interface OutputColumn {
  /** 0-based column index. */
  index: number;
  /** The header cell as written, to find the column again if the user inserts columns. */
  header: string;
}

export interface SheetListRow {
  list_id: string;
  account_id: number;
  spreadsheet_id: string;
  sheet_id: number;
  header_row: number;
  input_columns: number[];
  output_columns: OutputColumns;
  state: 'writing' | 'waiting_for_token' | 'written';
  written: number;
  held: number;
  rate_limited: number;
  retry_at: Date | null;
  write_requests: number;
  last_error: string | null;
}

/** The key that recognises a row: its input cells as displayed, in column order. */
export function rowKey(cells: readonly unknown[]): string {
  return cells.map((c) => String(c ?? '').trim()).join('\u001f');
}

export async function saveToken(db: Queryable, accountId: number, accessToken: string): Promise<void> {
  await db.query(
    `INSERT INTO google_tokens (account_id, access_token, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
     ON CONFLICT (account_id) DO UPDATE SET access_token = EXCLUDED.access_token, expires_at = EXCLUDED.expires_at,
            rejected_at = CASE WHEN google_tokens.access_token = EXCLUDED.access_token THEN google_tokens.rejected_at END,
            updated_at = now()`,
    [accountId, accessToken, TOKEN_TRUST_MS],
  );
}

/** The user's token if it is still worth trying, else undefined (results then wait). */
export async function usableToken(db: Queryable, accountId: number): Promise<string | undefined> {
  const { rows } = await db.query<{ access_token: string }>(
    'SELECT access_token FROM google_tokens WHERE account_id = $1 AND rejected_at IS NULL AND expires_at > now()',
    [accountId],
  );
  return rows[0]?.access_token;
}

/** Google refused this token: stop using it until the add-on forwards another. */
export async function rejectToken(db: Queryable, accountId: number, accessToken: string): Promise<void> {
  await db.query('UPDATE google_tokens SET rejected_at = now() WHERE account_id = $1 AND access_token = $2', [accountId, accessToken]);
}

/**
 * Asks a worker to write this list's results soon. At most one such job waits per list (the
 * queue is `stately`, keyed by list id), so callers may ask as often as they like.
 */
export async function requestWrite(boss: Boss, listId: string, inMs = 0): Promise<void> {
  await boss.send(QUEUES.sheetsWrite, { listId }, {
    singletonKey: listId,
    priority: PRIORITY.list,
    ...(inMs > 0 ? { startAfter: new Date(Date.now() + inMs) } : {}),
  });
}

/** Lists of this account whose results are not all in their sheet yet. */
export async function unwrittenLists(db: Queryable, accountId: number): Promise<string[]> {
  const { rows } = await db.query<{ list_id: string }>(
    `SELECT list_id FROM sheet_lists WHERE account_id = $1 AND (state <> 'written' OR held > 0)`,
    [accountId],
  );
  return rows.map((r) => r.list_id);
}

export async function getSheetList(db: Queryable, listId: string): Promise<SheetListRow | undefined> {
  const { rows } = await db.query<SheetListRow>('SELECT * FROM sheet_lists WHERE list_id = $1', [listId]);
  return rows[0];
}
