/**
 * "Sign in with Slack" for the web pages (only with Slack OAuth configured): Slack's OpenID
 * Connect flow, ending in the same session cookie as an API-key sign-in, for the account of the
 * user's Slack workspace — the account its Slack lists already belong to.
 *
 * - `GET /auth/slack` sends the browser to Slack's authorize page with a fresh `state` and
 *   `nonce`, both also kept in a short-lived (10 min) HttpOnly cookie signed with
 *   SLACK_STATE_SECRET. The redirect_uri is always PUBLIC_URL/auth/slack/callback.
 * - `GET /auth/slack/callback` refuses a state that does not match the cookie (login CSRF),
 *   exchanges the code with `openid.connect.token` (the Web API client, so SLACK_API_URL applies),
 *   and checks the id_token's issuer, audience, expiry and nonce. Its signature is not checked:
 *   the token came straight from Slack's token endpoint over TLS, authenticated with our client
 *   secret (OpenID Connect Core 3.1.3.7, item 6). Team and user come from its claims, or from
 *   `openid.connect.userInfo` when the claims lack them.
 * - Only a workspace where Toofr is installed (its own installation, or its org's) may sign in;
 *   others are asked to add Toofr to Slack first. The session records the Slack user and the
 *   installation, and uninstalling Toofr ends the workspace's sessions.
 *
 * The session cookie is SameSite=Strict, which browsers withhold on a redirect chain that began
 * at slack.com; so the callback answers with a page that moves on to `/` by itself (a same-site
 * navigation), not with a redirect.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { WebClient } from '@slack/web-api';
import type { WebDeps } from '../web.ts';
import { randomToken } from '../../core/api-keys.ts';
import { ensureAccount } from '../../core/lists/store.ts';
import { readCookie } from '../api/auth.ts';
import { apiUrl, slackLogger } from '../slack/client.ts';
import { installKey } from '../slack/installation-store.ts';
import { html, page, type Raw } from './html.ts';
import { openSession, signInPage } from './session.ts';

export const SLACK_AUTHORIZE_URL = 'https://slack.com/openid/connect/authorize';
export const SLACK_ISSUER = 'https://slack.com';
const STATE_COOKIE = 'toofr_slack_signin';
const STATE_SECONDS = 600;

export interface SlackIdentity {
  teamId: string;
  teamName: string | undefined;
  enterpriseId: string | undefined;
  userId: string;
}

/** The claims of a JWT, without checking its signature (see the file comment for why that is enough here). */
export function jwtClaims(jwt: string): Record<string, unknown> | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

