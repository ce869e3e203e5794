/**
 * "Sign in with Slack" on the web pages (Slack OAuth configured): the OpenID Connect redirect
 * dance driven by plain HTTP requests against the real web app and the fake Slack (redirects
 * followed by hand, cookies carried by hand), its CSRF/nonce checks, the installation
 * requirement, each workspace seeing only its own lists, and the ways the session ends.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { eventBody, commandBody, sendToSlackEndpoint, type FakeSlackUser } from '../fakes/slack.ts';
import { SECRET, T1, T2, startHarness, type Harness } from './slack.harness.ts';

const ALICE: FakeSlackUser = { teamId: 'T1', teamName: 'Acme', userId: 'UALICE' };
const BOB: FakeSlackUser = { teamId: 'T2', teamName: 'Beta', userId: 'UBOB' };
const CAROL: FakeSlackUser = { teamId: 'T3', teamName: 'Gamma', userId: 'UCAROL' };

/** `name=value` of the cookie called `name` among a response's Set-Cookie headers, with its attributes. */
function setCookie(res: Response, name: string): { pair: string; value: string; attrs: string } | undefined {
  const line = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  if (!line) return undefined;
  const [pair, ...attrs] = line.split(';');
  return { pair: pair!, value: pair!.slice(name.length + 1), attrs: attrs.join(';') };
}

