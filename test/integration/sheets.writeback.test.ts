import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { Settings } from '../../core/config.ts';
import type { Services } from '../../core/services.ts';
import type { FindInput } from '../../core/engine/types.ts';
import type { Enricher } from '../../core/enricher.ts';
import { LookupWaiter } from '../../core/lookups.ts';
import type { Companies } from '../../core/classify/companies.ts';
import { localWebsites, type LocalWebsites } from '../helpers/websites.ts';
import { createWebApp } from '../../bot/web.ts';
import { createSheetsNotifier } from '../../worker/notifiers/sheets.ts';
import type { RunStatus } from '../../bot/addon/status.ts';
import { freshServices } from '../helpers/db.ts';
import { fakeEnricher } from '../helpers/fake-enricher.ts';
import { startTestWorker, waitForList } from '../helpers/pipeline.ts';
import { startFakeGoogleIdentity, type FakeGoogleIdentity } from '../fakes/google-identity.ts';
import { startFakeSheetsApi, type FakeSheet, type FakeSheetsApi } from '../fakes/sheets.ts';
import { until } from '../helpers/until.ts';

const CLIENT_ID = '1234-addon.apps.googleusercontent.com';
const INTERVAL_MS = 150;

/**
 * Homepages the company classifier reads, by the digit ending the host name (every domain
 * resolves to the local server): …0.com a recruitment agency, …1.com a software company; the
 * others answer 404 (industry Unknown, agency not known).
 */
const HOMEPAGES: Record<string, string> = {
  '0': '<title>Talentbridge Recruitment – staffing agency for engineers</title><body><h1>We find the talent you need</h1><p>Recruitment agency placing permanent and contract candidates. Employers: submit a vacancy. Candidates: browse jobs and upload your CV.</p><nav><a>Jobs</a><a>Candidates</a><a>Employers</a></nav></body>',
  '1': '<title>Ledgerly – accounting software for small business</title><body><h1>Invoicing, payroll and bookkeeping in one app</h1><p>Start your free trial. Pricing plans. Integrations with your bank. API docs.</p><nav><a>Product</a><a>Pricing</a><a>Sign in</a></nav></body>',
};
/** What the Industry and Agency cells should end up holding, by that digit. */
const COMPANY_CELLS: Record<string, string[]> = {
  '0': ['Staffing & Recruiting', 'Yes'],
  '1': ['Software & Internet', 'No'],
  '2': ['Unknown'],
  '3': ['Unknown'],
  '4': ['Unknown'],
};
const digitOf = (host: string) => /(\d)\.com$/.exec(host)?.[1] ?? '';
const COMPANY_OUTPUT = { industry: { index: 7, header: 'Industry' }, is_agency: { index: 8, header: 'Agency' } };


/** Data rows 2.., header in row 1: First name, Last name, Company website, Notes, Email, Confidence, Status. */
function leadsSheet(n: number, prefix: string): FakeSheet {
  const rows = [['First name', 'Last name', 'Company website', 'Notes', 'Email', 'Confidence', 'Status']];
  for (let i = 0; i < n; i++) rows.push([`${prefix}${i}`, `Last${i}`, `https://www.co${i % 5}.com`, `note ${i}`]);
  return { title: 'Leads', rows };
}

/**
 * A leadsSheet with the Industry and Agency columns too (as the add-on creates them), and
 * companies of its own (`<prefix>0.com` … `<prefix>4.com`), not yet in the company cache.
 */
function companySheet(n: number, prefix: string): FakeSheet {
  const sheet = leadsSheet(n, prefix);
  sheet.rows[0]!.push('Industry', 'Agency');
  for (let i = 1; i < sheet.rows.length; i++) sheet.rows[i]![2] = `https://www.${prefix.toLowerCase()}${(i - 1) % 5}.com`;
  return sheet;
}

const domainOf = (row: string[]) => row[2]!.replace(/^https:\/\/www\./, '');

