/**
 * CSV files shared in Slack: the file_shared event (Slack-signed) → intake job → real pipeline
 * (queue, workers, Postgres, deterministic enricher) → progress in the thread → results file
 * uploaded into the thread with files.uploadV2 → summary. Plus what must not happen: the bot's
 * own uploads, non-CSVs, event retries, huge files, HTML sign-in pages, unusable columns.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getList, type ListRow } from '../../core/lists/store.ts';
import { eventBody, sendToSlackEndpoint, type Call, type FakeFile } from '../fakes/slack.ts';
import { waitForList } from '../helpers/pipeline.ts';
import { SECRET, T1, startHarness, type Harness } from './slack.harness.ts';

let fileSeq = 0;

describe('CSV files shared in Slack', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('slack-files', { mode: 'single', env: { SLACK_MAX_FILE_MB: '1' } });
  });
  after(async () => {
    await h.close();
  });

  function share(content: string, opts: Partial<FakeFile> = {}): FakeFile {
    const n = ++fileSeq;
    return h.fake.addFile({ id: `F${n}`, teamId: 'T1', name: 'leads.csv', content, channel: 'C123', ts: `1700000000.0000${n}`, ...opts });
  }
  async function sendShared(f: FakeFile, opts: { eventId?: string; userId?: string; retry?: number } = {}): Promise<Response> {
    const body = eventBody('T1', { type: 'file_shared', channel_id: f.channel, file_id: f.id, user_id: opts.userId ?? 'UALICE', file: { id: f.id }, event_ts: f.ts }, { eventId: opts.eventId, botUserId: T1.botUserId });
    const res = await sendToSlackEndpoint(h.base, SECRET, body, { json: true, headers: opts.retry ? { 'x-slack-retry-num': String(opts.retry), 'x-slack-retry-reason': 'http_timeout' } : {} });
    await res.text();
    return res;
  }
  /** The list made from a shared file, once the intake job recorded it. */
  async function listOf(f: FakeFile): Promise<ListRow> {
    await h.fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.thread_ts === f.ts, `the reply to ${f.id}`);
    for (;;) {
      const { rows } = await h.services.db.pool.query<{ list_id: string | null; outcome: string | null }>('SELECT list_id, outcome FROM slack_files WHERE file_id = $1', [f.id]);
      if (rows[0]?.outcome) {
        assert.ok(rows[0].list_id, `file ${f.id} became a list (outcome ${rows[0].outcome})`);
        return (await getList(h.services.db.pool, rows[0].list_id))!;
      }
      await new Promise((r) => setImmediate(r));
    }
  }
  const updatesOf = (ts: string): Call[] => h.fake.api('chat.update').filter((c) => c.body.ts === ts);

  it('should reply in the file\'s thread, run the list through the pipeline and upload leads-with-emails.csv there with a summary', async () => {
    const csv = ['First name,Last name,Website', 'Jane,Doe,acme.com', 'John,Catchall,acme.com', 'Ann,Nobody,acme.com', 'Bob,Bad,', 'Eve,Smith,https://www.beta.io/about'].join('\n');
    const f = share(csv);
    const res = await sendShared(f);
    assert.equal(res.status, 200);
    const reply = await h.fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.thread_ts === f.ts, 'the threaded reply');
    assert.equal(reply.body.channel, 'C123');
    assert.match(reply.body.text, /^leads\.csv — 5 rows\. Finding emails…$/);
    assert.match(JSON.stringify(reply.body.blocks), /5 rows, columns: First name → first, Last name → last, Website → domain\. Finding emails…/);
    const download = h.fake.calls.find((c) => c.kind === 'download' && c.method === f.id)!;
    assert.equal(download.auth, `Bearer ${T1.token}`, 'downloaded with the workspace token');

    const list = await listOf(f);
    const done = await waitForList(h.settings, h.services, list.id);
    assert.equal(done.status, 'done');
    const upload = h.fake.calls.find((c) => c.kind === 'upload')!;
    const lines = upload.body.content.trim().split(/\r?\n/);
    assert.equal(lines[0], 'First name,Last name,Website,email,confidence,verification,status,pattern,industry,is_agency');
    assert.equal(lines.length, 6, 'every row, in order');
    assert.match(lines[1]!, /^Jane,Doe,acme\.com,jane\.doe@acme\.com,92,valid,found/);
    assert.match(lines[2]!, /^John,Catchall,acme\.com,john\.catchall@acme\.com,55,accept_all/);
    assert.match(lines[3]!, /^Ann,Nobody,acme\.com,,0,unknown,not_found/);
    assert.match(lines[4]!, /^Bob,Bad,,,,,skipped:/);
    assert.match(lines[5]!, /^Eve,Smith,https:\/\/www\.beta\.io\/about,eve\.smith@beta\.io/);
    const getUrl = h.fake.api('files.getUploadURLExternal').at(-1)!;
    assert.equal(getUrl.body.filename, 'leads-with-emails.csv');
    const complete = h.fake.api('files.completeUploadExternal').at(-1)!;
    assert.equal(complete.body.channel_id, 'C123');
    assert.equal(complete.body.thread_ts, f.ts, 'into the file\'s thread');
    assert.match(complete.body.initial_comment, /3 found \(2 valid, 1 accept_all\) · 1 not found · 1 bad rows — 5 rows/);
    const updates = updatesOf(reply.response!.ts);
    assert.ok(updates.length >= 1, 'the reply was edited');
    assert.match(updates.at(-1)!.body.text, /leads\.csv: done — 3 found/, 'and ends with the summary');
    assert.equal(updates.at(-1)!.body.channel, 'C123');
  });

  it('should ignore the bot\'s own uploads and files that are not CSVs', async () => {
    const own = share('First name,Last name,Website\nA,B,c.com', { name: 'leads-with-emails.csv' });
    await sendShared(own, { userId: T1.botUserId });
    const image = share('PNG...', { name: 'chart.png', filetype: 'png', mimetype: 'image/png' });
    await sendShared(image);
    const ownViaInfo = share('First name,Last name,Website\nA,B,c.com', { user: T1.botUserId });
    await sendShared(ownViaInfo, { userId: 'UOTHER' });
    // The last two are decided by the intake job: wait for their outcomes.
    for (const [f, outcome] of [[image, 'not_csv'], [ownViaInfo, 'own_upload']] as const) {
      for (;;) {
        const { rows } = await h.services.db.pool.query<{ outcome: string | null }>('SELECT outcome FROM slack_files WHERE file_id = $1', [f.id]);
        if (rows[0]?.outcome) {
          assert.equal(rows[0].outcome, outcome, f.name);
          break;
        }
        await new Promise((r) => setImmediate(r));
      }
    }
    assert.equal(h.fake.calls.filter((c) => c.method === 'files.info' && c.body.file === own.id).length, 0, 'own upload event dropped before any work');
    for (const f of [own, image, ownViaInfo]) {
      assert.equal(h.fake.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === f.ts).length, 0, `no reply about ${f.name}`);
    }
  });

  it('should drop Slack\'s event retries and re-sent events for the same file', async () => {
    const f = share('First name,Last name,Website\nJane,Doe,acme.com');
    const first = await sendShared(f, { eventId: 'EvDUP1' });
    const retry1 = await sendShared(f, { eventId: 'EvDUP1', retry: 1 });
    const retry2 = await sendShared(f, { eventId: 'EvDUP1', retry: 2 });
    const resent = await sendShared(f, { eventId: 'EvDUP2' });
    for (const r of [first, retry1, retry2, resent]) assert.equal(r.status, 200);
    const list = await listOf(f);
    await waitForList(h.settings, h.services, list.id);
    const events = await h.services.db.pool.query(`SELECT event_id FROM slack_events WHERE event_id IN ('EvDUP1', 'EvDUP2')`);
    assert.equal(events.rowCount, 2);
    const lists = await h.services.db.pool.query(`SELECT id FROM lists WHERE source_ref->>'file_id' = $1`, [f.id]);
    assert.equal(lists.rowCount, 1, 'one list');
    assert.equal(h.fake.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === f.ts).length, 1, 'one reply');
  });

  it('should refuse a file over SLACK_MAX_FILE_MB without downloading it', async () => {
    const f = share('First name,Last name,Website\nJane,Doe,acme.com', { size: 3 * 1024 * 1024 });
    await sendShared(f);
    const reply = await h.fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.thread_ts === f.ts, 'the refusal');
    assert.match(reply.body.text, /leads\.csv is 3\.0 MB; Toofr takes files up to 1\.0 MB here\. Split it/);
    assert.equal(h.fake.calls.filter((c) => c.kind === 'download' && c.method === f.id).length, 0);
  });

  it('should refuse an HTML sign-in page instead of the file, saying which scope is missing', async () => {
    const f = share('First name,Last name,Website\nJane,Doe,acme.com', { html: true });
    await sendShared(f);
    const reply = await h.fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.thread_ts === f.ts, 'the refusal');
    assert.match(reply.body.text, /sign-in page instead of leads\.csv: the app needs the files:read scope/);
  });

  it('should name the columns it found and the ones it needs when none are usable', async () => {
    const none = share('Phone,City\n555-1234,Paris\n555-9876,Berlin');
    const half = share('First name,City\nJane,Paris');
    await sendShared(none);
    await sendShared(half);
    const a = await h.fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.thread_ts === none.ts, 'the explanation');
    assert.match(a.body.text, /found columns: Phone, City/);
    assert.match(a.body.text, /First name, Last name, Company, Domain/);
    const b = await h.fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.thread_ts === half.ts, 'the explanation');
    assert.match(b.body.text, /found columns: First name, City/);
    assert.match(b.body.text, /need a last name column next to "First name".* and a company \(Company, Domain or Website\)/);
    const lists = await h.services.db.pool.query(`SELECT id FROM lists WHERE source_ref->>'file_id' IN ($1, $2)`, [none.id, half.id]);
    assert.equal(lists.rowCount, 0, 'no list for an unusable file');
  });
});
