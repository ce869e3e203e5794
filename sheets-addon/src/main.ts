/**
 * The add-on's server side (runs in Apps Script). build.ts bundles this into dist/Code.js and
 * adds a top-level function for each export below, because Apps Script only calls top-level
 * functions (menu items, google.script.run, triggers).
 *
 * Storage: the column choice per sheet is in DocumentProperties (shared with collaborators,
 * not secret); the run in progress is in UserProperties (this user's run; their tokens never
 * leave Google except to Toofr's backend over HTTPS).
 */
import { call } from './backend.ts';
import { detect, planRows, INPUT_ROLES, MAX_ROWS, type Columns } from './rows.ts';
import type { RunStatus } from '../../bot/addon/status.ts';

/**
 * The columns results go to, in the order they are added: the person's result, then the
 * company's industry and whether it is an agency (Yes/No). The backend takes runs without the
 * last two too (add-ons built before them).
 */
const OUTPUT = { email: 'Email', confidence: 'Confidence', status: 'Status', industry: 'Industry', is_agency: 'Agency' } as const;
type OutputRole = keyof typeof OUTPUT;
const TRIGGER = 'toofrRefreshToken';

export interface Mapping {
  headerRow: number;
  columns: Columns;
  onlyNew: boolean;
}

export function onOpen(): void {
  SpreadsheetApp.getUi().createAddonMenu().addItem('Find emails', 'showSidebar').addToUi();
}

export function onInstall(): void {
  onOpen();
}

export function showSidebar(): void {
  SpreadsheetApp.getUi().showSidebar(HtmlService.createHtmlOutputFromFile('Sidebar').setTitle('Toofr'));
}

function active() {
  const book = SpreadsheetApp.getActiveSpreadsheet();
  const sheet = book.getActiveSheet();
  return { book, sheet, values: sheet.getDataRange().getDisplayValues() };
}

const mappingKey = (sheetId: number) => `toofr.mapping.${sheetId}`;
const runKey = (spreadsheetId: string, sheetId: number) => `toofr.run.${spreadsheetId}.${sheetId}`;

/** 0-based index of each output column in the header, if it exists. */
function outputColumns(header: string[], detectedEmail: number | undefined): Partial<Record<OutputRole, number>> {
  const find = (name: string) => header.findIndex((h) => String(h).trim().toLowerCase() === name.toLowerCase());
  const out: Partial<Record<OutputRole, number>> = {};
  const email = find(OUTPUT.email);
  if (email >= 0) out.email = email;
  else if (detectedEmail !== undefined) out.email = detectedEmail;
  for (const role of ['confidence', 'status', 'industry', 'is_agency'] as const) {
    const i = find(OUTPUT[role]);
    if (i >= 0) out[role] = i;
  }
  return out;
}

/**
 * What the sidebar shows: the header row and its cells, the detected and remembered columns,
 * and what a run would do (rows to process, rows skipped with reasons). `override` is the
 * user's choice in the sidebar, previewed before it is saved.
 */
export function getSheetContext(override?: Mapping) {
  const { book, sheet, values } = active();
  const detected = detect(values);
  const saved = PropertiesService.getDocumentProperties().getProperty(mappingKey(sheet.getSheetId()));
  const mapping: Mapping = override ?? (saved ? (JSON.parse(saved) as Mapping) : { headerRow: detected.headerRow, columns: detected.columns, onlyNew: true });
  const header = (values[mapping.headerRow - 1] ?? []).map(String);
  const outputs = outputColumns(header, mapping.headerRow === detected.headerRow ? detected.email : undefined);
  const plan = planRows(values, mapping.headerRow, mapping.columns, outputs.email, mapping.onlyNew);
  const reasons: Record<string, number> = {};
  for (const s of plan.skipped) reasons[s.reason] = (reasons[s.reason] ?? 0) + 1;
  const run = PropertiesService.getUserProperties().getProperty(runKey(book.getId(), sheet.getSheetId()));
  return {
    sheetName: sheet.getName(),
    header,
    detected: detected.headerRow === mapping.headerRow ? detected.columns : {},
    mapping,
    remembered: Boolean(saved) && !override,
    toProcess: plan.rows.length,
    skipped: plan.skipped.length,
    skippedReasons: reasons,
    skippedRows: plan.skipped.slice(0, 50),
    problem: plan.problem ?? (plan.rows.length === 0 ? 'There are no rows to look up with these columns.' : undefined),
    outputColumns: (Object.keys(OUTPUT) as OutputRole[]).map((r) => ({ header: OUTPUT[r], exists: outputs[r] !== undefined })),
    activeRun: run ? (JSON.parse(run) as { listId: string; total: number }) : null,
    maxRows: MAX_ROWS,
  };
}

