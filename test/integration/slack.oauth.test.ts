/**
 * Multi-workspace mode: OAuth install through the fake Slack into the Postgres installation
 * store, each workspace as its own account seeing only its own lists, and uninstall/revocation
 * removing tokens so nothing more is done for that workspace.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { commandBody, eventBody, sendToSlackEndpoint, type Call } from '../fakes/slack.ts';
import { waitForList } from '../helpers/pipeline.ts';
import { SECRET, T1, T2, startHarness, type Harness } from './slack.harness.ts';

let seq = 0;

describe('Slack in many workspaces', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('slack-oauth', { mode: 'oauth' });
  });
  after(async () => {
    await h.close();
  });

  async function install(team: typeof T1): Promise<Response> {
    const start = await fetch(`${h.base}/slack/install`, { redirect: 'manual' });
    assert.equal(start.status, 302);
    const location = new URL(start.headers.get('location')!);
    assert.equal(location.origin + location.pathname, 'https://slack.com/oauth/v2/authorize');
    assert.match(location.searchParams.get('scope')!, /commands.*chat:write.*files:read.*files:write/);
    const state = location.searchParams.get('state')!;
    const cookie = start.headers.get('set-cookie')!.split(';')[0]!;
    h.fake.nextInstall = team;
    return fetch(`${h.base}/slack/oauth_redirect?code=good-code&state=${encodeURIComponent(state)}`, { headers: { cookie }, redirect: 'manual' });
  }
  async function command(teamId: string, text: string): Promise<Call> {
    const rid = `o${++seq}`;
    const res = await sendToSlackEndpoint(h.base, SECRET, commandBody({ teamId, text, responseUrl: h.fake.responseUrl(rid) }));
    assert.equal(res.status, 200);
    return h.fake.waitFor((c) => c.kind === 'response' && c.method === rid, `answer to ${teamId} ${text}`);
  }
  async function share(team: typeof T1, name: string): Promise<{ id: string; ts: string }> {
    const n = ++seq;
    const f = h.fake.addFile({ id: `FO${n}`, teamId: team.teamId, name, content: `First name,Last name,Website\nJane,Doe,${team.teamId.toLowerCase()}.com`, channel: 'C1', ts: `1700003000.0000${n}` });
    const res = await sendToSlackEndpoint(h.base, SECRET, eventBody(team.teamId, { type: 'file_shared', channel_id: 'C1', file_id: f.id, user_id: 'UALICE', file: { id: f.id }, event_ts: f.ts }, { botUserId: team.botUserId }), { json: true });
    assert.equal(res.status, 200);
    return f;
  }
  const installation = async (key: string) => (await h.services.db.pool.query('SELECT * FROM slack_installations WHERE install_key = $1', [key])).rows[0];

  it('should refuse an OAuth callback without the state cookie, and store nothing', async () => {
    const res = await fetch(`${h.base}/slack/oauth_redirect?code=good-code&state=forged`, { redirect: 'manual' });
    assert.notEqual(res.status, 200);
    assert.equal((await h.services.db.pool.query('SELECT 1 FROM slack_installations')).rowCount, 0);
  });

  it('should install into two workspaces through OAuth, with sealed tokens in Postgres', async () => {
    for (const team of [T1, T2]) {
      const res = await install(team);
      assert.equal(res.status, 200, `install ${team.teamId}`);
      const row = await installation(`T:${team.teamId}`);
      assert.ok(row, `installation stored for ${team.teamId}`);
      assert.equal(row.bot_user_id, team.botUserId);
      assert.ok(row.bot_token_sealed && !row.bot_token_sealed.includes(team.token), 'the token is sealed');
      assert.ok(!JSON.stringify(row.data).includes(team.token), 'and not in the JSON either');
      const account = await h.services.db.pool.query(`SELECT name FROM accounts WHERE kind = 'slack' AND external_id = $1`, [team.teamId]);
      assert.equal(account.rows[0]?.name, team.name, 'the workspace is an account');
    }
    const exchange = h.fake.api('oauth.v2.access');
    assert.equal(exchange.length, 2);
  });

  it('should work each workspace with its own token and show each only its own lists', async () => {
    const f1 = await share(T1, 'acme-leads.csv');
    const f2 = await share(T2, 'beta-leads.csv');
    const info1 = await h.fake.waitFor((c) => c.method === 'files.info' && c.body.file === f1.id);
    const info2 = await h.fake.waitFor((c) => c.method === 'files.info' && c.body.file === f2.id);
    assert.equal(info1.auth, `Bearer ${T1.token}`);
    assert.equal(info2.auth, `Bearer ${T2.token}`);
    const upload2 = await h.fake.waitFor((c) => c.method === 'files.completeUploadExternal' && c.body.thread_ts === f2.ts, 'T2 results');
    assert.equal(upload2.auth, `Bearer ${T2.token}`, 'results delivered with the right workspace\'s token');
    await h.fake.waitFor((c) => c.method === 'files.completeUploadExternal' && c.body.thread_ts === f1.ts, 'T1 results');
    const lists1 = JSON.stringify((await command('T1', 'lists')).body.blocks);
    const lists2 = JSON.stringify((await command('T2', 'lists')).body.blocks);
    assert.match(lists1, /acme-leads\.csv/);
    assert.doesNotMatch(lists1, /beta-leads\.csv/);
    assert.match(lists2, /beta-leads\.csv/);
    assert.doesNotMatch(lists2, /acme-leads\.csv/);
    const owners = await h.services.db.pool.query(`SELECT a.external_id, l.filename FROM lists l JOIN accounts a ON a.id = l.account_id ORDER BY l.filename`);
    assert.deepEqual(owners.rows.map((r) => [r.external_id, r.filename]), [['T1', 'acme-leads.csv'], ['T2', 'beta-leads.csv']]);
  });

  it('should tell a workspace that has not installed Toofr how to install it', async () => {
    const answer = await command('T3', 'Jane Doe acme.com');
    assert.match(answer.body.text, /not installed in this workspace.*\/slack\/install/);
  });

  it('should forget a revoked bot token and remove an uninstalled workspace', async () => {
    const revoked = await sendToSlackEndpoint(h.base, SECRET, eventBody('T1', { type: 'tokens_revoked', tokens: { bot: [T1.botUserId] }, event_ts: '1.2' }), { json: true });
    assert.equal(revoked.status, 200);
    const uninstalled = await sendToSlackEndpoint(h.base, SECRET, eventBody('T2', { type: 'app_uninstalled', event_ts: '1.3' }), { json: true });
    assert.equal(uninstalled.status, 200);
    // Both handlers run after the ack: yield until their writes are in (no timing involved).
    for (let turns = 0; (await installation('T:T1'))?.bot_token_sealed || (await installation('T:T2')); turns++) {
      if (turns > 100_000) assert.fail('the revoke/uninstall events were never applied');
      await new Promise((r) => setImmediate(r));
    }
    const a1 = await command('T1', 'verify jane@acme.com');
    const a2 = await command('T2', 'verify jane@acme.com');
    assert.match(a1.body.text, /not installed/);
    assert.match(a2.body.text, /not installed/);
    const row1 = await installation('T:T1');
    assert.equal(row1.bot_token_sealed, null, 'T1 token deleted');
    assert.equal(await installation('T:T2'), undefined, 'T2 installation deleted');
    // A file shared in the uninstalled workspace is not touched. Bolt answers an event it cannot
    // authorize only after deciding so, so once share() has its response no listener will run.
    const before = h.fake.calls.filter((c) => c.method === 'files.info').length;
    const f = await share(T2, 'after-uninstall.csv');
    assert.equal(h.fake.calls.filter((c) => c.method === 'files.info').length, before, `no Slack call for ${f.id}`);
    assert.equal((await h.services.db.pool.query('SELECT 1 FROM slack_files WHERE file_id = $1', [f.id])).rowCount, 0, 'no intake queued');
  });

  it('should finish a list whose workspace uninstalled meanwhile, keeping its results', async () => {
    const { rows } = await h.services.db.pool.query<{ id: string }>(`SELECT l.id FROM lists l JOIN accounts a ON a.id = l.account_id WHERE a.external_id = 'T2'`);
    for (const r of rows) {
      const list = await waitForList(h.settings, h.services, r.id);
      const kept = await h.services.db.pool.query('SELECT count(*)::int AS n FROM records WHERE list_id = $1 AND email IS NOT NULL', [list.id]);
      assert.equal(kept.rows[0].n, 1);
    }
  });
});
