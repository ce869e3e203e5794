/**
 * Progress and delivery against Slack's limits: progress edits are coalesced and spaced (counted
 * on the fake), 429s delay instead of crashing, a failed delivery is retried and loses nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ensureAccount, getList, type ListRow } from '../../core/lists/store.ts';
import { updateProgress } from '../../bot/slack/progress.ts';
import { deliverList } from '../../bot/slack/deliver.ts';
import { SlackBusyError } from '../../bot/slack/rate.ts';
import { eventBody, sendToSlackEndpoint, type Call, type FakeFile } from '../fakes/slack.ts';
import { waitForList } from '../helpers/pipeline.ts';
import { SECRET, T1, startHarness, type Harness } from './slack.harness.ts';

let seq = 0;

describe('Slack progress and delivery', () => {
  let h: Harness;
  before(async () => {
    // 50 ms per lookup, 5 at once: two 150-row lists take about 3 s, long enough to watch.
    h = await startHarness('slack-delivery', { mode: 'single', delayMs: 50, concurrency: 5, progressIntervalSeconds: 1 });
  });
  after(async () => {
    await h.close();
  });

  const signal = new AbortController().signal;
  const deps = () => ({ settings: h.settings, pool: h.services.db.pool, log: h.log, signal });

  async function shareAndWait(rows: number, channel: string): Promise<{ f: FakeFile; list: ListRow; replyTs: string }> {
    const n = ++seq;
    const lines = ['first,last,domain'];
    for (let i = 0; i < rows; i++) lines.push(`P${i},Q${i},d${i % 7}.com`);
    const f = h.fake.addFile({ id: `FD${n}`, teamId: 'T1', name: `batch${n}.csv`, content: lines.join('\n'), channel, ts: `1700001000.0000${n}` });
    const res = await sendToSlackEndpoint(h.base, SECRET, eventBody('T1', { type: 'file_shared', channel_id: channel, file_id: f.id, user_id: 'UALICE', file: { id: f.id }, event_ts: f.ts }, { botUserId: T1.botUserId }), { json: true });
    assert.equal(res.status, 200);
    const reply = await h.fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.thread_ts === f.ts, 'the reply');
    for (;;) {
      const { rows: r } = await h.services.db.pool.query<{ list_id: string | null }>('SELECT list_id FROM slack_files WHERE file_id = $1 AND outcome IS NOT NULL', [f.id]);
      if (r[0]?.list_id) return { f, list: (await getList(h.services.db.pool, r[0].list_id))!, replyTs: reply.response!.ts };
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** A list row that looks mid-run, with a message in `channel`, for driving the notifier directly. */
  async function syntheticList(channel: string, status = 'running'): Promise<ListRow> {
    const pool = h.services.db.pool;
    const accountId = await ensureAccount(pool, 'slack', 'T1');
    const ts = `1700002000.0000${++seq}`;
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO lists (account_id, source, source_ref, filename, status, header, mapping, total_rows, processed, found)
       VALUES ($1, 'slack', $2, 'synthetic.csv', $3, '["first","last","domain"]', '{"first":0,"last":1,"domain":2}', 3, 0, 0) RETURNING id`,
      [accountId, JSON.stringify({ team_id: 'T1', channel, thread_ts: ts, message_ts: ts, file_id: `FS${seq}` }), status],
    );
    const id = rows[0]!.id;
    const recs: Array<[number, string[], string | null, string | null]> = [
      [0, ['Ann', 'Lee', 'x.com'], 'ann.lee@x.com', 'valid'],
      [1, ['Bo', 'Ray', 'x.com'], 'bo.ray@x.com', 'accept_all'],
      [2, ['Cy', 'Nobody', 'x.com'], null, 'unknown'],
    ];
    for (const [ordinal, raw, email, verification] of recs) {
      await pool.query(
        `INSERT INTO records (list_id, ordinal, line, raw, domain, status, email, confidence, verification, pattern, result)
         VALUES ($1, $2, $3, $4, 'x.com', 'done', $5, $6, $7, '{first}.{last}', $8)`,
        [id, ordinal, ordinal + 2, JSON.stringify(raw), email, email ? 90 : 0, verification, JSON.stringify({ status: email ? 'found' : 'not_found' })],
      );
    }
    return (await getList(pool, id))!;
  }

  it('should keep one threaded message up to date, coalescing updates to at most one a second per channel', async () => {
    const started = performance.now();
    // Two lists in one channel at once: together they would want two edits a second.
    const [a, b] = await Promise.all([shareAndWait(150, 'CBUSY'), shareAndWait(150, 'CBUSY')]);
    await Promise.all([waitForList(h.settings, h.services, a.list.id), waitForList(h.settings, h.services, b.list.id)]);
    const elapsedS = (performance.now() - started) / 1000;
    const inChannel = h.fake.api('chat.update').filter((c) => c.body.channel === 'CBUSY');
    const progress = inChannel.filter((c) => !/: done —/.test(c.body.text));
    assert.ok(progress.length >= 2, `the message showed live progress (${progress.length} edits)`);
    assert.ok(progress.length <= Math.ceil(elapsedS) + 2, `${progress.length} progress edits in ${elapsedS.toFixed(1)} s: at most about one a second`);
    for (let i = 1; i < progress.length; i++) {
      const gap = progress[i]!.at - progress[i - 1]!.at;
      assert.ok(gap >= 900, `edits in one channel at least ~1 s apart (gap ${gap.toFixed(0)} ms)`);
    }
    for (const x of [a, b]) {
      const mine = inChannel.filter((c) => c.body.ts === x.replyTs);
      assert.match(mine.at(-1)!.body.text, /: done — 150 found/, 'each message ends with its summary');
      assert.ok(mine.slice(0, -1).every((c) => /% \(/.test(c.body.text)), 'earlier edits are progress');
    }
  });

  it('should coalesce concurrent progress jobs into one edit carrying the latest counts', async () => {
    const list = await syntheticList('CCOAL');
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => updateProgress(deps(), list)));
    // One sends; the rest either merged into it while it was sending, or found nothing new after it.
    assert.equal(outcomes.filter((o) => o === 'sent').length, 1, outcomes.join(','));
    assert.ok(outcomes.every((o) => o === 'sent' || o === 'coalesced' || o === 'unchanged'), outcomes.join(','));
    assert.ok(outcomes.filter((o) => o === 'coalesced').length >= 1, outcomes.join(','));
    await h.services.db.pool.query('UPDATE lists SET processed = 2, found = 2 WHERE id = $1', [list.id]);
    assert.equal(await updateProgress(deps(), list), 'sent', 'the next state is sent, after the channel\'s second');
    assert.equal(await updateProgress(deps(), list), 'unchanged', 'the same text is not sent twice');
    const edits = h.fake.api('chat.update').filter((c) => c.body.channel === 'CCOAL');
    assert.equal(edits.length, 2);
    assert.match(edits[1]!.body.text, /66% \(2 of 3\), 2 found/, 'read fresh from the list, not from the job');
    assert.ok(edits[1]!.at - edits[0]!.at >= 900, `spaced by the channel budget (${(edits[1]!.at - edits[0]!.at).toFixed(0)} ms)`);
  });

  it('should skip progress (not crash) on 429, and hold the workspace off until Retry-After', async () => {
    const list = await syntheticList('C429');
    h.fake.script('chat.update', { status: 429, retryAfter: 30 });
    assert.equal(await updateProgress(deps(), list), 'rate_limited');
    await h.services.db.pool.query('UPDATE lists SET processed = 1 WHERE id = $1', [list.id]);
    const calls = h.fake.calls.length;
    assert.equal(await updateProgress(deps(), list), 'skipped', 'blocked for 30 s: longer than a progress job waits');
    assert.equal(h.fake.calls.filter((c) => c.method === 'chat.update').length, h.fake.calls.slice(0, calls).filter((c) => c.method === 'chat.update').length, 'no call while blocked');
    await h.services.db.pool.query(`UPDATE slack_rate SET blocked_until = NULL WHERE key = 'T1'`);
  });

  it('should wait out a short Retry-After during delivery and deliver once', async () => {
    h.fake.script('files.completeUploadExternal', { status: 429, retryAfter: 1 });
    const { f, list } = await shareAndWait(3, 'CDELAY');
    const done = await waitForList(h.settings, h.services, list.id);
    assert.ok(done.delivered_at, 'delivered');
    const attempts = h.fake.calls.filter((c) => c.method === 'files.completeUploadExternal' && c.body.channel_id === 'CDELAY');
    assert.equal(attempts.length, 2, 'one 429, then one success');
    assert.equal(attempts[0]!.status, 429);
    assert.ok(attempts[1]!.at - attempts[0]!.at >= 1000, `retried after Retry-After (${(attempts[1]!.at - attempts[0]!.at).toFixed(0)} ms)`);
    assert.equal(attempts[1]!.body.thread_ts, f.ts);
  });

  it('should tell the thread why a list failed, without uploading anything', async () => {
    const list = await syntheticList('CFAIL', 'failed');
    await h.services.db.pool.query(`UPDATE lists SET error = 'Line 7 is longer than 1,000,000 characters' WHERE id = $1`, [list.id]);
    assert.equal(await deliverList(deps(), (await getList(h.services.db.pool, list.id))!), 'delivered');
    const edit = h.fake.api('chat.update').filter((c) => c.body.channel === 'CFAIL').at(-1)!;
    assert.equal(edit.body.text, 'synthetic.csv: Line 7 is longer than 1,000,000 characters');
    assert.equal(h.fake.api('files.completeUploadExternal').filter((c) => c.body.channel_id === 'CFAIL').length, 0);
  });

  it('should hand a long Retry-After back to the queue, and retry a failed delivery without losing or repeating anything', async () => {
    const list = await syntheticList('CRETRY', 'delivering');
    h.fake.script('files.getUploadURLExternal', { status: 429, retryAfter: 120 });
    await assert.rejects(deliverList({ ...deps(), maxRateLimitWaitSeconds: 60 }, list), SlackBusyError);
    h.fake.script('files.getUploadURLExternal', { status: 500 }, { status: 500 }, { status: 500 });
    await assert.rejects(deliverList(deps(), list), /500|HTTP/i, 'a 5xx that outlasts the client\'s retries fails the job, which pg-boss retries');
    const before = (await h.services.db.pool.query('SELECT count(*)::int AS n FROM records WHERE list_id = $1 AND email IS NOT NULL', [list.id])).rows[0].n;
    assert.equal(before, 2, 'results untouched in Postgres');
    assert.equal(await deliverList(deps(), list), 'delivered');
    assert.equal(await deliverList(deps(), list), 'delivered', 'a repeated delivery is a no-op');
    const completes = h.fake.api('files.completeUploadExternal').filter((c) => c.body.channel_id === 'CRETRY');
    assert.equal(completes.length, 1, 'uploaded once');
    assert.match(completes[0]!.body.initial_comment, /2 found \(1 valid, 1 accept_all\) · 1 not found · 0 bad rows — 3 rows/);
    const upload = h.fake.calls.filter((c: Call) => c.kind === 'upload').at(-1)!;
    assert.match(upload.body.content, /Ann,Lee,x\.com,ann\.lee@x\.com/);
    assert.match(upload.body.content, /Cy,Nobody,x\.com,,0,unknown,not_found/);
  });
});