describe('write-back to Google Sheets by the workers (googleapis against a fake Sheets API)', () => {
  let settings: Settings;
  let services: Services;
  let identity: FakeGoogleIdentity;
  let sheets: FakeSheetsApi;
  let server: Server;
  let base: string;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  /** Rows whose lookup waits for `release()` (by first name). */
  const gated = new Set<string>();
  let release: () => void = () => {};
  let gate = Promise.resolve();
  let homepages: LocalWebsites;
  /** Company domains whose classification waits for `releaseCompanies()`. */
  const gatedCompanies = new Set<string>();
  let releaseCompanies: () => void = () => {};
  let companyGate = Promise.resolve();

  before(async () => {
    identity = await startFakeGoogleIdentity({ audience: CLIENT_ID });
    sheets = await startFakeSheetsApi();
    const fresh = await freshServices('sheets-writeback', {
      GOOGLE_CLIENT_IDS: CLIENT_ID, GOOGLE_CERTS_URL: identity.certsUrl, GOOGLE_API_URL: sheets.url, SHEETS_WRITE_INTERVAL_MS: String(INTERVAL_MS),
    });
    ({ settings, services } = fresh);
    const base0 = fakeEnricher({ delayMs: 3 });
    const enricher: Enricher = {
      ...base0,
      async find(input: FindInput, ctx) {
        if (input.first && gated.has(input.first)) await gate;
        // The batching test's lookups take a while, like the engine's, so results arrive over time.
        if (input.first?.startsWith('Ann')) await delay(40);
        return base0.find(input, ctx);
      },
    };
    // The real classifier and cache, reading the homepages above from a local server.
    homepages = await localWebsites((host) => HOMEPAGES[digitOf(host)], () => true);
    const real = homepages.companies(services.db.pool);
    const companies: Companies = {
      store: real.store,
      async classify(input, o) {
        if ([...gatedCompanies].some((d) => input.includes(d))) await companyGate;
        return real.classify(input, o);
      },
    };
    worker = await startTestWorker(services, fresh.log, enricher, {
      concurrency: 4,
      progressIntervalSeconds: 1,
      companies,
      notifiers: { sheets: createSheetsNotifier({ settings, pool: services.db.pool, log: fresh.log }) },
    });
    const app = createWebApp({ settings, pool: services.db.pool, boss: services.boss, log: fresh.log, lookups: new LookupWaiter({ url: services.db.url, schema: services.db.schema, log: fresh.log }) });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    release();
    releaseCompanies();
    await worker.stop(1000);
    await homepages.close();
    await new Promise((resolve) => server.close(resolve));
    await services.close();
    await sheets.close();
    await identity.close();
  });

  /** What the add-on sends for `rows` (1-based sheet rows) of a leadsSheet. */
  async function submit(spreadsheetId: string, sheet: FakeSheet, rowNumbers: number[], user: string, accessToken: string, company: Partial<typeof COMPANY_OUTPUT> = {}): Promise<string> {
    const res = await fetch(`${base}/addon/lists`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${identity.token({ sub: user, email: `${user}@example.com` })}` },
      body: JSON.stringify({
        spreadsheetId, sheetId: 7, sheetName: sheet.title, headerRow: 1,
        columns: { first: 0, last: 1, domain: 2 },
        output: { email: { index: 4, header: 'Email' }, confidence: { index: 5, header: 'Confidence' }, status: { index: 6, header: 'Status' }, ...company },
        rows: rowNumbers.map((row) => ({ row, values: { first: sheet.rows[row - 1]![0], last: sheet.rows[row - 1]![1], domain: sheet.rows[row - 1]![2] } })),
        accessToken,
      }),
    });
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as { listId: string }).listId;
  }

  async function poll(listId: string, user: string, accessToken?: string): Promise<RunStatus> {
    const res = await fetch(`${base}/addon/lists/${listId}/poll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${identity.token({ sub: user, email: `${user}@example.com` })}` },
      body: JSON.stringify(accessToken ? { accessToken } : {}),
    });
    assert.equal(res.status, 200);
    return (await res.json()) as RunStatus;
  }

  const sheetState = async (listId: string) =>
    (await services.db.pool.query('SELECT state, written, held, write_requests FROM sheet_lists WHERE list_id = $1', [listId])).rows[0];

  const expected = (row: string[]) => `${row[0]!.toLowerCase()}.${row[1]!.toLowerCase()}@${row[2]!.replace(/^https:\/\/www\./, '')}`;

  it('should write results in batched requests, one per spreadsheet per interval, leaving the user\'s cells alone', async () => {
    const sheet = sheets.addSheet('book-batching-0001', 7, leadsSheet(60, 'Ann'));
    // The user's own email in row 5 (the add-on skips that row) and one typed into row 9 after the run started.
    sheet.rows[4]![4] = 'mine@keep.me';
    sheets.validTokens.add('ya29.batching');
    const rowNumbers = Array.from({ length: 60 }, (_, i) => i + 2).filter((r) => r !== 5);
    const listId = await submit('book-batching-0001', sheet, rowNumbers, 'u-batching', 'ya29.batching');
    sheet.rows[8]![4] = 'typed@by.user';
    await waitForList(settings, services, listId);
    await until('every result written', async () => (await sheetState(listId)).state === 'written');

    for (let r = 2; r <= 61; r++) {
      const row = sheet.rows[r - 1]!;
      assert.equal(row[3], `note ${r - 2}`, `Notes in row ${r} untouched`);
      if (r === 5) assert.deepEqual(row.slice(4), ['mine@keep.me'], 'a row the add-on skipped is not touched');
      else if (r === 9) assert.deepEqual(row.slice(4), ['typed@by.user', '90', 'found'], 'a filled Email cell is never overwritten');
      else assert.deepEqual(row.slice(4), [expected(row), '90', 'found'], `row ${r}`);
    }
    const writes = sheets.requests.filter((q) => q.spreadsheetId === 'book-batching-0001' && q.kind === 'write');
    assert.ok(writes.length >= 2 && writes.length < 20, `${writes.length} write requests for 59 rows`);
    assert.ok(writes.every((w) => w.body.valueInputOption === 'RAW'));
    // Many rows per request, in multi-row ranges.
    assert.ok(writes.some((w) => w.body.data!.some((d) => d.values.length > 1)));
    for (let i = 1; i < writes.length; i++) {
      assert.ok(writes[i]!.at - writes[i - 1]!.at >= INTERVAL_MS - 40, `writes ${i - 1} and ${i} are ${writes[i]!.at - writes[i - 1]!.at} ms apart`);
    }
    const state = await sheetState(listId);
    assert.equal(state.written, 59);
    assert.equal(state.write_requests, writes.length);
    const span = (writes.at(-1)!.at - writes[0]!.at) / 1000;
    process.stderr.write(`write-back: 59 rows in ${writes.length} write requests (${writes.reduce((n, w) => n + w.body.data!.length, 0)} ranges) over ${span.toFixed(1)} s, interval ${INTERVAL_MS} ms\n`);
  });

  it('should back off after a 429 and then write everything', async () => {
    const sheet = sheets.addSheet('book-429-000001', 7, leadsSheet(10, 'Bea'));
    sheets.validTokens.add('ya29.quota');
    sheets.failNext(2, 429);
    const listId = await submit('book-429-000001', sheet, Array.from({ length: 10 }, (_, i) => i + 2), 'u-429', 'ya29.quota');
    await waitForList(settings, services, listId);
    await until('every result written', async () => (await sheetState(listId)).state === 'written');
    const mine = sheets.requests.filter((q) => q.spreadsheetId === 'book-429-000001');
    const limited = mine.filter((q) => q.status === 429);
    assert.equal(limited.length, 2);
    // Exponential: the second retry waits at least twice the first.
    const i1 = mine.indexOf(limited[1]!);
    assert.ok(mine[i1]!.at - limited[0]!.at >= INTERVAL_MS - 40, 'first backoff');
    assert.ok(mine[i1 + 1]!.at - limited[1]!.at >= 2 * INTERVAL_MS - 40, `second backoff was ${mine[i1 + 1]!.at - limited[1]!.at} ms`);
    for (let r = 2; r <= 11; r++) assert.equal(sheet.rows[r - 1]![4], expected(sheet.rows[r - 1]!));
  });

  it('should keep results in Postgres while the token is expired, and write them when a fresh one arrives', async () => {
    const sheet = sheets.addSheet('book-token-00001', 7, leadsSheet(12, 'Cy'));
    // Google no longer accepts the token the add-on sent (it expired).
    const listId = await submit('book-token-00001', sheet, Array.from({ length: 12 }, (_, i) => i + 2), 'u-token', 'ya29.expired');
    const list = await waitForList(settings, services, listId);
    assert.equal(list.found, 12);
    await until('waiting for a token', async () => (await sheetState(listId)).state === 'waiting_for_token');
    const status = await poll(listId, 'u-token');
    assert.equal(status.waitingForToken, true);
    assert.equal(status.written, 0);
    assert.ok(sheet.rows.slice(1).every((r) => r.length === 4), 'nothing written with a refused token');
    const refused = sheets.requests.filter((q) => q.spreadsheetId === 'book-token-00001');
    assert.ok(refused.length >= 1 && refused.every((q) => q.status === 401));

    // The sidebar's next poll forwards a fresh token.
    sheets.validTokens.add('ya29.fresh');
    await poll(listId, 'u-token', 'ya29.fresh');
    await until('every result written', async () => (await sheetState(listId)).state === 'written');
    for (let r = 2; r <= 13; r++) assert.deepEqual(sheet.rows[r - 1]!.slice(4), [expected(sheet.rows[r - 1]!), '90', 'found']);
    const done = await poll(listId, 'u-token');
    assert.equal(done.phase, 'done');
    assert.equal(done.written, 12);
    assert.equal(done.waitingForToken, false);
  });

  it('should put results on the right rows after a sort mid-run, and hold those whose rows were deleted or edited', async () => {
    const sheet = sheets.addSheet('book-sorted-0001', 7, leadsSheet(20, 'Dee'));
    sheets.validTokens.add('ya29.sorting');
    // The second half waits until the user has sorted the sheet.
    for (let i = 10; i < 20; i++) gated.add(`Dee${i}`);
    gate = new Promise<void>((resolve) => (release = resolve));
    const listId = await submit('book-sorted-0001', sheet, Array.from({ length: 20 }, (_, i) => i + 2), 'u-sort', 'ya29.sorting');
    await until('the first half written', async () => (await sheetState(listId)).written === 10);

    // The user sorts the data rows Z→A by first name (whole rows move, results included),
    // deletes Dee15's row and corrects Dee12's last name.
    const [header, ...data] = sheet.rows;
    data.sort((a, b) => b[0]!.localeCompare(a[0]!));
    sheet.rows = [header!, ...data.filter((r) => r[0] !== 'Dee15')];
    sheet.rows.find((r) => r[0] === 'Dee12')![1] = 'Corrected';
    release();

    await waitForList(settings, services, listId);
    await until('every result written or held', async () => (await sheetState(listId)).state === 'written');
    for (const row of sheet.rows.slice(1)) {
      if (row[0] === 'Dee12') assert.deepEqual(row.slice(4), [], 'an edited row gets no result meant for its old content');
      else assert.deepEqual(row.slice(4), [expected(row), '90', 'found'], `${row[0]}'s row holds ${row[0]}'s result`);
    }
    const status = await poll(listId, 'u-sort');
    assert.equal(status.phase, 'done');
    assert.equal(status.written, 18);
    assert.equal(status.held, 2);
    assert.match(status.heldReason ?? '', /changed, moved or deleted/);
    assert.equal(status.heldRows.length, 2);
  });

  it('should fill Industry and Agency once the companies are known, also on rows written before, never over typed cells', async () => {
    const sheet = sheets.addSheet('book-company-0001', 7, companySheet(15, 'Eve'));
    sheets.validTokens.add('ya29.company');
    // The user's own Industry label on an eve1.com row before the run, and one typed on an eve0.com row during it.
    sheet.rows[2]![7] = 'Fintech (ours)';
    // eve0.com's homepage is read only after every email is in the sheet: its rows need a second pass.
    gatedCompanies.add('eve0.com');
    companyGate = new Promise<void>((resolve) => (releaseCompanies = resolve));
    const listId = await submit('book-company-0001', sheet, Array.from({ length: 15 }, (_, i) => i + 2), 'u-company', 'ya29.company', COMPANY_OUTPUT);
    sheet.rows[6]![7] = 'Typed by user';
    await until('every email written', async () => (await sheetState(listId)).written === 15);
    const gatedRows = sheet.rows.slice(1).filter((row) => domainOf(row) === 'eve0.com');
    assert.equal(gatedRows.length, 3);
    for (const row of gatedRows) {
      assert.equal(row[4], expected(row));
      if (row[0] !== 'Eve5') assert.deepEqual(row.slice(7), [], `${row[0]}: no company cells before its company is known`);
    }
    const status = await poll(listId, 'u-company');
    assert.notEqual(status.phase, 'done', 'the run is not done while company cells are still to fill');

    const before = sheets.requests.filter((q) => q.spreadsheetId === 'book-company-0001').length;
    releaseCompanies();
    await waitForList(settings, services, listId);
    await until('the company cells written', async () => (await sheetState(listId)).state === 'written');

    for (const row of sheet.rows.slice(1)) {
      const domain = domainOf(row);
      assert.equal(row[3], `note ${row[0]!.slice(3)}`, 'Notes untouched');
      assert.deepEqual(row.slice(4, 7), [expected(row), '90', 'found'], `${row[0]}'s result`);
      if (row[0] === 'Eve1') assert.deepEqual(row.slice(7), ['Fintech (ours)', 'No'], 'the user\'s Industry stays; the empty Agency is filled');
      else if (row[0] === 'Eve5') assert.deepEqual(row.slice(7), ['Typed by user', 'Yes'], 'a value typed during the run stays');
      else assert.deepEqual(row.slice(7), COMPANY_CELLS[digitOf(domain)], `${row[0]} (${domain})`);
    }
    // The second pass (the eve0.com rows, and any other row written before its company was
    // known): one read and one write request, company cells only.
    const after = sheets.requests.filter((q) => q.spreadsheetId === 'book-company-0001').slice(before);
    const writes = after.filter((q) => q.kind === 'write');
    assert.equal(writes.length, 1, `${writes.length} write requests after the companies were known`);
    assert.ok(after.filter((q) => q.kind === 'read').length <= 2, `${after.length} requests after the companies were known`);
    const ranges = writes[0]!.body.data!;
    assert.ok(ranges.every((d) => d.dataFilter.gridRange.startColumnIndex! >= 7), 'only company cells in the second pass');
    const rowsWritten = new Set(ranges.flatMap((d) => Array.from({ length: d.values.length }, (_, i) => d.dataFilter.gridRange.startRowIndex! + 1 + i)));
    for (const n of [2, 7, 12]) assert.ok(rowsWritten.has(n), `eve0.com's row ${n} in the second pass`);
    const done = await poll(listId, 'u-company');
    assert.equal(done.phase, 'done');
    assert.equal(done.written, 15);
    gatedCompanies.clear();
  });

  it('should still take a run from an older add-on without the company columns, and write none', async () => {
    const sheet = sheets.addSheet('book-oldaddon-01', 7, companySheet(6, 'Flo'));
    sheets.validTokens.add('ya29.old-addon');
    const listId = await submit('book-oldaddon-01', sheet, Array.from({ length: 6 }, (_, i) => i + 2), 'u-old', 'ya29.old-addon');
    await waitForList(settings, services, listId);
    await until('every result written', async () => (await sheetState(listId)).state === 'written');
    const { rows: [sl] } = await services.db.pool.query('SELECT output_columns FROM sheet_lists WHERE list_id = $1', [listId]);
    assert.deepEqual(Object.keys(sl.output_columns).sort(), ['confidence', 'email', 'status']);
    // Its companies are classified (the results file has them), but the sheet gets only the email columns.
    const { rows: known } = await services.db.pool.query(`SELECT count(*)::int AS n FROM domains WHERE domain IN ('flo0.com', 'flo1.com') AND company IS NOT NULL`);
    assert.equal(known[0].n, 2);
    for (const row of sheet.rows.slice(1)) assert.deepEqual(row.slice(4), [expected(row), '90', 'found'], `${row[0]}`);
    assert.equal((await poll(listId, 'u-old')).phase, 'done');
  });

  it('should write the results when the user has deleted the company columns, without the company cells', async () => {
    const sheet = sheets.addSheet('book-nocompany-1', 7, companySheet(5, 'Gus'));
    sheets.validTokens.add('ya29.no-company');
    const listId = await submit('book-nocompany-1', sheet, Array.from({ length: 5 }, (_, i) => i + 2), 'u-nocompany', 'ya29.no-company', COMPANY_OUTPUT);
    // The user deletes Industry and Agency before anything is written.
    for (const row of sheet.rows) row.splice(7, 2);
    await waitForList(settings, services, listId);
    await until('every result written', async () => (await sheetState(listId)).state === 'written');
    for (const row of sheet.rows.slice(1)) assert.deepEqual(row.slice(4), [expected(row), '90', 'found'], `${row[0]}`);
    const status = await poll(listId, 'u-nocompany');
    assert.equal(status.phase, 'done');
    assert.equal(status.held, 0);
  });
});
