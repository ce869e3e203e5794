/**
 * The web pages in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
 * upload a CSV on `/`, watch its bar move and reach 100 %, download the results, open the list's
 * page; and sign in with a key when local mode is off. Screenshots go to test-results/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startApiHarness, type ApiHarness } from './api.harness.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = 'test-results';
/** Whether the first list's bar shows `pct`, evaluated in the page (typed here without DOM types). */
type PageGlobals = { document: { querySelector(s: string): { value?: number } | null } };
const barAt = (pct: number) => [(p: number) => (globalThis as unknown as PageGlobals).document.querySelector('tr[data-list-id] progress.bar')?.value === p, pct] as const;

describe('web pages in a browser', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)` }, () => {
  let h: ApiHarness;
  let browser: Browser;
  const pageErrors: string[] = [];

  before(async () => {
    await mkdir(SHOTS, { recursive: true });
    h = await startApiHarness('web.pages', { LOCAL_MODE: 'true' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      // The wrong-key sign-in answers 401 on purpose; anything else failing is a bug.
      if (msg.type() === 'error' && !msg.location().url.endsWith('/signin')) pageErrors.push(`${msg.text()} (${msg.location().url})`);
    });
    return page;
  }

  it('should upload a CSV on /, show the bar reach 100 %, and download the results', async () => {
    const page = await newPage();
    await page.goto(`${h.base}/`);
    assert.match(await page.locator('.badge').innerText(), /local mode/);
    await page.screenshot({ path: `${SHOTS}/web-1-home.png`, fullPage: true });

    // 40 people, 2 rows that cannot be looked up, and one "Slow" person whose lookup waits for
    // the test: the bar must stop short of 100 % until we let it finish.
    const rows = ['First name,Last name,Website'];
    for (let i = 0; i < 40; i++) rows.push(`Person${i},Tester${i},https://www.acme${i % 4}.com`);
    rows.push('Nameless,,acme.com', 'Homeless,Person,', 'Slow,Poke,acme.com');
    await page.setInputFiles('#upload input[type=file]', { name: 'leads.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) });
    await page.click('#upload button[type=submit]');
    await page.waitForSelector('.upload-status:has-text("queued")');

    const bar = page.locator('tr[data-list-id] progress.bar').first();
    // Everything but the slow row settles: 42 of 43.
    await page.waitForFunction(...barAt(98));
    assert.equal(await page.locator('tr[data-list-id] .status').first().innerText(), 'running');
    await page.screenshot({ path: `${SHOTS}/web-2-progress.png`, fullPage: true });

    h.slow.open();
    await page.waitForFunction(...barAt(100));
    assert.equal(await bar.getAttribute('value'), '100');
    await page.waitForSelector('tr[data-list-id] .download a');
    assert.match(await page.locator('tr[data-list-id] .counts').first().innerText(), /41 found · 41 looked up · 2 skipped · 43 rows/);
    await page.screenshot({ path: `${SHOTS}/web-3-done.png`, fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('tr[data-list-id] .download a')]);
    assert.equal(download.suggestedFilename(), 'leads-with-emails.csv');
    const csv = (await readFile((await download.path())!, 'utf8')).trim().split(/\r?\n/);
    assert.equal(csv.length, 44);
    assert.match(csv[0]!, /^First name,Last name,Website,email,confidence,verification,status,pattern,industry,is_agency$/);
    assert.match(csv[1]!, /^Person0,Tester0,https:\/\/www.acme0.com,person0.tester0@acme0.com,90,valid,found/);
    assert.match(csv[43]!, /^Slow,Poke,acme.com,slow.poke@acme.com/);
    assert.match(csv[41]!, /skipped: /);
  });

  it("should show a list's counts by status and its bad rows with their reasons", async () => {
    const page = await newPage();
    await page.goto(`${h.base}/`);
    await page.click('tr[data-list-id] a[href^="/lists/"]');
    await page.waitForSelector('table.by-status');
    const byStatus = await page.locator('table.by-status tr').allInnerTexts();
    assert.ok(byStatus.some((t) => /found\s+41/.test(t)), byStatus.join(' | '));
    assert.ok(byStatus.some((t) => /skipped\s+2/.test(t)), byStatus.join(' | '));
    const bad = await page.locator('table.bad-rows tbody tr').allInnerTexts();
    assert.equal(bad.length, 2);
    assert.match(bad[0]!, /^42\s/);
    assert.match(bad[0]!, /last name|name/i);
    assert.match(bad[1]!, /^43\s/);
    await page.screenshot({ path: `${SHOTS}/web-4-list.png`, fullPage: true });
  });

  it('should ask for a key when local mode is off, and show that account after sign-in', async () => {
    const remote = await h.app({ LOCAL_MODE: 'false' });
    const page = await newPage();
    await page.goto(`${remote.base}/`);
    assert.ok(page.url().endsWith('/signin'), page.url());
    await page.screenshot({ path: `${SHOTS}/web-5-signin.png`, fullPage: true });
    await page.fill('input[name=api_key]', 'toofr_00000000_wrongwrongwrongwrongwrongwrongwron');
    await page.click('button[type=submit]');
    assert.match(await page.locator('.error').innerText(), /not valid/);
    await page.fill('input[name=api_key]', h.keyB);
    await page.click('button[type=submit]');
    await page.waitForSelector('h2:has-text("Your lists")');
    assert.equal(await page.locator('tr[data-list-id]').count(), 0, "account B does not see the local account's list");
    assert.ok(await page.locator('button:has-text("Sign out")').isVisible());
    assert.equal(await page.locator('a:has-text("Add to Slack")').count(), 0, 'no Slack button without Slack OAuth settings');
  });

  it('should offer "Add to Slack" when Slack OAuth is configured', async () => {
    const withSlack = await h.app({ LOCAL_MODE: 'true', SLACK_SIGNING_SECRET: 'test-signing-secret', SLACK_CLIENT_ID: '123.456', SLACK_CLIENT_SECRET: 'test-client-secret', SLACK_STATE_SECRET: 'test-state-secret' });
    const page = await newPage();
    await page.goto(`${withSlack.base}/`);
    assert.equal(await page.locator('a:has-text("Add to Slack")').getAttribute('href'), '/slack/install');
  });

  it('should run the pages without script errors (CSP: scripts and styles from this site only)', () => {
    assert.deepEqual(pageErrors, []);
  });
});