export function slackSignInRoutes(deps: WebDeps): Router {
  const { settings, pool, log } = deps;
  const s = settings.slack;
  const redirectUri = `${settings.publicUrl}/auth/slack/callback`;
  const secret = s.stateSecret!;
  const client = new WebClient(undefined, {
    slackApiUrl: apiUrl(settings),
    logger: slackLogger(log),
    // A person is waiting on this page: fail fast rather than retry for minutes.
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
  });
  const r = Router();

  const mac = (payload: string) => createHmac('sha256', secret).update(`slack-signin:${payload}`).digest('base64url');
  const stateCookie = (req: Request, value: string, maxAge: number) =>
    [`${STATE_COOKIE}=${value}`, 'Path=/auth/slack', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAge}`, ...(req.secure ? ['Secure'] : [])].join('; ');

  /** The state and nonce this browser's sign-in started with, if the cookie is ours and fresh. */
  function started(req: Request): { state: string; nonce: string } | undefined {
    const parts = (readCookie(req, STATE_COOKIE) ?? '').split('.');
    if (parts.length !== 4) return undefined;
    const [state, nonce, expires, sig] = parts as [string, string, string, string];
    if (!sameString(sig, mac(`${state}.${nonce}.${expires}`))) return undefined;
    if (!(Number(expires) > Date.now() / 1000)) return undefined;
    return { state, nonce };
  }

  const refuse = (res: Response, status: number, message: string, notice?: Raw) =>
    void res.status(status).type('html').send(signInPage(message, { slack: true, notice }));

  r.get('/auth/slack', (req, res) => {
    const state = randomToken(24);
    const nonce = randomToken(24);
    const expires = Math.floor(Date.now() / 1000) + STATE_SECONDS;
    const value = `${state}.${nonce}.${expires}`;
    const to = new URL(SLACK_AUTHORIZE_URL);
    to.search = new URLSearchParams({ response_type: 'code', scope: 'openid profile email', client_id: s.clientId!, state, nonce, redirect_uri: redirectUri }).toString().replace(/\+/g, '%20');
    res.set({ 'Set-Cookie': stateCookie(req, `${value}.${mac(value)}`, STATE_SECONDS), 'Cache-Control': 'no-store' }).redirect(302, to.toString());
  });

  r.get('/auth/slack/callback', async (req, res) => {
    res.set({ 'Cache-Control': 'no-store' });
    // The state cookie is for one try, whatever its outcome.
    res.append('Set-Cookie', stateCookie(req, '', 0));
    const begun = started(req);
    const state = str(req.query.state);
    if (!begun || !state || !sameString(state, begun.state)) {
      return refuse(res, 400, 'This sign-in did not start on this page, or took longer than 10 minutes. Sign in again.');
    }
    if (req.query.error !== undefined) return refuse(res, 400, 'Slack sign-in was cancelled.');
    const code = str(req.query.code);
    if (!code) return refuse(res, 400, 'Slack did not send a sign-in code. Sign in again.');

    let identity: SlackIdentity;
    try {
      const token = await client.openid.connect.token({ client_id: s.clientId!, client_secret: s.clientSecret!, code, grant_type: 'authorization_code', redirect_uri: redirectUri });
      const claims = token.id_token ? jwtClaims(token.id_token) : undefined;
      const aud = claims?.aud;
      const audiences = Array.isArray(aud) ? aud : [aud];
      const nonce = str(claims?.nonce);
      if (!claims || claims.iss !== SLACK_ISSUER || !audiences.includes(s.clientId) || !(Number(claims.exp) > Date.now() / 1000) || !nonce || !sameString(nonce, begun.nonce)) {
        log.warn({ iss: claims?.iss, aud, exp: claims?.exp, nonceMatches: Boolean(nonce && sameString(nonce, begun.nonce)) }, 'Slack sign-in refused: the id_token does not belong to this sign-in');
        return refuse(res, 400, "Slack's answer does not belong to this sign-in. Sign in again.");
      }
      let info: Record<string, unknown> = claims;
      if (!str(info['https://slack.com/team_id']) || !str(info['https://slack.com/user_id'])) {
        info = { ...(await client.openid.connect.userInfo({ token: token.access_token })), ...claims };
        // The user's info must be about the person the id_token names.
        if (str(info.sub) !== str(claims.sub)) info = claims;
      }
      const teamId = str(info['https://slack.com/team_id']);
      const userId = str(info['https://slack.com/user_id']) ?? str(info.sub);
      if (!teamId || !userId) return refuse(res, 502, 'Slack did not say which workspace you are in. Sign in again.');
      identity = { teamId, userId, teamName: str(info['https://slack.com/team_name']), enterpriseId: str(info['https://slack.com/enterprise_id']) };
    } catch (err) {
      log.warn({ err: { message: (err as Error).message, code: (err as { code?: string }).code } }, 'Slack sign-in: exchanging the code failed');
      return refuse(res, 502, 'Slack did not confirm the sign-in. Sign in again.');
    }

    // The workspace's own installation, else its org's (an org-wide install covers its workspaces).
    const { rows } = await pool.query<{ install_key: string }>(
      `SELECT install_key FROM slack_installations WHERE install_key IN ($1, $2) AND bot_token_sealed IS NOT NULL ORDER BY (install_key = $1) DESC LIMIT 1`,
      [installKey({ teamId: identity.teamId }), installKey({ isEnterpriseInstall: true, enterpriseId: identity.enterpriseId ?? '-' })],
    );
    if (!rows[0]) {
      return refuse(
        res,
        403,
        'Add Toofr to your Slack first.',
        html`<p>Toofr is not installed in ${identity.teamName ?? 'your Slack workspace'}. Once it is, sign in with Slack to see the workspace's lists.</p>
  <p><a class="slack add-to-slack" href="/slack/install">Add to Slack</a></p>`,
      );
    }
    const accountId = await ensureAccount(pool, 'slack', identity.teamId, identity.teamName);
    const session = await openSession(pool, req, { accountId, slack: { teamId: identity.teamId, userId: identity.userId, installKey: rows[0].install_key } });
    log.info({ teamId: identity.teamId, userId: identity.userId }, 'signed in to the web pages with Slack');
    res.append('Set-Cookie', session);
    res.type('html').send(
      page(
        { title: 'Signed in', signedIn: null, refreshTo: '/' },
        html`<section class="card narrow" data-signed-in="slack">
  <h1>Signed in</h1>
  <p>Signed in with Slack${identity.teamName ? html` as a member of ${identity.teamName}` : ''}. <a href="/">Continue to your lists</a>.</p>
</section>`,
      ),
    );
  });

  return r;
}
