/**
 * A fake Slack for tests, driven by the real @slack/web-api client through SLACK_API_URL:
 * - the Web API (`POST /api/<method>`, form or JSON bodies, JSON answers), with scripted
 *   replies (429 + Retry-After, 5xx, ok:false errors) per method;
 * - the file host (`GET /files/<team>/<id>/<name>`): the file for the right team's bearer token,
 *   and, like Slack, a 200 HTML sign-in page otherwise;
 * - the upload host of files.uploadV2 and response_url endpoints;
 * - Sign in with Slack (OpenID Connect): `approveSignin` plays the user on Slack's authorize page,
 *   `openid.connect.token` exchanges its code for an id_token (unsigned), `openid.connect.userInfo`
 *   answers for the access token it issued.
 * Every call is recorded with its time; `waitFor` resolves when a matching call arrives (or has
 * arrived), so tests wait on events, never on sleeps. Also: Slack's v0 request signing and
 * builders for slash commands and event envelopes.
 */
import { createHmac } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';

export interface Call {
  kind: 'api' | 'upload' | 'download' | 'response';
  method: string;
  auth?: string;
  body: Record<string, any>;
  at: number;
  status: number;
  /** What the fake answered (API calls). */
  response?: Record<string, any>;
}

export interface Scripted {
  status: number;
  retryAfter?: number;
  json?: Record<string, unknown>;
}

export interface FakeTeam {
  teamId: string;
  token: string;
  botUserId: string;
  botId: string;
  name?: string;
}

export interface FakeFile {
  id: string;
  teamId: string;
  name: string;
  content: Buffer | string;
  filetype?: string;
  mimetype?: string;
  /** Reported by files.info; defaults to the content's length. */
  size?: number;
  user?: string;
  channel: string;
  /** The message that shared the file. */
  ts: string;
  /** Serve the file as HTML (what Slack does without files:read). */
  html?: boolean;
}

/** A Slack user signing in with Slack (OpenID Connect). */
export interface FakeSlackUser {
  teamId: string;
  userId: string;
  teamName?: string;
  enterpriseId?: string;
  name?: string;
  email?: string;
}

interface SigninGrant {
  user: FakeSlackUser;
  clientId: string;
  redirectUri: string;
  nonce: string | undefined;
  claims: 'full' | 'minimal';
}

function slackClaims(u: FakeSlackUser): Record<string, unknown> {
  return {
    'https://slack.com/user_id': u.userId,
    'https://slack.com/team_id': u.teamId,
    'https://slack.com/team_name': u.teamName ?? u.teamId,
    ...(u.enterpriseId ? { 'https://slack.com/enterprise_id': u.enterpriseId } : {}),
    email: u.email ?? `${u.userId.toLowerCase()}@example.com`,
    email_verified: true,
    name: u.name ?? u.userId,
  };
}

/** A JWT-shaped id_token; its signature is not a real one (Toofr reads it from the token endpoint directly). */
function fakeJwt(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT', kid: 'fake' })}.${part(claims)}.${Buffer.from('not-a-signature').toString('base64url')}`;
}

export class FakeSlack {
  readonly calls: Call[] = [];
  readonly teams = new Map<string, FakeTeam>();
  readonly files = new Map<string, FakeFile>();
  /** What oauth.v2.access grants next (the team being installed). */
  nextInstall: FakeTeam | undefined;
  private readonly signinCodes = new Map<string, SigninGrant>();
  private readonly signinTokens = new Map<string, FakeSlackUser>();
  private readonly scripts = new Map<string, Scripted[]>();
  private readonly events = new EventEmitter();
  private server: Server | undefined;
  private seq = 0;
  baseUrl = '';

  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  addTeam(t: FakeTeam): FakeTeam {
    this.teams.set(t.token, t);
    return t;
  }

  addFile(f: FakeFile): FakeFile {
    this.files.set(f.id, f);
    return f;
  }

  /** The next calls of `method` get these replies, in order, before normal service resumes. */
  script(method: string, ...replies: Scripted[]): void {
    this.scripts.set(method, [...(this.scripts.get(method) ?? []), ...replies]);
  }

  /**
   * Sign in with Slack: the user approves on Slack's authorize page (`authorizeUrl`, where Toofr
   * sent the browser). Returns where Slack sends the browser back: redirect_uri with a one-time
   * code and the state. `nonce` replaces the nonce the id_token will carry; `claims: 'minimal'`
   * leaves the Slack claims out of the id_token (then only openid.connect.userInfo has them).
   */
  approveSignin(authorizeUrl: string, user: FakeSlackUser, opts: { nonce?: string; claims?: 'full' | 'minimal' } = {}): string {
    const p = new URL(authorizeUrl).searchParams;
    const code = `oidc-code-${++this.seq}`;
    const redirectUri = p.get('redirect_uri') ?? '';
    this.signinCodes.set(code, { user, clientId: p.get('client_id') ?? '', redirectUri, nonce: opts.nonce ?? p.get('nonce') ?? undefined, claims: opts.claims ?? 'full' });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', p.get('state') ?? '');
    return back.toString();
  }

