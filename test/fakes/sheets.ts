/**
 * A fake Google Sheets API (v4) for the real `googleapis` client, reached through
 * GOOGLE_API_URL. It serves the two calls the write-back makes, by DataFilter gridRange:
 * `values:batchGetByDataFilter` and `values:batchUpdateByDataFilter`, with Google's response
 * shapes, its 401 for unknown tokens and 429s on demand; and it records every request so tests
 * can count them, time them and look at their ranges.
 *
 * A sheet is a grid of displayed strings (row 0 = sheet row 1). Tests edit it directly to play
 * the user (sort, insert, delete rows) while a run is going.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSheet {
  title: string;
  rows: string[][];
}

export interface SheetsRequest {
  kind: 'read' | 'write';
  spreadsheetId: string;
  token: string;
  at: number;
  status: number;
  body: {
    valueInputOption?: string;
    data?: Array<{ dataFilter: { gridRange: GridRange }; values: unknown[][] }>;
    dataFilters?: Array<{ gridRange: GridRange }>;
  };
}

interface GridRange {
  sheetId?: number;
  startRowIndex?: number;
  endRowIndex?: number;
  startColumnIndex?: number;
  endColumnIndex?: number;
}

export interface FakeSheetsApi {
  url: string;
  requests: SheetsRequest[];
  /** Access tokens Google would accept. */
  validTokens: Set<string>;
  /** spreadsheetId → sheetId → sheet. */
  spreadsheets: Map<string, Map<number, FakeSheet>>;
  addSheet(spreadsheetId: string, sheetId: number, sheet: FakeSheet): FakeSheet;
  /** The next `count` requests answer this status (e.g. 429) instead of doing anything. */
  failNext(count: number, status: number, retryAfterSeconds?: number): void;
  /** Called after each request is answered (tests wait on it instead of sleeping). */
  onRequest: ((r: SheetsRequest) => void) | undefined;
  close(): Promise<void>;
}

function googleError(res: http.ServerResponse, status: number, message: string, extra: Record<string, string> = {}) {
  const statusText: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED' };
  res.writeHead(status, { 'content-type': 'application/json', ...extra });
  res.end(JSON.stringify({ error: { code: status, message, status: statusText[status] ?? 'UNKNOWN' } }));
}

