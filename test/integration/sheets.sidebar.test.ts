/**
 * The add-on's sidebar in headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core), with `google.script.run` stubbed the way Apps Script provides it. Reading
 * the sheet (getSheetContext) runs the real bundle on Apps Script stand-ins; starting and
 * polling a run answer from a script the test controls, so each state is shown on purpose.
 * Screenshots go to test-results/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildAddon } from '../../sheets-addon/build.ts';
import { loadAddon, SyncHttp, type GasWorld } from '../fakes/apps-script.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.resolve('test-results');

/** google.script.run as Apps Script's client provides it, forwarding each call to the test. */
const STUB = `
  window.POLL_MS = 30;
  window.__calls = [];
  function runner(success, failure) {
    return new Proxy({}, {
      get(_, name) {
        if (name === 'withSuccessHandler') return (f) => runner(f, failure);
        if (name === 'withFailureHandler') return (f) => runner(success, f);
        if (name === 'withUserObject') return () => runner(success, failure);
        return (...args) => {
          // Apps Script only passes primitives, plain objects and arrays.
          JSON.stringify(args);
          window.__calls.push({ name, args });
          window.__gasCall(name, JSON.stringify(args)).then((r) => {
            const out = JSON.parse(r);
            if (out.error) { if (failure) failure(new Error(out.error)); }
            else if (success) success(out.value === undefined ? null : out.value);
          });
        };
      },
    });
  }
  window.google = { script: { get run() { return runner(null, null); } } };
`;

interface Status {
  phase: 'finding' | 'writing' | 'done' | 'failed';
  total: number; processed: number; found: number; written: number; held: number; heldRows: number[]; heldReason: string | null;
  waitingForToken: boolean; rateLimited: boolean; etaSeconds: number | null; error: string | null;
}
const status = (s: Partial<Status>): Status => ({
  phase: 'finding', total: 3, processed: 0, found: 0, written: 0, held: 0, heldRows: [], heldReason: null, waitingForToken: false, rateLimited: false, etaSeconds: null, error: null, ...s,
});