  responseUrl(id: string): string {
    return `${this.baseUrl}/response/${id}`;
  }

  api(method: string): Call[] {
    return this.calls.filter((c) => c.kind === 'api' && c.method === method && c.status === 200 && c.body.__ok !== false);
  }

  /** Resolves with the first recorded call (past or future) that matches. */
  waitFor(match: (c: Call) => boolean, what = 'a matching Slack call', timeoutMs = 20_000): Promise<Call> {
    const found = this.calls.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off('call', on);
        reject(new Error(`timed out waiting for ${what}; calls so far: ${this.calls.map((c) => `${c.kind}:${c.method}`).join(', ')}`));
      }, timeoutMs);
      const on = (c: Call) => {
        if (!match(c)) return;
        clearTimeout(timer);
        this.events.off('call', on);
        resolve(c);
      };
      this.events.on('call', on);
    });
  }

  private record(c: Omit<Call, 'at'>): Call {
    const call = { ...c, at: performance.now() };
    this.calls.push(call);
    this.events.emit('call', call);
    return call;
  }

  private teamOf(auth: string | undefined): FakeTeam | undefined {
    return auth?.startsWith('Bearer ') ? this.teams.get(auth.slice(7)) : undefined;
  }

  private nextTs(): string {
    return `1700000${String(100 + ++this.seq).padStart(3, '0')}.000${String(this.seq).padStart(3, '0')}`;
  }

  async start(): Promise<this> {
    const app = express();
    app.post('/api/:method', express.urlencoded({ extended: false }), express.json(), (req, res) => {
      const method = req.params.method;
      const body: Record<string, any> = { ...(req.body ?? {}) };
      for (const k of ['blocks', 'files', 'attachments']) if (typeof body[k] === 'string') body[k] = JSON.parse(body[k]);
      const auth = req.headers.authorization;
      const scripted = this.scripts.get(method)?.shift();
      if (scripted) {
        this.record({ kind: 'api', method, auth, body: { ...body, __ok: false }, status: scripted.status });
        if (scripted.retryAfter !== undefined) res.set('Retry-After', String(scripted.retryAfter));
        res.status(scripted.status).json(scripted.json ?? { ok: false, error: scripted.status === 429 ? 'ratelimited' : 'internal_error' });
        return;
      }
      const team = this.teamOf(auth);
      const reply = (json: Record<string, unknown>) => {
        this.record({ kind: 'api', method, auth, body: json.ok === false ? { ...body, __ok: false } : body, status: 200, response: json });
        res.json(json);
      };
      if (method === 'oauth.v2.access') {
        const t = this.nextInstall;
        if (!t || body.code !== 'good-code') return reply({ ok: false, error: 'invalid_code' });
        this.addTeam(t);
        return reply({ ok: true, app_id: 'A1', access_token: t.token, token_type: 'bot', scope: 'commands,chat:write,files:read,files:write,im:history',
          bot_user_id: t.botUserId, team: { id: t.teamId, name: t.name ?? t.teamId }, enterprise: null, authed_user: { id: 'UINSTALLER' }, is_enterprise_install: false });
      }
      if (method === 'openid.connect.token') {
        const grant = this.signinCodes.get(body.code);
        if (!grant) return reply({ ok: false, error: 'invalid_code' });
        this.signinCodes.delete(body.code);
        if (body.client_id !== grant.clientId || !body.client_secret) return reply({ ok: false, error: 'invalid_client_id' });
        if (body.redirect_uri !== grant.redirectUri) return reply({ ok: false, error: 'bad_redirect_uri' });
        const token = `xoxp-oidc-${++this.seq}`;
        this.signinTokens.set(token, grant.user);
        const now = Math.floor(Date.now() / 1000);
        const claims = { iss: 'https://slack.com', sub: grant.user.userId, aud: grant.clientId, exp: now + 3600, iat: now, auth_time: now,
          ...(grant.nonce !== undefined ? { nonce: grant.nonce } : {}), ...(grant.claims === 'full' ? slackClaims(grant.user) : {}) };
        return reply({ ok: true, access_token: token, token_type: 'Bearer', id_token: fakeJwt(claims) });
      }
      if (method === 'openid.connect.userInfo') {
        const user = auth?.startsWith('Bearer ') ? this.signinTokens.get(auth.slice(7)) : undefined;
        if (!user) return reply({ ok: false, error: 'invalid_auth' });
        return reply({ ok: true, sub: user.userId, ...slackClaims(user) });
      }
      if (!team) return reply({ ok: false, error: 'invalid_auth' });
      switch (method) {
        case 'auth.test':
          return reply({ ok: true, team_id: team.teamId, user_id: team.botUserId, bot_id: team.botId, team: team.name ?? team.teamId, url: 'https://fake.slack.com/' });
        case 'chat.postMessage':
          return reply({ ok: true, channel: body.channel, ts: this.nextTs(), message: { text: body.text } });
        case 'chat.update':
          return reply({ ok: true, channel: body.channel, ts: body.ts, text: body.text });
        case 'files.info': {
          const f = this.files.get(body.file);
          if (!f || f.teamId !== team.teamId) return reply({ ok: false, error: 'file_not_found' });
          const size = f.size ?? Buffer.byteLength(f.content);
          return reply({ ok: true, file: { id: f.id, name: f.name, title: f.name, filetype: f.filetype ?? 'csv', mimetype: f.mimetype ?? 'text/csv', size, user: f.user ?? 'UALICE',
            url_private_download: `${this.baseUrl}/files/${f.teamId}/${f.id}/download/${encodeURIComponent(f.name)}`,
            shares: { public: { [f.channel]: [{ ts: f.ts, channel_name: 'sales' }] } } } });
        }
        case 'files.getUploadURLExternal': {
          const id = `FUP${++this.seq}`;
          return reply({ ok: true, upload_url: `${this.baseUrl}/upload/${id}`, file_id: id });
        }
        case 'files.completeUploadExternal':
          return reply({ ok: true, files: (body.files as Array<{ id: string; title?: string }>).map((f) => ({ id: f.id, title: f.title })) });
        default:
          return reply({ ok: false, error: 'unknown_method' });
      }
    });
    app.post('/upload/:id', express.raw({ type: '*/*', limit: '100mb' }), (req, res) => {
      const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
      // multipart with one part "body"; keep what is between its headers and the closing boundary.
      const m = /\r\n\r\n([\s\S]*)\r\n--[^\r\n]*--\r\n?$/.exec(raw);
      this.record({ kind: 'upload', method: req.params.id, auth: req.headers.authorization, body: { content: m ? m[1] : raw }, status: 200 });
      res.status(200).send('OK');
    });
    app.get('/files/:team/:id/download/:name', (req, res) => {
      const f = this.files.get(req.params.id);
      const team = this.teamOf(req.headers.authorization);
      const ok = f && !f.html && team?.teamId === f.teamId && f.teamId === req.params.team;
      this.record({ kind: 'download', method: req.params.id, auth: req.headers.authorization, body: { ok }, status: 200 });
      if (!ok) return void res.status(200).type('text/html').send('<!DOCTYPE html><html><body>Sign in to Slack</body></html>');
      res.type(f.mimetype ?? 'text/csv').send(f.content);
    });
    app.post('/response/:id', express.json(), (req, res) => {
      this.record({ kind: 'response', method: req.params.id, body: req.body, status: 200 });
      res.send('ok');
    });
    await new Promise<void>((resolve) => {
      this.server = app.listen(0, '127.0.0.1', () => resolve());
    });
    this.baseUrl = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

// ——— Requests from Slack to Toofr ———

/** Slack's v0 signature headers for a raw body. */
export function sign(secret: string, rawBody: string, ts = Math.floor(Date.now() / 1000)): Record<string, string> {
  return {
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${ts}:${rawBody}`).digest('hex')}`,
  };
}

export function commandBody(opts: { teamId: string; text: string; responseUrl: string; userId?: string; channelId?: string; teamDomain?: string }): string {
  return new URLSearchParams({
    token: 'deprecated', team_id: opts.teamId, team_domain: opts.teamDomain ?? opts.teamId.toLowerCase(), channel_id: opts.channelId ?? 'C123', channel_name: 'sales',
    user_id: opts.userId ?? 'UALICE', user_name: 'alice', command: '/toofr', text: opts.text, api_app_id: 'A1', is_enterprise_install: 'false',
    response_url: opts.responseUrl, trigger_id: '1.2.3',
  }).toString();
}

let eventSeq = 0;
export function eventBody(teamId: string, event: Record<string, unknown>, opts: { eventId?: string; botUserId?: string } = {}): string {
  return JSON.stringify({
    token: 'deprecated', team_id: teamId, api_app_id: 'A1', type: 'event_callback', event_id: opts.eventId ?? `Ev${Date.now()}${++eventSeq}`, event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: teamId, user_id: opts.botUserId ?? 'UBOT', is_bot: true, is_enterprise_install: false }],
    event,
  });
}

/** POSTs a body to Toofr's /slack/events as Slack would: exact content type, signed unless told otherwise. */
export async function sendToSlackEndpoint(baseUrl: string, secret: string, body: string, opts: { json?: boolean; headers?: Record<string, string>; ts?: number } = {}): Promise<Response> {
  return fetch(`${baseUrl}/slack/events`, {
    method: 'POST',
    body,
    headers: { 'content-type': opts.json ? 'application/json' : 'application/x-www-form-urlencoded', ...sign(secret, body, opts.ts), ...opts.headers },
  });
}