/** Creates the missing output columns after the last used column; returns all of them. */
function ensureOutputColumns(sheet: GoogleAppsScript.Sheet, headerRow: number, header: string[], detectedEmail: number | undefined) {
  const found = outputColumns(header, detectedEmail);
  let next = Math.max(sheet.getLastColumn(), header.length);
  const result = {} as Record<OutputRole, { index: number; header: string }>;
  for (const role of Object.keys(OUTPUT) as OutputRole[]) {
    let index = found[role];
    if (index === undefined) {
      index = next++;
      sheet.getRange(headerRow, index + 1, 1, 1).setValues([[OUTPUT[role]]]);
    }
    result[role] = { index, header: index < header.length ? header[index]!.trim() : OUTPUT[role] };
  }
  return result;
}

/** The sidebar's "Find emails": sends the rows, remembers the run and the column choice. */
export function startRun(mapping: Mapping) {
  const { book, sheet, values } = active();
  const detected = detect(values);
  const header = (values[mapping.headerRow - 1] ?? []).map(String);
  const detectedEmail = mapping.headerRow === detected.headerRow ? detected.email : undefined;
  const plan = planRows(values, mapping.headerRow, mapping.columns, outputColumns(header, detectedEmail).email, mapping.onlyNew);
  if (plan.problem) throw new Error(plan.problem);
  if (!plan.rows.length) throw new Error('There are no rows to look up: every row is skipped (see the reasons above).');
  const columns: Columns = {};
  for (const r of INPUT_ROLES) if (mapping.columns[r] !== undefined) columns[r] = mapping.columns[r];
  const output = ensureOutputColumns(sheet, mapping.headerRow, header, detectedEmail);
  const created = call<{ listId: string; total: number }>('/addon/lists', {
    spreadsheetId: book.getId(),
    sheetId: sheet.getSheetId(),
    sheetName: sheet.getName(),
    headerRow: mapping.headerRow,
    columns,
    output,
    rows: plan.rows,
    accessToken: ScriptApp.getOAuthToken(),
  });
  PropertiesService.getDocumentProperties().setProperty(mappingKey(sheet.getSheetId()), JSON.stringify({ headerRow: mapping.headerRow, columns, onlyNew: mapping.onlyNew }));
  PropertiesService.getUserProperties().setProperty(runKey(book.getId(), sheet.getSheetId()), JSON.stringify({ listId: created.listId, total: created.total }));
  // Keeps the workers supplied with a fresh access token while the sidebar is closed
  // (add-ons may run a time-driven trigger at most hourly).
  if (!ScriptApp.getProjectTriggers().some((t) => t.getHandlerFunction() === TRIGGER)) ScriptApp.newTrigger(TRIGGER).timeBased().everyHours(1).create();
  return { listId: created.listId, total: created.total, skipped: plan.skipped.length };
}

// The backend's answer to a poll: one definition, shared with the web process (a type only, so
// nothing of the server is bundled into the add-on).
export type { RunStatus };

/** The sidebar's poll: progress of this sheet's run, and a fresh access token for the workers. */
export function pollRun(): RunStatus | null {
  const { book, sheet } = active();
  const key = runKey(book.getId(), sheet.getSheetId());
  const run = PropertiesService.getUserProperties().getProperty(key);
  if (!run) return null;
  const { listId } = JSON.parse(run) as { listId: string };
  const status = call<RunStatus>(`/addon/lists/${listId}/poll`, { accessToken: ScriptApp.getOAuthToken() });
  if (status.phase === 'done' || status.phase === 'failed') PropertiesService.getUserProperties().deleteProperty(key);
  return status;
}

/** Hourly trigger: forwards a fresh access token; removes itself once nothing is running. */
export function toofrRefreshToken(): void {
  const { lists } = call<{ lists: number }>('/addon/token', { accessToken: ScriptApp.getOAuthToken() });
  if (lists === 0) for (const t of ScriptApp.getProjectTriggers()) if (t.getHandlerFunction() === TRIGGER) ScriptApp.deleteTrigger(t);
}
