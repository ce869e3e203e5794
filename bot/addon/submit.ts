/**
 * POST /addon/lists: rows from a sheet become a list like every other source. The rows are
 * turned into a CSV with canonical headers (the user's column choice already applied by the
 * add-on) plus the sheet row number, so the same importer and pg-boss pipeline do the work;
 * each row's number and key are kept for the write-back.
 */
import { z } from 'zod';
import { withTransaction, type Pool } from '../../core/db/pool.ts';
import type { Boss } from '../../core/queue/boss.ts';
import { createList } from '../../core/lists/store.ts';
import { COMPANY_ROLES, requestWrite, rowKey, saveToken, type OutputColumn, type OutputColumns } from '../../worker/jobs/sheets.store.ts';

/** Rows per run; larger sheets run in several goes ("only rows without an email yet"). */
export const MAX_ROWS = 20_000;

const INPUT_ROLES = ['first', 'last', 'full_name', 'company', 'domain'] as const;
type InputRole = (typeof INPUT_ROLES)[number];
/** Headers the CSV importer maps without doubt (core/lists/columns.ts). */
const CSV_HEADERS: Record<InputRole, string> = { first: 'First name', last: 'Last name', full_name: 'Full name', company: 'Company', domain: 'Domain' };

const column = z.number().int().min(0).max(18277);
const outputColumn = z.object({ index: column, header: z.string().trim().min(1).max(200) });

export const submission = z.object({
  spreadsheetId: z.string().regex(/^[\w-]{10,200}$/, 'spreadsheetId must be a Google spreadsheet id'),
  sheetId: z.number().int().min(0),
  sheetName: z.string().max(200).default('Sheet'),
  headerRow: z.number().int().min(1),
  columns: z.object({ first: column, last: column, full_name: column, company: column, domain: column }).partial(),
  // industry / is_agency: sent by add-ons that create the Industry and Agency columns; an older
  // add-on leaves them out, and its runs write no company columns.
  output: z.object({
    email: outputColumn, confidence: outputColumn, status: outputColumn,
    industry: outputColumn.optional(), is_agency: outputColumn.optional(),
  }),
  rows: z.array(z.object({ row: z.number().int().min(2), values: z.record(z.string(), z.string().max(1000)) })).min(1).max(MAX_ROWS),
  accessToken: z.string().min(10).max(4096).optional(),
});
export type Submission = z.infer<typeof submission>;

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The input roles in sheet column order: the order of a row's key. */
function rolesByColumn(columns: Submission['columns']): InputRole[] {
  return INPUT_ROLES.filter((r) => columns[r] !== undefined).sort((a, b) => columns[a]! - columns[b]!);
}

export function problemsOf(s: Submission): string | undefined {
  const c = s.columns;
  const hasName = c.full_name !== undefined || (c.first !== undefined && c.last !== undefined);
  const hasCompany = c.company !== undefined || c.domain !== undefined;
  if (!hasName || !hasCompany) return 'Choose a name column (first and last name, or full name) and a company or domain column, then run again.';
  const used = [...Object.values(c), ...Object.values(s.output).filter((o) => o !== undefined).map((o) => o.index)];
  if (new Set(used).size !== used.length) return 'Two roles point at the same column. Pick a different column for each, then run again.';
  if (new Set(s.rows.map((r) => r.row)).size !== s.rows.length) return 'The same sheet row was sent twice. Reload the sheet and run again.';
  return undefined;
}

export async function createSheetList(deps: { pool: Pool; boss: Boss; writeIntervalMs: number }, accountId: number, s: Submission): Promise<{ listId: string; total: number }> {
  const roles = rolesByColumn(s.columns);
  const lines = [['Sheet row', ...roles.map((r) => CSV_HEADERS[r])].join(',')];
  for (const r of s.rows) lines.push([String(r.row), ...roles.map((role) => csvCell(r.values[role] ?? ''))].join(','));
  const { id } = await createList(deps.pool, deps.boss, {
    accountId,
    source: 'sheets',
    sourceRef: { spreadsheetId: s.spreadsheetId, sheetId: s.sheetId, sheetName: s.sheetName, headerRow: s.headerRow },
    filename: s.sheetName,
    content: Buffer.from(lines.join('\n')),
  });
  const trimmed = (c: OutputColumn): OutputColumn => ({ index: c.index, header: c.header.trim() });
  const output: OutputColumns = { email: trimmed(s.output.email), confidence: trimmed(s.output.confidence), status: trimmed(s.output.status) };
  for (const role of COMPANY_ROLES) {
    const col = s.output[role];
    if (col) output[role] = trimmed(col);
  }
  await withTransaction(deps.pool, async (client) => {
    await client.query(
      `INSERT INTO sheet_lists (list_id, account_id, spreadsheet_id, sheet_id, header_row, input_columns, output_columns)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [id, accountId, s.spreadsheetId, s.sheetId, s.headerRow, JSON.stringify(roles.map((r) => s.columns[r]!)), JSON.stringify(output)],
    );
    // Ordinals follow the CSV's data rows, so they equal the records' ordinals.
    await client.query(
      `INSERT INTO sheet_rows (list_id, ordinal, row_number, key)
       SELECT $1, u.ord - 1, u.row_number, u.key FROM unnest($2::int[], $3::text[]) WITH ORDINALITY AS u(row_number, key, ord)`,
      [id, s.rows.map((r) => r.row), s.rows.map((r) => rowKey(roles.map((role) => r.values[role] ?? '')))],
    );
    if (s.accessToken) await saveToken(client, accountId, s.accessToken);
  });
  await requestWrite(deps.boss, id, deps.writeIntervalMs);
  return { listId: id, total: s.rows.length };
}
