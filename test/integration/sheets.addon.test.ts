import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Settings } from '../../core/config.ts';
import type { Services } from '../../core/services.ts';
import { readFile } from 'node:fs/promises';
import anyAscii from 'any-ascii';
import { buildAddon } from '../../sheets-addon/build.ts';
import anyAsciiLite from '../../sheets-addon/src/any-ascii-lite.ts';
import { createSheetsNotifier } from '../../worker/notifiers/sheets.ts';
import { freshServices } from '../helpers/db.ts';
import { fakeEnricher } from '../helpers/fake-enricher.ts';
import { startTestWorker, waitForList } from '../helpers/pipeline.ts';
import { loadAddon, SyncHttp, type GasWorld } from '../fakes/apps-script.ts';
import { startFakeGoogleIdentity, type FakeGoogleIdentity } from '../fakes/google-identity.ts';
import { startFakeSheetsApi, type FakeSheetsApi } from '../fakes/sheets.ts';
import { until } from '../helpers/until.ts';

const CLIENT_ID = '1234-addon.apps.googleusercontent.com';
const PUBLIC = 'https://toofr.example.test';

const plain = <T>(v: unknown): T => JSON.parse(JSON.stringify(v)) as T; // objects from the vm are of another realm

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** `node bot/index.ts`, the real web process, on its own port; resolves once it listens. */
async function startWebProcess(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['bot/index.ts'], { env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the web process exited (${code}): ${output}`);
  });
  // Its logger writes to stdout or stderr; keep reading both to the end (a closed pipe would kill it).
  const listening = new Promise<void>((resolve) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        output += `${line}\n`;
        if (line.includes('web listening')) resolve();
      });
    }
  });
  await Promise.race([listening, exited]);
  exited.catch(() => undefined);
  return { child, url: `http://127.0.0.1:${port}` };
}


describe('the add-on bundle in Node with Apps Script stand-ins, against the real web process', () => {
  let settings: Settings;
  let services: Services;
  let identity: FakeGoogleIdentity;
  let sheetsApi: FakeSheetsApi;
  let web: { child: ChildProcess; url: string };
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let http: SyncHttp;
  let dist: string;
  let world: GasWorld;
  let addon: Record<string, (...args: unknown[]) => unknown>;
  let oauth = 'ya29.expired-at-google';

  before(async () => {
    identity = await startFakeGoogleIdentity({ audience: CLIENT_ID });
    sheetsApi = await startFakeSheetsApi();
    const env = { GOOGLE_CLIENT_IDS: CLIENT_ID, GOOGLE_CERTS_URL: identity.certsUrl, GOOGLE_API_URL: sheetsApi.url, SHEETS_WRITE_INTERVAL_MS: '150' };
    const fresh = await freshServices('sheets-addon', env);
    ({ settings, services } = fresh);
    worker = await startTestWorker(services, fresh.log, fakeEnricher(), {
      concurrency: 4,
      notifiers: { sheets: createSheetsNotifier({ settings, pool: services.db.pool, log: fresh.log }) },
    });
    web = await startWebProcess({ ...env, NODE_ENV: 'test', DATABASE_URL: settings.databaseUrl!, DATABASE_SCHEMA: settings.databaseSchema, PUBLIC_URL: PUBLIC });
    // The web process fetches Google's keys once and caches them; fetch them now, while this
    // thread is free to serve them (it blocks during the add-on's synchronous UrlFetch calls).
    const warm = await fetch(`${web.url}/addon/token`, { method: 'POST', headers: { authorization: `Bearer ${identity.token({ sub: 'warm-up' })}`, 'content-type': 'application/json' }, body: '{"accessToken":"ya29.warm-up-token"}' });
    assert.equal(warm.status, 200);

    dist = await buildAddon({ publicUrl: PUBLIC, outDir: await mkdtemp(path.join(os.tmpdir(), 'toofr-addon-')) });
    http = new SyncHttp();
    const sheet = sheetsApi.addSheet('1AbCdEfGhIjKlMnOpQrStUvWxYz', 11, {
      title: 'Leads',
      rows: [
        ['Q3 leads from the fair'],
        ['Prénom', 'Nom', 'Société', 'Site web', 'E-mail', 'Notes'],
        ['Ada', 'Lovelace', 'Analytical', 'https://analytical.io', '', 'met at booth'],
        ['Alan', 'Turing', 'Bletchley', 'bletchley.org', 'alan@known.org', ''],
        ['', 'Nobody', 'Acme', 'acme.com', '', ''],
        ['Grace', 'Hopper', '', '', '', 'no company'],
        ['', '', '', '', '', ''],
        ['José', 'Müller', 'Beta', 'www.beta.de/about', '', 'umlaut'],
      ],
    });
    world = {
      spreadsheetId: '1AbCdEfGhIjKlMnOpQrStUvWxYz',
      sheetId: 11,
      sheet,
      documentProperties: new Map(),
      userProperties: new Map(),
      triggers: [],
      menu: [],
      sidebars: [],
      fetches: [],
      identityToken: () => identity.token({ sub: 'sheet-user-1', email: 'ada@example.com' }),
      oauthToken: () => oauth,
      route: (url) => url.replace(PUBLIC, web.url),
    };
    addon = loadAddon(dist, world, http);
  });

  after(async () => {
    await http?.close();
    web?.child.kill('SIGTERM');
    if (web) await once(web.child, 'exit');
    await worker.stop(1000);
    await services.close();
    await sheetsApi.close();
    await identity.close();
    if (dist) await rm(dist, { recursive: true, force: true });
  });

  it('should add Extensions → Toofr → Find emails, opening the sidebar, with only entry points global', () => {
    addon.onOpen!();
    assert.deepEqual(plain(world.menu), [{ caption: 'Find emails', functionName: 'showSidebar' }]);
    for (const f of ['showSidebar', 'getSheetContext', 'startRun', 'pollRun', 'toofrRefreshToken', 'onInstall']) assert.equal(typeof addon[f], 'function', f);
    for (const helper of ['detect', 'planRows', 'call', 'mapColumns']) assert.equal(addon[helper], undefined, `${helper} stays private`);
    addon.showSidebar!();
    assert.equal(world.sidebars[0]!.title, 'Toofr');
    assert.match(world.sidebars[0]!.html, /Only rows without an email yet/);
  });

  it('should detect the header row and the columns with the CSV importer\'s aliases, and explain skipped rows', () => {
    const ctx = plain<Record<string, any>>(addon.getSheetContext!());
    assert.equal(ctx.mapping.headerRow, 2);
    assert.deepEqual(ctx.detected, { first: 0, last: 1, company: 2, domain: 3 });
    assert.equal(ctx.toProcess, 2);
    assert.deepEqual(ctx.skippedReasons, { 'already has an email': 1, 'no name': 1, 'no company or domain': 1 });
    assert.deepEqual(ctx.skippedRows, [{ row: 4, reason: 'already has an email' }, { row: 5, reason: 'no name' }, { row: 6, reason: 'no company or domain' }]);
    assert.deepEqual(ctx.outputColumns, [
      { header: 'Email', exists: true }, { header: 'Confidence', exists: false }, { header: 'Status', exists: false },
      { header: 'Industry', exists: false }, { header: 'Agency', exists: false },
    ]);
    assert.equal(ctx.problem, undefined);
    assert.equal(ctx.activeRun, null);

    // The user's override: only the domain column, and every row including those with an email.
    const over = plain<Record<string, any>>(addon.getSheetContext!({ headerRow: 2, columns: { first: 0, last: 1, domain: 3 }, onlyNew: false }));
    assert.equal(over.toProcess, 3);
    assert.deepEqual(over.skippedReasons, { 'no name': 1, 'no company or domain': 1 });
    const none = plain<Record<string, any>>(addon.getSheetContext!({ headerRow: 2, columns: { first: 0 }, onlyNew: true }));
    assert.match(none.problem, /name columns/);
  });

  it('should submit the rows with the identity token, add the missing columns and remember the choice', async () => {
    const mapping = { headerRow: 2, columns: { first: 0, last: 1, company: 2, domain: 3 }, onlyNew: true };
    const started = plain<{ listId: string; total: number; skipped: number }>(addon.startRun!(mapping));
    assert.equal(started.total, 2);
    assert.equal(started.skipped, 3);
    const req = world.fetches.at(-1)!;
    assert.equal(req.url, `${PUBLIC}/addon/lists`);
    assert.equal(req.method, 'POST');
    assert.match(req.headers.Authorization!, /^Bearer eyJ/);
    const body = req.payload as Record<string, any>;
    assert.deepEqual(body.rows, [
      { row: 3, values: { first: 'Ada', last: 'Lovelace', company: 'Analytical', domain: 'https://analytical.io' } },
      { row: 8, values: { first: 'José', last: 'Müller', company: 'Beta', domain: 'www.beta.de/about' } },
    ]);
    assert.equal(body.spreadsheetId, world.spreadsheetId);
    assert.equal(body.sheetId, 11);
    assert.deepEqual(body.output, {
      email: { index: 4, header: 'E-mail' }, confidence: { index: 6, header: 'Confidence' }, status: { index: 7, header: 'Status' },
      industry: { index: 8, header: 'Industry' }, is_agency: { index: 9, header: 'Agency' },
    });
    assert.equal(body.accessToken, oauth);
    // Output columns created beside the data; the user's columns are where they were.
    assert.deepEqual(world.sheet.rows[1], ['Prénom', 'Nom', 'Société', 'Site web', 'E-mail', 'Notes', 'Confidence', 'Status', 'Industry', 'Agency']);
    assert.deepEqual(JSON.parse(world.documentProperties.get('toofr.mapping.11')!), mapping);
    assert.deepEqual(plain(world.triggers), [{ handler: 'toofrRefreshToken', everyHours: 1 }]);
    const list = (await services.db.pool.query(`SELECT l.source, a.kind, a.external_id FROM lists l JOIN accounts a ON a.id = l.account_id WHERE l.id = $1`, [started.listId])).rows[0];
    assert.deepEqual(list, { source: 'sheets', kind: 'google', external_id: 'sheet-user-1' });
    // Reopening the sidebar resumes this run, with the remembered columns.
    const reopened = plain<Record<string, any>>(addon.getSheetContext!());
    assert.equal(reopened.activeRun.listId, started.listId);
    assert.equal(reopened.remembered, true);
    assert.deepEqual(reopened.mapping, mapping);
    await waitForList(settings, services, started.listId);
  });

  it('should hand a fresh access token on each poll, so the workers write the results into the sheet', async () => {
    const listId = JSON.parse(world.userProperties.get(`toofr.run.${world.spreadsheetId}.11`)!).listId as string;
    // The token sent with the rows was refused by Google: results wait.
    await until('the write-back to wait for a token', async () =>
      (await services.db.pool.query(`SELECT 1 FROM sheet_lists WHERE list_id = $1 AND state = 'waiting_for_token'`, [listId])).rowCount);
    const waiting = plain<Record<string, any>>(addon.pollRun!());
    assert.equal(waiting.waitingForToken, true);
    assert.equal(waiting.found, 2);

    oauth = 'ya29.fresh-from-apps-script';
    sheetsApi.validTokens.add(oauth);
    addon.pollRun!();
    assert.equal((world.fetches.at(-1)!.payload as { accessToken: string }).accessToken, oauth);
    await until('the results in the sheet', async () =>
      (await services.db.pool.query(`SELECT 1 FROM sheet_lists WHERE list_id = $1 AND state = 'written'`, [listId])).rowCount);
    const done = plain<Record<string, any>>(addon.pollRun!());
    assert.equal(done.phase, 'done');
    assert.equal(done.written, 2);
    // The test worker's companies have no website (offline): industry Unknown, agency left blank.
    assert.deepEqual(world.sheet.rows[2], ['Ada', 'Lovelace', 'Analytical', 'https://analytical.io', 'ada.lovelace@analytical.io', 'met at booth', '90', 'found', 'Unknown']);
    assert.deepEqual(world.sheet.rows[7]!.slice(4), ['josé.müller@beta.de', 'umlaut', '90', 'found', 'Unknown']);
    assert.deepEqual(world.sheet.rows[3], ['Alan', 'Turing', 'Bletchley', 'bletchley.org', 'alan@known.org', ''], 'a skipped row is untouched');
    assert.equal(world.userProperties.size, 0, 'a finished run is forgotten');
    assert.equal(addon.pollRun!(), null);
  });

  it('should forward a token from the hourly trigger, which removes itself once nothing runs', async () => {
    oauth = 'ya29.from-the-trigger';
    addon.toofrRefreshToken!();
    assert.equal(world.fetches.at(-1)!.url, `${PUBLIC}/addon/token`);
    assert.deepEqual(world.triggers, []);
    const { rows } = await services.db.pool.query(`SELECT t.access_token FROM google_tokens t JOIN accounts a ON a.id = t.account_id WHERE a.external_id = 'sheet-user-1'`);
    assert.deepEqual(rows, [{ access_token: 'ya29.from-the-trigger' }]);
  });

  it('should build a clasp-ready folder: one script, the sidebar, and a manifest that allows only the backend', async () => {
    const manifest = JSON.parse(await readFile(path.join(dist, 'appsscript.json'), 'utf8'));
    assert.deepEqual(manifest.urlFetchWhitelist, [`${PUBLIC}/`]);
    assert.equal(manifest.runtimeVersion, 'V8');
    assert.deepEqual(manifest.oauthScopes, [
      'https://www.googleapis.com/auth/spreadsheets',
      'https://www.googleapis.com/auth/script.container.ui',
      'https://www.googleapis.com/auth/script.external_request',
      'https://www.googleapis.com/auth/script.scriptapp',
      'openid',
      'https://www.googleapis.com/auth/userinfo.email',
    ]);
    const code = await readFile(path.join(dist, 'Code.js'), 'utf8');
    assert.ok(code.length < 60_000, `Code.js is ${code.length} bytes`);
    assert.ok(!/\bimport\b[^(]|\bexport\b /.test(code), 'a classic script, no modules');
    await assert.rejects(buildAddon({ publicUrl: 'http://toofr.example.com', outDir: dist }), /must be an https:\/\/ URL/);
  });

  it('should fold header cells in the bundle exactly as the CSV importer does (every alias in core/lists/columns.ts)', async () => {
    const source = await readFile('core/lists/columns.ts', 'utf8');
    const phrases = [...source.matchAll(/'([^'\\\n]{1,40})'/g)].map((m) => m[1]!).filter((p) => /[^\x00-\x7f]/.test(p));
    assert.ok(phrases.length >= 20, `${phrases.length} aliases with accents`);
    for (const p of phrases) assert.equal(anyAsciiLite(p), anyAscii(p), p);
  });

  it('should turn failures into plain-language errors', () => {
    const mapping = { headerRow: 2, columns: { first: 0, last: 1, company: 2, domain: 3 }, onlyNew: false };
    const forged = world.identityToken;
    world.identityToken = () => null;
    assert.throws(() => addon.startRun!(mapping), /authorize the add-on again/);
    world.identityToken = () => identity.token({ aud: 'another-project.apps.googleusercontent.com' });
    assert.throws(() => addon.startRun!(mapping), /could not be verified.*Reload the sheet/);
    world.identityToken = forged;
    const route = world.route;
    world.route = () => 'http://127.0.0.1:9/addon/lists';
    assert.throws(() => addon.startRun!(mapping), /could not be reached\. Results found so far are saved/);
    world.route = route;
    assert.equal(world.triggers.length, 0, 'a failed start installs nothing');
  });
});
