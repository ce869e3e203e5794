/**
 * One write-back round for a Sheets list: the finished results not yet in the sheet go in with
 * one read and one write request, paced across all workers.
 *
 * Row identity: before writing, the round reads the input columns and finds each result's row
 * by its key (the input cells the add-on sent). A row still holding its key gets its result; a
 * row that moved (sort, insert, delete) is found again by its key when exactly one row has it;
 * otherwise the result is held in Postgres with a reason the sidebar shows, and tried again on
 * the next round. Cells that are not empty are never written: the user's own data wins.
 *
 * Company columns (Industry, Agency; only for runs whose add-on created them): a result written
 * while its company was still being classified goes in without them. Once the list is delivered
 * (list.deliver classifies every company of the list first), one more round — the company sweep —
 * fills the Industry and Agency cells still empty on every written row whose company is known,
 * in the same single read and single write as any round. The sweep runs when the run moves to
 * `written`; the loop waits for the delivery before it ends.
 *
 * Ranges address the sheet by its id (DataFilter gridRange), so renaming the sheet breaks
 * nothing; values go in as RAW, so a value starting with `=` never becomes a formula.
 */
import { OAuth2Client } from 'google-auth-library';
import { sheets as sheetsApi, type sheets_v4 } from 'googleapis/build/src/apis/sheets/index.js';
import type { Pool } from '../../core/db/pool.ts';
import type { Logger } from '../../core/logger.ts';
import { outputStatus, type ResultRecord } from '../../core/lists/store.ts';
import { flushBuckets, tryAcquire, type PaceSettings } from './sheets.pacer.ts';
import {
  COMPANY_ROLES, OUTPUT_HEADERS, RESULT_ROLES, rejectToken, rowKey, usableToken, type CompanyRole, type OutputRole, type SheetListRow,
} from './sheets.store.ts';

export interface FlushDeps {
  pool: Pool;
  log: Logger;
  /** Google APIs root (GOOGLE_API_URL), or Google's. */
  apiUrl: string | undefined;
  pace: PaceSettings;
}

export type FlushOutcome =
  | { next: 'done' }
  /** Come back in `inMs` (results still coming, pacing, or a 429 backoff). */
  | { next: 'later'; inMs: number }
  /** Results wait in Postgres until the add-on forwards a fresh access token. */
  | { next: 'token' };

/** Results per round; a round's request stays far below the 2 MB payload Google recommends. */
const ROUND_ROWS = 2000;
const MAX_BACKOFF_MS = 64_000;
/**
 * A list whose delivery has not come this long after it finished is taken as delivered for the
 * company columns (its deliver job is stuck): the loop fills what is known and ends.
 */
const DELIVERY_WAIT_LIMIT = '1 hour';

/** A row's company answer, as the results file has it (core/lists/store.ts readRecords). */
interface CompanyCells {
  /** Industry display name; null while the company is not classified (or has no domain). */
  industry: string | null;
  /** Null when the website could not be read. */
  is_agency: boolean | null;
}

interface Ready extends Pick<ResultRecord, 'status' | 'reason' | 'email' | 'confidence' | 'result'>, CompanyCells {
  ordinal: number;
  row_number: number;
  key: string;
}

/** A row already written, for the company sweep. */
interface Written extends CompanyCells {
  ordinal: number;
  row_number: number;
  key: string;
}

/** The company answer of a record, by its domain (the same expressions as readRecords). */
const COMPANY_SQL = `d.company->>'industry_name' AS industry,
            CASE WHEN d.company->'website'->>'status' = 'ok' THEN (d.company->>'is_agency')::boolean END AS is_agency`;

export interface FlushOptions {
  /**
   * Every company of the list is classified: list.deliver says so before its delivered_at is
   * set. Without it, a round knows from the list's delivered_at.
   */
  companiesFinal?: boolean;
}