export async function startFakeSheetsApi(): Promise<FakeSheetsApi> {
  let failures: Array<{ status: number; retryAfter?: number }> = [];
  const self: FakeSheetsApi = {
    url: '',
    requests: [],
    validTokens: new Set(),
    spreadsheets: new Map(),
    addSheet(spreadsheetId, sheetId, sheet) {
      if (!self.spreadsheets.has(spreadsheetId)) self.spreadsheets.set(spreadsheetId, new Map());
      self.spreadsheets.get(spreadsheetId)!.set(sheetId, sheet);
      return sheet;
    },
    failNext(count, status, retryAfterSeconds) {
      failures = Array.from({ length: count }, () => ({ status, retryAfter: retryAfterSeconds }));
    },
    onRequest: undefined,
    close: async () => {},
  };

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    // Express 5 / path-to-regexp treat ':' as a parameter, so match the decoded path by hand.
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const m = /^\/v4\/spreadsheets\/([^/]+)\/values:(batchGetByDataFilter|batchUpdateByDataFilter)$/.exec(path);
    if (req.method !== 'POST' || !m) return googleError(res, 404, `The fake Sheets API does not serve ${req.method} ${path}`);
    const [, spreadsheetId, method] = m;
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
    const record: SheetsRequest = { kind: method === 'batchUpdateByDataFilter' ? 'write' : 'read', spreadsheetId: spreadsheetId!, token, at: Date.now(), status: 200, body };
    self.requests.push(record);
    const answer = (status: number, fn: () => void) => {
      record.status = status;
      fn();
      self.onRequest?.(record);
    };

    if (!self.validTokens.has(token)) {
      return answer(401, () => googleError(res, 401, 'Request had invalid authentication credentials. Expected OAuth 2 access token.'));
    }
    const failure = failures.shift();
    if (failure) {
      return answer(failure.status, () =>
        googleError(res, failure.status, "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user'",
          failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {}));
    }
    const book = self.spreadsheets.get(spreadsheetId!);
    if (!book) return answer(404, () => googleError(res, 404, 'Requested entity was not found.'));

    if (method === 'batchGetByDataFilter') {
      const valueRanges = (body.dataFilters ?? []).map((f: { gridRange: GridRange }, i: number) => {
        const sheet = book.get(f.gridRange.sheetId ?? 0);
        if (!sheet) return { dataFilters: [f] };
        const g = f.gridRange;
        const width = Math.max(0, ...sheet.rows.map((r) => r.length));
        const r0 = g.startRowIndex ?? 0;
        const r1 = Math.min(g.endRowIndex ?? sheet.rows.length, sheet.rows.length);
        const c0 = g.startColumnIndex ?? 0;
        const c1 = Math.min(g.endColumnIndex ?? width, width);
        const rows: string[][] = [];
        for (let r = r0; r < r1; r++) {
          const row: string[] = [];
          for (let c = c0; c < c1; c++) row.push(sheet.rows[r]?.[c] ?? '');
          rows.push(row);
        }
        // Google leaves out trailing empty cells, rows and columns.
        const grid = body.majorDimension === 'COLUMNS' ? Array.from({ length: c1 - c0 }, (_, c) => rows.map((row) => row[c])) : rows;
        const trimmed = grid.map((line) => {
          const out = [...line];
          while (out.length && out[out.length - 1] === '') out.pop();
          return out;
        });
        while (trimmed.length && trimmed[trimmed.length - 1]!.length === 0) trimmed.pop();
        return { valueRange: { range: `${sheet.title}!R${r0 + 1}C${c0 + 1}`, majorDimension: body.majorDimension ?? 'ROWS', ...(trimmed.length ? { values: trimmed } : {}) }, dataFilters: [f], index: i };
      });
      return answer(200, () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ spreadsheetId, valueRanges }));
      });
    }

    // batchUpdateByDataFilter: check every range first, so a bad request changes nothing.
    for (const d of body.data ?? []) {
      const g = d.dataFilter.gridRange;
      if (!book.get(g.sheetId ?? 0)) return answer(400, () => googleError(res, 400, `No grid with id: ${g.sheetId}`));
      const rows = (g.endRowIndex ?? 0) - (g.startRowIndex ?? 0);
      const cols = (g.endColumnIndex ?? 0) - (g.startColumnIndex ?? 0);
      if (d.values.length > rows || d.values.some((v: unknown[]) => v.length > cols)) {
        return answer(400, () => googleError(res, 400, 'Requested writing within range, but tried writing outside of it.'));
      }
    }
    let cells = 0;
    const responses: Array<{ updatedRows: number } & Record<string, unknown>> = [];
    for (const d of body.data ?? []) {
      const g = d.dataFilter.gridRange;
      const sheet = book.get(g.sheetId ?? 0)!;
      d.values.forEach((row: unknown[], i: number) => {
        const r = g.startRowIndex! + i;
        while (sheet.rows.length <= r) sheet.rows.push([]);
        row.forEach((v, j) => {
          const c = g.startColumnIndex! + j;
          while (sheet.rows[r]!.length <= c) sheet.rows[r]!.push('');
          sheet.rows[r]![c] = v === null || v === undefined ? '' : String(v);
          cells++;
        });
      });
      responses.push({ spreadsheetId, updatedRows: d.values.length, updatedColumns: d.values[0]?.length ?? 0, updatedCells: d.values.flat().length, dataFilter: d.dataFilter });
    }
    return answer(200, () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ spreadsheetId, totalUpdatedRows: responses.reduce((n, r) => n + r.updatedRows, 0), totalUpdatedCells: cells, totalUpdatedSheets: 1, responses }));
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  self.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  self.close = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return self;
}