describe('the sidebar in headless Chromium', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)` }, () => {
  let browser: Browser;
  let dist: string;
  let html: string;
  let http: SyncHttp;
  let addon: Record<string, (...args: unknown[]) => unknown>;
  type Answer = { fn: string; value?: unknown; error?: string };

  before(async () => {
    await mkdir(SHOTS, { recursive: true });
    dist = await buildAddon({ publicUrl: 'https://toofr.example.test', outDir: await mkdtemp(path.join(os.tmpdir(), 'toofr-sidebar-')) });
    html = await readFile(path.join(dist, 'Sidebar.html'), 'utf8');
    http = new SyncHttp();
    const world: GasWorld = {
      spreadsheetId: 'sidebar-book-0001', sheetId: 3,
      sheet: {
        title: 'Leads',
        rows: [
          ['First name', 'Last name', 'Company', 'Website', 'Email'],
          ['Ada', 'Lovelace', 'Analytical', 'analytical.io', ''],
          ['Alan', 'Turing', 'Bletchley', 'bletchley.org', 'alan@known.org'],
          ['Grace', 'Hopper', 'Navy', 'navy.mil', ''],
          ['', 'Nobody', 'Acme', 'acme.com', ''],
        ],
      },
      documentProperties: new Map(), userProperties: new Map(), triggers: [], menu: [], sidebars: [], fetches: [],
      identityToken: () => null, oauthToken: () => 'unused', route: (u) => u,
    };
    addon = loadAddon(dist, world, http);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await http?.close();
    if (dist) await rm(dist, { recursive: true, force: true });
  });

  /**
   * A sidebar page. startRun and pollRun answer from `script`, in order, each only once the test
   * has let it through with `step()`, so every state stays on screen until it is checked.
   */
  async function open(script: Answer[] = []): Promise<{ page: Page; step: (n?: number) => void; left: () => number }> {
    const page = await browser.newPage({ viewport: { width: 300, height: 640 } });
    let allowed = 0;
    let wake: () => void = () => {};
    const step = (n = 1) => {
      allowed += n;
      wake();
    };
    await page.exposeFunction('__gasCall', async (name: string, argsJson: string) => {
      const args = JSON.parse(argsJson) as unknown[];
      try {
        if (name === 'getSheetContext') return JSON.stringify({ value: JSON.parse(JSON.stringify(addon.getSheetContext!(...args))) });
        while (allowed === 0) await new Promise<void>((resolve) => (wake = resolve));
        allowed--;
        const next = script.shift();
        if (!next || next.fn !== name) return JSON.stringify({ error: `unexpected call ${name}` });
        return JSON.stringify(next.error ? { error: next.error } : { value: next.value });
      } catch (err) {
        return JSON.stringify({ error: (err as Error).message });
      }
    });
    await page.addInitScript(STUB);
    // A real navigation (init scripts do not apply to setContent); nothing else is reachable.
    await page.route('**/*', (route) => (route.request().url() === 'http://sidebar.test/' ? route.fulfill({ contentType: 'text/html', body: html }) : route.abort()));
    await page.goto('http://sidebar.test/');
    return { page, step, left: () => script.length };
  }

  // Browser-side code is passed as strings: the test's tsconfig has no DOM types.
  const calls = (page: Page) => page.evaluate('window.__calls') as Promise<Array<{ name: string; args: unknown[] }>>;

  it('should show the detected columns and what a run would do, and preview an override', async () => {
    const { page } = await open();
    await page.waitForSelector('#setup:not([hidden])');
    assert.equal(await page.inputValue('#col-first'), '0');
    assert.equal(await page.inputValue('#col-last'), '1');
    assert.equal(await page.inputValue('#col-company'), '2');
    assert.equal(await page.inputValue('#col-domain'), '3');
    assert.equal(await page.inputValue('#col-full_name'), '');
    assert.equal(await page.locator('.badge', { hasText: 'detected' }).count(), 4);
    assert.equal(await page.textContent('#counts'), '2 rows to process · 2 skipped');
    assert.match((await page.textContent('#reasons'))!, /1 already has an email \(row 3\)/);
    assert.match((await page.textContent('#reasons'))!, /1 no name \(row 5\)/);
    assert.match((await page.textContent('#outputs'))!, /^Results go to Email, Confidence, Status, Industry, Agency \(Confidence, Status, Industry, Agency will be added after your columns\)/);
    assert.match((await page.textContent('#outputs'))!, /Industry and Agency \(Yes\/No\) describe each row’s company/);
    await page.screenshot({ path: path.join(SHOTS, 'sheets-sidebar-detected.png') });

    // Override: include rows that already have an email, and take the company from nowhere.
    await page.uncheck('#only-new');
    await page.waitForFunction("document.getElementById('counts')?.textContent === '3 rows to process · 1 skipped'");
    await page.selectOption('#col-company', '');
    await page.selectOption('#col-domain', '');
    await page.waitForSelector('#problem:not([hidden])');
    assert.match((await page.textContent('#problem'))!, /Choose a Company or Domain/);
    assert.equal(await page.isDisabled('#run'), true);
    const preview = (await calls(page)).filter((c) => c.name === 'getSheetContext').at(-1)!;
    assert.deepEqual(preview.args, [{ headerRow: 1, columns: { first: 0, last: 1 }, onlyNew: false }]);
    await page.screenshot({ path: path.join(SHOTS, 'sheets-sidebar-override.png') });
    await page.close();
  });

  it('should show live progress, a wait for Google permission, then a clear done state', async () => {
    const { page, step, left } = await open([
      { fn: 'startRun', value: { listId: 'l-1', total: 3, skipped: 1 } },
      { fn: 'pollRun', value: status({ processed: 1, found: 1, written: 1, etaSeconds: 40 }) },
      { fn: 'pollRun', value: status({ processed: 2, found: 2, written: 1, etaSeconds: 200, waitingForToken: true }) },
      { fn: 'pollRun', value: status({ phase: 'writing', processed: 3, found: 2, written: 2, rateLimited: true }) },
      { fn: 'pollRun', value: status({ phase: 'done', processed: 3, found: 2, written: 2, held: 1, heldRows: [4], heldReason: 'its row was changed, moved or deleted while Toofr ran' }) },
    ]);
    try {
      await page.waitForSelector('#setup:not([hidden])');
      await page.click('#run');
      step(2);
      await page.waitForFunction("document.getElementById('processed')?.textContent === '1 / 3'");
      assert.equal(await page.textContent('#eta'), 'under a minute');
      assert.equal(await page.textContent('#phase'), 'Finding emails…');
      assert.equal(await page.getAttribute('#bar', 'style'), 'width: 33%;');
      step();
      await page.waitForSelector('#note-token');
      assert.equal(await page.textContent('#eta'), 'about 3 min');
      assert.match((await page.textContent('#note-token'))!, /results are saved and will be written/);
      await page.screenshot({ path: path.join(SHOTS, 'sheets-sidebar-progress.png') });
      step();
      await page.waitForSelector('#note-quota');
      assert.equal(await page.textContent('#phase'), 'Writing the last results into the sheet…');
      assert.equal(await page.isVisible('#note-token'), false);
      step();
      await page.waitForSelector('#final:not([hidden])');
      assert.equal(await page.textContent('#phase'), 'Done');
      assert.match((await page.textContent('#final'))!, /Found 2 of 3 emails/);
      assert.match((await page.textContent('#final'))!, /industry and whether it is an agency are in Industry and Agency/);
      assert.match((await page.textContent('#note-held'))!, /1 result is held back because its row was changed, moved or deleted while Toofr ran \(row 4\)/);
      assert.equal(await page.isVisible('#again'), true);
      const names = (await calls(page)).map((c) => c.name);
      assert.deepEqual(names, ['getSheetContext', 'startRun', 'pollRun', 'pollRun', 'pollRun', 'pollRun'], 'no polling once done');
      const start = (await calls(page)).find((c) => c.name === 'startRun')!;
      assert.deepEqual(start.args, [{ headerRow: 1, columns: { first: 0, last: 1, company: 2, domain: 3 }, onlyNew: true }]);
      assert.equal(left(), 0);
      await page.screenshot({ path: path.join(SHOTS, 'sheets-sidebar-done.png') });
    } finally {
      await page.close();
    }
  });

  it('should explain errors in plain language and keep what was shown', async () => {
    const { page, step } = await open([
      { fn: 'startRun', error: 'Exception: Your Google sign-in was not accepted. Reload the sheet and open Toofr again.' },
      { fn: 'startRun', value: { listId: 'l-2', total: 2, skipped: 0 } },
      { fn: 'pollRun', value: status({ total: 2, processed: 1, found: 1, written: 1 }) },
      { fn: 'pollRun', error: 'Toofr\'s server could not be reached. Results found so far are saved and will be written; try again in a few minutes.' },
      { fn: 'pollRun', value: status({ phase: 'failed', total: 2, processed: 1, found: 1, written: 1, error: 'The list could not be processed.' }) },
    ]);
    try {
      await page.waitForSelector('#setup:not([hidden])');
      await page.click('#run');
      step();
      await page.waitForSelector('#error:not([hidden])');
      assert.equal(await page.textContent('#error'), 'Your Google sign-in was not accepted. Reload the sheet and open Toofr again.');
      assert.equal(await page.isEnabled('#run'), true, 'the user can try again');
      await page.click('#run');
      step(3);
      await page.waitForFunction("document.getElementById('error')?.textContent?.includes('could not be reached')");
      assert.equal(await page.isVisible('#error'), true);
      assert.equal(await page.textContent('#processed'), '1 / 2', 'progress so far stays on screen');
      await page.screenshot({ path: path.join(SHOTS, 'sheets-sidebar-unreachable.png') });
      // The next poll works again: the banner goes, and the failed state is clear.
      step();
      await page.waitForSelector('#final:not([hidden])');
      assert.equal(await page.isVisible('#error'), false);
      assert.equal(await page.textContent('#phase'), 'Stopped');
      assert.match((await page.textContent('#final'))!, /The list could not be processed\. Results found so far stay in the sheet\./);
      await page.screenshot({ path: path.join(SHOTS, 'sheets-sidebar-failed.png') });
    } finally {
      await page.close();
    }
  });
});