export async function flushList(deps: FlushDeps, listId: string, opts: FlushOptions = {}): Promise<FlushOutcome> {
  const { pool } = deps;
  // One round per list at a time, whichever worker runs it (a session lock: the round spans
  // HTTP requests, not one transaction).
  const lockClient = await pool.connect();
  try {
    const { rows: [lock] } = await lockClient.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(hashtext(current_schema() || ':sheets-flush:' || $1)) AS ok`, [listId]);
    if (!lock!.ok) return { next: 'later', inMs: deps.pace.writeIntervalMs };
    try {
      return await round(deps, listId, opts);
    } finally {
      await lockClient.query(`SELECT pg_advisory_unlock(hashtext(current_schema() || ':sheets-flush:' || $1))`, [listId]);
    }
  } finally {
    lockClient.release();
  }
}

async function round(deps: FlushDeps, listId: string, opts: FlushOptions): Promise<FlushOutcome> {
  const { pool, log, pace } = deps;
  const { rows: [sl] } = await pool.query<SheetListRow & { list_status: string; finished: boolean; companies_final: boolean; retry_in_ms: number | null }>(
    `SELECT s.*, l.status AS list_status,
            (l.finished_at IS NOT NULL OR l.status IN ('failed', 'cancelled')) AS finished,
            (l.delivered_at IS NOT NULL OR l.status IN ('failed', 'cancelled') OR l.finished_at < now() - interval '${DELIVERY_WAIT_LIMIT}') AS companies_final,
            CASE WHEN s.retry_at > now() THEN extract(epoch FROM s.retry_at - now()) * 1000 END AS retry_in_ms
       FROM sheet_lists s JOIN lists l ON l.id = s.list_id WHERE s.list_id = $1`,
    [listId],
  );
  if (!sl) return { next: 'done' };

  const { rows: ready } = await pool.query<Ready>(
    `SELECT r.ordinal, r.row_number, r.key, rec.status, rec.reason, rec.email, rec.confidence, rec.result,
            ${COMPANY_SQL}
       FROM sheet_rows r JOIN records rec ON rec.list_id = r.list_id AND rec.ordinal = r.ordinal
       LEFT JOIN domains d ON d.domain = rec.domain
      WHERE r.list_id = $1 AND r.written_at IS NULL AND rec.status <> 'pending'
      ORDER BY r.ordinal LIMIT $2`,
    [listId, ROUND_ROWS],
  );
  const hasCompany = COMPANY_ROLES.some((role) => sl.output_columns[role] !== undefined);
  // Runs without company columns never wait for them.
  const companiesFinal = !hasCompany || opts.companiesFinal === true || sl.companies_final;
  // The company sweep: once, as the run ends (a held row retried later may repeat it: it only
  // fills cells still empty, so that costs a read and changes nothing the user typed).
  const sweep = hasCompany && sl.finished && companiesFinal && sl.state !== 'written';
  const written = sweep ? await writtenRows(pool, listId) : [];
  if (!ready.length && !written.length) {
    // Until the list is delivered, its companies may still be being classified: wait for them.
    if (!sl.finished || !companiesFinal) return { next: 'later', inMs: pace.writeIntervalMs };
    await pool.query(`UPDATE sheet_lists SET state = 'written', updated_at = now() WHERE list_id = $1`, [listId]);
    return { next: 'done' };
  }
  if (sl.retry_in_ms !== null) return { next: 'later', inMs: Math.ceil(Number(sl.retry_in_ms)) };

  const token = await usableToken(pool, sl.account_id);
  if (!token) {
    await pool.query(`UPDATE sheet_lists SET state = 'waiting_for_token', updated_at = now() WHERE list_id = $1`, [listId]);
    return { next: 'token' };
  }
  const paced = await tryAcquire(pool, flushBuckets(pace, sl.account_id, sl.spreadsheet_id));
  if (!paced.ok) return { next: 'later', inMs: paced.waitMs };

  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: token });
  // retry: false: 429 and 5xx are handled here, with pacing that all workers share.
  const api = sheetsApi({ version: 'v4', auth, retry: false, ...(deps.apiUrl ? { rootUrl: deps.apiUrl } : {}) });

  try {
    const grid = await readGrid(api, sl);
    const plan = planWrites(sl, grid, ready, written);
    if (plan.data.length) {
      await api.spreadsheets.values.batchUpdateByDataFilter({
        spreadsheetId: sl.spreadsheet_id,
        requestBody: { valueInputOption: 'RAW', data: plan.data },
      });
    }
    await pool.query(
      `UPDATE sheet_rows r SET written_at = CASE WHEN u.held IS NULL THEN now() END, row_number = u.row_number, held_reason = u.held
         FROM unnest($2::int[], $3::int[], $4::text[]) AS u(ordinal, row_number, held)
        WHERE r.list_id = $1 AND r.ordinal = u.ordinal`,
      [listId, plan.rows.map((r) => r.ordinal), plan.rows.map((r) => r.rowNumber), plan.rows.map((r) => r.held)],
    );
    await pool.query(
      `UPDATE sheet_lists SET state = 'writing', rate_limited = 0, retry_at = NULL, last_error = NULL, updated_at = now(),
              write_requests = write_requests + $2, last_write_at = CASE WHEN $2 > 0 THEN now() ELSE last_write_at END,
              written = (SELECT count(*) FROM sheet_rows WHERE list_id = $1 AND written_at IS NOT NULL),
              held = (SELECT count(*) FROM sheet_rows WHERE list_id = $1 AND written_at IS NULL AND held_reason IS NOT NULL)
        WHERE list_id = $1`,
      [listId, plan.data.length ? 1 : 0],
    );
    const progressed = plan.rows.some((r) => r.held === null);
    log.debug({ listId, written: plan.rows.filter((r) => r.held === null).length, swept: written.length, ranges: plan.data.length }, 'sheet rows written');
    // Once the list is finished and a round moved nothing (every remaining result held), stop:
    // the next sidebar poll or token refresh tries the held rows again. So does a sweep round
    // that wrote every result left (nothing is held and no more rows wait).
    const allIn = ready.length < ROUND_ROWS && plan.rows.every((r) => r.held === null);
    if (sl.finished && companiesFinal && (!progressed || (sweep && allIn))) {
      await pool.query(`UPDATE sheet_lists SET state = 'written', updated_at = now() WHERE list_id = $1`, [listId]);
      return { next: 'done' };
    }
    return { next: 'later', inMs: pace.writeIntervalMs };
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 401) {
      await rejectToken(pool, sl.account_id, token);
      await pool.query(`UPDATE sheet_lists SET state = 'waiting_for_token', updated_at = now() WHERE list_id = $1`, [listId]);
      log.info({ listId }, 'Google refused the access token; results wait for a fresh one from the add-on');
      return { next: 'token' };
    }
    if (status === 429) {
      const header = (err as { response?: { headers?: Headers } }).response?.headers?.get?.('retry-after');
      const retryAfter = header ? Number(header) : NaN;
      const backoff = Math.min(MAX_BACKOFF_MS, Number.isFinite(retryAfter) ? retryAfter * 1000 : pace.writeIntervalMs * 2 ** sl.rate_limited);
      await pool.query(
        `UPDATE sheet_lists SET rate_limited = rate_limited + 1, retry_at = now() + $2 * interval '1 millisecond',
                last_error = 'Google Sheets quota reached; retrying shortly', updated_at = now() WHERE list_id = $1`,
        [listId, backoff],
      );
      log.info({ listId, backoffMs: backoff }, 'Sheets API answered 429; backing off');
      return { next: 'later', inMs: backoff };
    }
    const message = (err as Error).message;
    await pool.query(`UPDATE sheet_lists SET last_error = $2, updated_at = now() WHERE list_id = $1`, [listId, `Could not write to the sheet: ${message}`]);
    throw err;
  }
}

interface Grid {
  /** Header row cells, as displayed. */
  header: string[];
  /** Column index → its cells below the header (index 0 = the first data row). */
  columns: Map<number, string[]>;
}

/** One read: the header row, then every column involved, from the first data row down. */
async function readGrid(api: sheets_v4.Sheets, sl: SheetListRow): Promise<Grid> {
  const outputs = [...RESULT_ROLES, ...COMPANY_ROLES].flatMap((r) => (sl.output_columns[r] ? [sl.output_columns[r].index] : []));
  const cols = [...new Set([...sl.input_columns, ...outputs])].sort((a, b) => a - b);
  const dataFilters: sheets_v4.Schema$DataFilter[] = [
    { gridRange: { sheetId: sl.sheet_id, startRowIndex: sl.header_row - 1, endRowIndex: sl.header_row } },
    ...cols.map((c) => ({ gridRange: { sheetId: sl.sheet_id, startRowIndex: sl.header_row, startColumnIndex: c, endColumnIndex: c + 1 } })),
  ];
  const res = await api.spreadsheets.values.batchGetByDataFilter({
    spreadsheetId: sl.spreadsheet_id,
    requestBody: { dataFilters, majorDimension: 'COLUMNS', valueRenderOption: 'FORMATTED_VALUE' },
  });
  const ranges = res.data.valueRanges ?? [];
  const header = (ranges[0]?.valueRange?.values ?? []).map((col) => String(col[0] ?? ''));
  const columns = new Map<number, string[]>();
  cols.forEach((c, i) => columns.set(c, (ranges[i + 1]?.valueRange?.values?.[0] ?? []).map((v) => String(v ?? ''))));
  return { header, columns };
}

/** Rows already written whose company is known: the company sweep's candidates. */
async function writtenRows(pool: Pool, listId: string): Promise<Written[]> {
  const { rows } = await pool.query<Written>(
    `SELECT r.ordinal, r.row_number, r.key, ${COMPANY_SQL}
       FROM sheet_rows r JOIN records rec ON rec.list_id = r.list_id AND rec.ordinal = r.ordinal
       JOIN domains d ON d.domain = rec.domain
      WHERE r.list_id = $1 AND r.written_at IS NOT NULL AND d.company IS NOT NULL
      ORDER BY r.ordinal`,
    [listId],
  );
  return rows;
}

/** What goes in the company cells: the industry's display name, and Yes/No (blank when unknown). */
function companyValues(c: CompanyCells): Record<CompanyRole, string> {
  return { industry: c.industry ?? '', is_agency: c.is_agency === null ? '' : c.is_agency ? 'Yes' : 'No' };
}

interface Plan {
  data: sheets_v4.Schema$DataFilterValueRange[];
  rows: Array<{ ordinal: number; rowNumber: number; held: string | null }>;
}

/**
 * What to write where: each ready result matched to its row, and its empty cells filled; with
 * `written` (the company sweep), the empty company cells of rows written before.
 */
function planWrites(sl: SheetListRow, grid: Grid, ready: Ready[], written: Written[] = []): Plan {
  const plan: Plan = { data: [], rows: [] };
  // The output columns, where they are now (the user may have inserted or deleted columns).
  const locate = (role: OutputRole): number | undefined => {
    const col = sl.output_columns[role];
    if (!col) return undefined;
    if ((grid.header[col.index] ?? '').trim() === col.header) return col.index;
    const found = grid.header.map((h, i) => [h.trim(), i] as const).filter(([h]) => h === col.header);
    return found.length === 1 ? found[0]![1] : undefined;
  };
  const outIndex: Partial<Record<OutputRole, number>> = {};
  for (const role of [...RESULT_ROLES, ...COMPANY_ROLES]) {
    const i = locate(role);
    if (i !== undefined) outIndex[role] = i;
  }
  // A missing result column holds the results; a missing company column (renamed or deleted
  // by the user, or never created by an older add-on) only goes unwritten.
  const missing = RESULT_ROLES.filter((r) => outIndex[r] === undefined);
  const heldAll = missing.length
    ? `the ${missing.map((r) => OUTPUT_HEADERS[r]).join(', ')} column${missing.length > 1 ? 's were' : ' was'} moved or renamed`
    : undefined;
  const companyRoles = COMPANY_ROLES.filter((r) => outIndex[r] !== undefined);

  const cell = (col: number, rowNumber: number) => grid.columns.get(col)?.[rowNumber - sl.header_row - 1] ?? '';
  const keyAt = (rowNumber: number) => rowKey(sl.input_columns.map((c) => cell(c, rowNumber)));
  // Where each key is now, to find moved rows again.
  const height = Math.max(0, ...[...grid.columns.values()].map((v) => v.length));
  const rowsByKey = new Map<string, number[]>();
  for (let i = 0; i < height; i++) {
    const rowNumber = sl.header_row + 1 + i;
    const k = keyAt(rowNumber);
    const list = rowsByKey.get(k);
    if (list) list.push(rowNumber);
    else rowsByKey.set(k, [rowNumber]);
  }

  // Cells to write: row → column → value.
  const writes = new Map<number, Map<number, string | number>>();
  const claimed = new Set<number>();
  const findRow = (r: { row_number: number; key: string }): number | undefined => {
    if (keyAt(r.row_number) === r.key && !claimed.has(r.row_number)) return r.row_number;
    const candidates = (rowsByKey.get(r.key) ?? []).filter((n) => !claimed.has(n));
    return candidates.length === 1 ? candidates[0] : undefined;
  };
  const fill = (target: number, values: Partial<Record<OutputRole, string | number>>) => {
    const rowWrites = writes.get(target) ?? new Map<number, string | number>();
    for (const [role, value] of Object.entries(values) as Array<[OutputRole, string | number]>) {
      const col = outIndex[role];
      // Never overwrite: only empty cells are filled, whoever wrote the others.
      if (col !== undefined && value !== '' && cell(col, target) === '') rowWrites.set(col, value);
    }
    if (rowWrites.size) writes.set(target, rowWrites);
  };

  for (const r of ready) {
    if (heldAll) {
      plan.rows.push({ ordinal: r.ordinal, rowNumber: r.row_number, held: heldAll });
      continue;
    }
    const target = findRow(r);
    if (target === undefined) {
      plan.rows.push({ ordinal: r.ordinal, rowNumber: r.row_number, held: 'its row was changed, moved or deleted while Toofr ran' });
      continue;
    }
    claimed.add(target);
    plan.rows.push({ ordinal: r.ordinal, rowNumber: target, held: null });
    const company = companyValues(r);
    fill(target, {
      email: r.status === 'done' ? (r.email ?? '') : '',
      confidence: r.status === 'done' && r.email ? (r.confidence ?? '') : '',
      status: outputStatus(r).replace(/_/g, ' '),
      ...Object.fromEntries(companyRoles.map((role) => [role, company[role]])),
    });
  }
  // The company sweep: rows written before their company was known. A row that cannot be found
  // for sure any more is left alone (its result is in; only the company cells go unwritten).
  if (companyRoles.length) {
    for (const r of written) {
      const company = companyValues(r);
      if (companyRoles.every((role) => company[role] === '')) continue;
      const target = findRow(r);
      if (target === undefined) continue;
      claimed.add(target);
      fill(target, Object.fromEntries(companyRoles.map((role) => [role, company[role]])));
    }
  }

  // Ranges: runs of adjacent columns in a row, merged down consecutive rows with the same run.
  const runs: Array<{ row: number; start: number; values: Array<string | number> }> = [];
  for (const [row, cols] of [...writes].sort((a, b) => a[0] - b[0])) {
    const sorted = [...cols].sort((a, b) => a[0] - b[0]);
    let cur: { row: number; start: number; values: Array<string | number> } | undefined;
    for (const [col, v] of sorted) {
      if (cur && cur.start + cur.values.length === col) cur.values.push(v);
      else runs.push((cur = { row, start: col, values: [v] }));
    }
  }
  let block: { row: number; start: number; width: number; values: Array<Array<string | number>> } | undefined;
  const emit = () => {
    if (!block) return;
    plan.data.push({
      dataFilter: { gridRange: { sheetId: sl.sheet_id, startRowIndex: block.row - 1, endRowIndex: block.row - 1 + block.values.length, startColumnIndex: block.start, endColumnIndex: block.start + block.width } },
      majorDimension: 'ROWS',
      values: block.values,
    });
  };
  for (const run of runs.sort((a, b) => a.start - b.start || a.row - b.row)) {
    if (block && block.start === run.start && block.width === run.values.length && block.row + block.values.length === run.row) {
      block.values.push(run.values);
    } else {
      emit();
      block = { row: run.row, start: run.start, width: run.values.length, values: [run.values] };
    }
  }
  emit();
  return plan;
}