describe('Sign in with Slack on the web pages', () => {
  let h: Harness;
  const lists: Record<string, string> = {};
  let seq = 0;

  before(async () => {
    h = await startHarness('web-slack-signin', { mode: 'oauth' });
  });
  after(async () => {
    await h?.close();
  });

  const pool = () => h.services.db.pool;
  const sessions = async () => (await pool().query('SELECT account_id, key_id, slack_team_id, slack_user_id, slack_install_key FROM web_sessions ORDER BY created_at')).rows;
  const get = (path: string, cookie?: string) => fetch(`${h.base}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });

  /** Step 1: Toofr sends the browser to Slack. */
  async function start(): Promise<{ authorize: string; stateCookie: string }> {
    const res = await get('/auth/slack');
    assert.equal(res.status, 302);
    const c = setCookie(res, 'toofr_slack_signin');
    assert.ok(c, 'a state cookie is set');
    return { authorize: res.headers.get('location')!, stateCookie: c.pair };
  }
  /** Step 3: the browser comes back from Slack to the callback (with whatever cookie it has). */
  const callback = (backUrl: string, cookie?: string) => {
    const u = new URL(backUrl);
    return get(`${u.pathname}${u.search}`, cookie);
  };
  /** The whole dance for a user; returns the callback's response. */
  async function signIn(user: FakeSlackUser, opts: { nonce?: string; claims?: 'full' | 'minimal' } = {}): Promise<Response> {
    const { authorize, stateCookie } = await start();
    return callback(h.fake.approveSignin(authorize, user, opts), stateCookie);
  }
  async function install(team: typeof T1): Promise<void> {
    const s = await fetch(`${h.base}/slack/install`, { redirect: 'manual' });
    const state = new URL(s.headers.get('location')!).searchParams.get('state')!;
    h.fake.nextInstall = team;
    const res = await fetch(`${h.base}/slack/oauth_redirect?code=good-code&state=${encodeURIComponent(state)}`, { headers: { cookie: s.headers.get('set-cookie')!.split(';')[0]! }, redirect: 'manual' });
    assert.equal(res.status, 200, `install ${team.teamId}`);
  }
  async function share(team: typeof T1, name: string): Promise<string> {
    const n = ++seq;
    const f = h.fake.addFile({ id: `FS${n}`, teamId: team.teamId, name, content: `First name,Last name,Website\nJane,Doe,${team.teamId.toLowerCase()}.com`, channel: 'C1', ts: `1700004000.0000${n}` });
    const res = await sendToSlackEndpoint(h.base, SECRET, eventBody(team.teamId, { type: 'file_shared', channel_id: 'C1', file_id: f.id, user_id: 'UALICE', file: { id: f.id }, event_ts: f.ts }, { botUserId: team.botUserId }), { json: true });
    assert.equal(res.status, 200);
    await h.fake.waitFor((c) => c.method === 'files.completeUploadExternal' && c.body.thread_ts === f.ts, `${name} delivered`);
    const { rows } = await pool().query<{ id: string }>('SELECT list_id AS id FROM slack_files WHERE file_id = $1', [f.id]);
    assert.ok(rows[0]?.id, `a list for ${name}`);
    return rows[0].id;
  }

  it('should offer "Sign in with Slack" and send the browser to Slack with state, nonce and a fixed redirect_uri', async () => {
    const page = await (await get('/signin')).text();
    assert.match(page, /<a class="slack signin-slack" href="\/auth\/slack">Sign in with Slack<\/a>/);
    const first = await start();
    const second = await start();
    const raw = first.authorize;
    assert.ok(raw.startsWith('https://slack.com/openid/connect/authorize?'), raw);
    assert.match(raw, /[?&]scope=openid%20profile%20email(&|$)/);
    const p = new URL(raw).searchParams;
    assert.equal(p.get('response_type'), 'code');
    assert.equal(p.get('client_id'), '111.222');
    assert.equal(p.get('redirect_uri'), `${h.settings.publicUrl}/auth/slack/callback`);
    assert.ok((p.get('state') ?? '').length >= 32 && (p.get('nonce') ?? '').length >= 32, 'long random state and nonce');
    assert.notEqual(p.get('state'), new URL(second.authorize).searchParams.get('state'), 'a new state each time');
    assert.notEqual(p.get('nonce'), p.get('state'));
    const res = await get('/auth/slack');
    const attrs = setCookie(res, 'toofr_slack_signin')!.attrs;
    assert.match(attrs, /HttpOnly/);
    assert.match(attrs, /SameSite=Lax/, 'Lax: it must come back on the top-level navigation from slack.com');
    assert.match(attrs, /Max-Age=600/);
    assert.match(attrs, /Path=\/auth\/slack/);
  });

  it('should refuse a callback without the state cookie, with a forged state, or with a forged cookie, before asking Slack', async () => {
    const { authorize, stateCookie } = await start();
    const back = new URL(h.fake.approveSignin(authorize, ALICE));
    const noCookie = await callback(back.toString());
    assert.equal(noCookie.status, 400);
    assert.match(await noCookie.text(), /did not start on this page/);

    const forged = new URL(back);
    forged.searchParams.set('state', 'forged-state-forged-state-forged-state');
    assert.equal((await callback(forged.toString(), stateCookie)).status, 400);

    const missing = new URL(back);
    missing.searchParams.delete('state');
    assert.equal((await callback(missing.toString(), stateCookie)).status, 400);

    // A cookie made up to match the forged state fails its signature.
    const [, nonce, expires, sig] = stateCookie.split('=')[1]!.split('.');
    const madeUp = `toofr_slack_signin=forged-state-forged-state-forged-state.${nonce}.${expires}.${sig}`;
    assert.equal((await callback(forged.toString(), madeUp)).status, 400);

    assert.equal(h.fake.calls.filter((c) => c.method === 'openid.connect.token').length, 0, 'no code was exchanged');
    assert.deepEqual(await sessions(), []);
  });

  it('should refuse a sign-in that started more than 10 minutes ago', async () => {
    // The state cookie as Toofr signs it (state.nonce.expiry.HMAC under SLACK_STATE_SECRET).
    const signed = (state: string, nonce: string, expires: number) => {
      const v = `${state}.${nonce}.${expires}`;
      return `toofr_slack_signin=${v}.${createHmac('sha256', h.settings.slack.stateSecret!).update(`slack-signin:${v}`).digest('base64url')}`;
    };
    const { authorize } = await start();
    const p = new URL(authorize).searchParams;
    const now = Math.floor(Date.now() / 1000);
    const expired = await callback(h.fake.approveSignin(authorize, CAROL), signed(p.get('state')!, p.get('nonce')!, now - 1));
    assert.equal(expired.status, 400);
    assert.match(await expired.text(), /longer than 10 minutes/);
    // The same cookie, still fresh, gets past the state check (to "not installed": no session either way).
    const fresh = await callback(h.fake.approveSignin(authorize, CAROL), signed(p.get('state')!, p.get('nonce')!, now + 60));
    assert.equal(fresh.status, 403);
    assert.deepEqual(await sessions(), []);
  });

  it('should refuse an id_token whose nonce is not the one this sign-in sent', async () => {
    const res = await signIn(ALICE, { nonce: 'someone-elses-nonce' });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /does not belong to this sign-in/);
    assert.equal(setCookie(res, 'toofr_session'), undefined);
    assert.equal(h.fake.calls.at(-1)?.method, 'openid.connect.token', 'the code was exchanged, and the answer refused');
    assert.deepEqual(await sessions(), []);
  });

  it('should ask a workspace without Toofr to add it to Slack first', async () => {
    const res = await signIn(CAROL);
    assert.equal(res.status, 403);
    const body = await res.text();
    assert.match(body, /Add Toofr to your Slack first/);
    assert.match(body, /href="\/slack\/install"/);
    assert.match(body, /Gamma/);
    assert.equal(setCookie(res, 'toofr_session'), undefined);
    assert.deepEqual(await sessions(), []);
    assert.equal((await pool().query(`SELECT 1 FROM accounts WHERE kind = 'slack' AND external_id = 'T3'`)).rowCount, 0, 'no account for it either');
  });

  it("should sign a member in to their workspace's account, showing its lists and not another workspace's", async () => {
    await install(T1);
    await install(T2);
    lists.T1 = await share(T1, 'acme-leads.csv');
    lists.T2 = await share(T2, 'beta-leads.csv');

    const token = h.fake.calls.length;
    const res = await signIn(ALICE);
    assert.equal(res.status, 200);
    const exchange = h.fake.calls.slice(token).find((c) => c.method === 'openid.connect.token')!;
    assert.equal(exchange.body.client_id, '111.222');
    assert.equal(exchange.body.redirect_uri, `${h.settings.publicUrl}/auth/slack/callback`);
    const landing = await res.text();
    // SameSite=Strict cookies are withheld on a redirect chain that began at slack.com: a same-site refresh carries on.
    assert.match(landing, /<meta http-equiv="refresh" content="0;url=\/">/);
    const session = setCookie(res, 'toofr_session')!;
    assert.match(session.attrs, /HttpOnly/);
    assert.match(session.attrs, /SameSite=Strict/);
    assert.match(setCookie(res, 'toofr_slack_signin')!.attrs, /Max-Age=0/, 'the state cookie is used up');
    const t1 = (await pool().query(`SELECT id FROM accounts WHERE kind = 'slack' AND external_id = 'T1'`)).rows[0].id;
    assert.deepEqual(await sessions(), [{ account_id: t1, key_id: null, slack_team_id: 'T1', slack_user_id: 'UALICE', slack_install_key: 'T:T1' }]);

    const home = await get('/', session.pair);
    assert.equal(home.status, 200);
    const html = await home.text();
    assert.match(html, /acme-leads\.csv/);
    assert.doesNotMatch(html, /beta-leads\.csv/);
    assert.match(html, /Sign out/);
    assert.equal((await get(`/lists/${lists.T1}`, session.pair)).status, 200);
    const other = await get(`/lists/${lists.T2}`, session.pair);
    assert.equal(other.status, 404);
    assert.doesNotMatch(await other.text(), /beta-leads/);
    // The session works for the API the pages use, too.
    const api = await get(`/api/v1/lists/${lists.T2}`, session.pair);
    assert.equal(api.status, 404);

  });

  it('should not sign in twice with one code, even when the state cookie was kept', async () => {
    const { authorize, stateCookie } = await start();
    const back = h.fake.approveSignin(authorize, ALICE);
    assert.equal((await callback(back, stateCookie)).status, 200);
    const count = (await sessions()).length;
    const replay = await callback(back, stateCookie);
    assert.equal(replay.status, 502);
    assert.match(await replay.text(), /Slack did not confirm/);
    assert.equal(setCookie(replay, 'toofr_session'), undefined);
    assert.equal((await sessions()).length, count);
  });

  it('should take the workspace from openid.connect.userInfo when the id_token lacks it', async () => {
    const before = h.fake.calls.length;
    const res = await signIn(BOB, { claims: 'minimal' });
    assert.equal(res.status, 200);
    const info = h.fake.calls.slice(before).find((c) => c.method === 'openid.connect.userInfo');
    assert.ok(info?.auth?.startsWith('Bearer xoxp-oidc-'), 'userInfo asked with the access token');
    const cookie = setCookie(res, 'toofr_session')!.pair;
    const html = await (await get('/', cookie)).text();
    assert.match(html, /beta-leads\.csv/);
    assert.doesNotMatch(html, /acme-leads\.csv/);
    assert.equal((await get(`/lists/${lists.T1}`, cookie)).status, 404);
  });

  it('should end the session on sign-out', async () => {
    const res = await signIn(ALICE);
    const cookie = setCookie(res, 'toofr_session')!.pair;
    assert.equal((await get('/', cookie)).status, 200);
    const count = (await sessions()).length;
    const out = await fetch(`${h.base}/signout`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: h.base } });
    assert.equal(out.status, 303);
    assert.equal(out.headers.get('location'), '/signin');
    assert.equal((await sessions()).length, count - 1);
    const after = await get('/', cookie);
    assert.equal(after.status, 303);
    assert.equal(after.headers.get('location'), '/signin');
  });

  it("should end a workspace's sessions when Toofr is uninstalled from it", async () => {
    const bob = setCookie(await signIn(BOB), 'toofr_session')!.pair;
    const alice = setCookie(await signIn(ALICE), 'toofr_session')!.pair;
    assert.equal((await get('/', bob)).status, 200);
    const res = await sendToSlackEndpoint(h.base, SECRET, eventBody('T2', { type: 'app_uninstalled', event_ts: '1.9' }), { json: true });
    assert.equal(res.status, 200);
    // The event handler runs after the ack; the installation and its sessions go in one
    // statement, so wait for that statement (no timing: yield until the row is gone).
    for (let turns = 0; (await sessions()).some((r) => r.slack_team_id === 'T2'); turns++) {
      if (turns > 100_000) assert.fail('the uninstall never ended the sessions');
      await new Promise((r) => setImmediate(r));
    }
    const rid = `su${++seq}`;
    await sendToSlackEndpoint(h.base, SECRET, commandBody({ teamId: 'T2', text: 'lists', responseUrl: h.fake.responseUrl(rid) }));
    const answer = await h.fake.waitFor((c) => c.kind === 'response' && c.method === rid, 'answer after uninstall');
    assert.match(answer.body.text, /not installed/);
    assert.equal((await get('/', bob)).status, 303, "Beta's session ended");
    assert.equal((await get('/', alice)).status, 200, "Acme's did not");
    assert.equal((await signIn(BOB)).status, 403, 'and Beta cannot sign in again until it reinstalls');
  });
});
