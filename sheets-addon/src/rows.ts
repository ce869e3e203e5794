/**
 * Which rows of a sheet a run takes, and why the others are skipped: pure functions of the
 * sheet's displayed values, shared by the preview in the sidebar and the run itself. Column
 * detection is the CSV importer's (core/lists/columns.ts), so a sheet and a CSV with the same
 * headers map the same way.
 */
import { mapColumns, type Role } from '../../core/lists/columns.ts';

export type InputRole = 'first' | 'last' | 'full_name' | 'company' | 'domain';
export const INPUT_ROLES: InputRole[] = ['first', 'last', 'full_name', 'company', 'domain'];
/** 0-based column per role. */
export type Columns = Partial<Record<InputRole, number>>;

/** Rows per run (the backend's limit too); bigger sheets run in several goes. */
export const MAX_ROWS = 20_000;

export interface Detected {
  /** 1-based. */
  headerRow: number;
  columns: Columns;
  /** 0-based column of an existing email column, if any. */
  email: number | undefined;
}

/** The header row is the first of the top rows that names a column we know; else row 1. */
export function detect(values: string[][]): Detected {
  for (let i = 0; i < Math.min(10, values.length); i++) {
    const { mapping } = mapColumns(values[i]!);
    const columns = pickInputs(mapping);
    if (Object.keys(columns).length) return { headerRow: i + 1, columns, email: mapping.email };
  }
  return { headerRow: 1, columns: {}, email: undefined };
}

function pickInputs(mapping: Partial<Record<Role, number>>): Columns {
  const out: Columns = {};
  for (const r of INPUT_ROLES) if (mapping[r] !== undefined) out[r] = mapping[r];
  return out;
}

export interface Plan {
  rows: Array<{ row: number; values: Partial<Record<InputRole, string>> }>;
  skipped: Array<{ row: number; reason: string }>;
  problem: string | undefined;
}

export function usableProblem(c: Columns): string | undefined {
  const name = c.full_name !== undefined || (c.first !== undefined && c.last !== undefined);
  const company = c.company !== undefined || c.domain !== undefined;
  if (!name && !company) return 'Choose the name columns (First and Last name, or Full name) and a Company or Domain column.';
  if (!name) return 'Choose the name columns: First and Last name, or one Full name column.';
  if (!company) return 'Choose a Company or Domain (website) column.';
  return undefined;
}

/** The rows to send and the rows skipped, with plain reasons. */
export function planRows(values: string[][], headerRow: number, columns: Columns, emailColumn: number | undefined, onlyNew: boolean): Plan {
  const plan: Plan = { rows: [], skipped: [], problem: usableProblem(columns) };
  if (plan.problem) return plan;
  const cell = (row: string[], i: number | undefined) => (i === undefined ? '' : String(row[i] ?? '').trim());
  for (let i = headerRow; i < values.length; i++) {
    const row = values[i]!;
    const n = i + 1;
    const v: Partial<Record<InputRole, string>> = {};
    for (const r of INPUT_ROLES) if (columns[r] !== undefined) v[r] = cell(row, columns[r]);
    if (Object.values(v).every((x) => x === '')) continue; // blank rows are not worth a line
    if (onlyNew && emailColumn !== undefined && cell(row, emailColumn) !== '') {
      plan.skipped.push({ row: n, reason: 'already has an email' });
    } else if (!(v.full_name || (v.first && v.last))) {
      plan.skipped.push({ row: n, reason: 'no name' });
    } else if (!(v.company || v.domain)) {
      plan.skipped.push({ row: n, reason: 'no company or domain' });
    } else if (plan.rows.length >= MAX_ROWS) {
      plan.skipped.push({ row: n, reason: `over ${MAX_ROWS.toLocaleString('en')} rows: run again for the rest` });
    } else {
      plan.rows.push({ row: n, values: v });
    }
  }
  return plan;
}
