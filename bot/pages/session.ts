/**
 * Sign-in for the pages with an API key: the key is checked once, and the browser gets a random
 * session token in an HttpOnly, SameSite=Strict cookie (stored hashed, 30 days, ended when the
 * key is revoked). The key itself never sits in a cookie or in the page. With Slack OAuth
 * configured the page also offers "Sign in with Slack" (slack-signin.ts), which opens the same
 * kind of session for the Slack workspace's account.
 */
import { Router, type Request, type Response } from 'express';
import express from 'express';
import type { WebDeps } from '../web.ts';
import type { Pool } from '../../core/db/pool.ts';
import { authenticateApiKey, hashSecret, randomToken } from '../../core/api-keys.ts';
import { readCookie, sameOrigin, SESSION_COOKIE } from '../api/auth.ts';
import { html, page, type Raw } from './html.ts';

const SESSION_DAYS = 30;

function cookie(req: Request, value: string, maxAgeSeconds: number): string {
  return [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`, ...(req.secure ? ['Secure'] : [])].join('; ');
}

export interface SignInOptions {
  /** Offer "Sign in with Slack" (Slack OAuth is configured). */
  slack?: boolean;
  /** Shown under the message, e.g. the install link for a workspace without Toofr. */
  notice?: Raw;
}

export function signInPage(message?: string, opts: SignInOptions = {}): string {
  return page(
    { title: 'Sign in', signedIn: null },
    html`<section class="card narrow">
  <h1>Sign in</h1>
  ${message ? html`<p class="error" role="alert">${message}</p>` : ''}
  ${opts.notice ?? ''}
  ${opts.slack ? html`<p><a class="slack signin-slack" href="/auth/slack">Sign in with Slack</a></p><p class="muted">Or with an API key:</p>` : ''}
  <p>Paste an API key. Make one on the server with <code>toofr keys create</code>.</p>
  <form method="post" action="/signin">
    <label>API key <input name="api_key" type="password" autocomplete="off" required placeholder="toofr_…"></label>
    <button type="submit">Sign in</button>
  </form>
</section>`,
  );
}

export interface NewSession {
  accountId: number;
  keyId?: number | null;
  /** Opened through Sign in with Slack: who, and which installation admitted them. */
  slack?: { teamId: string; userId: string; installKey: string };
}

/** Stores a new session (hashed) and returns the Set-Cookie value that hands it to the browser. */
export async function openSession(db: Pool, req: Request, s: NewSession): Promise<string> {
  const token = randomToken(32);
  await db.query(
    `INSERT INTO web_sessions (token_hash, account_id, key_id, slack_team_id, slack_user_id, slack_install_key, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(days => $7))`,
    [hashSecret(token), s.accountId, s.keyId ?? null, s.slack?.teamId ?? null, s.slack?.userId ?? null, s.slack?.installKey ?? null, SESSION_DAYS],
  );
  // Expired sessions go away on the way in, so the table does not grow forever.
  db.query('DELETE FROM web_sessions WHERE expires_at < now()').catch(() => undefined);
  return cookie(req, token, SESSION_DAYS * 86400);
}

export function sessionRoutes(deps: WebDeps): Router {
  const r = Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const slack = deps.settings.slack.oauth;
  const signIn = (message?: string) => signInPage(message, { slack });

  r.get('/signin', (_req, res) => void res.type('html').send(signIn()));

  r.post('/signin', form, async (req: Request, res: Response) => {
    // A cross-site form could otherwise sign a visitor into someone else's account.
    if (!sameOrigin(req)) return void res.status(403).type('html').send(signIn('This sign-in came from another site. Sign in from this page.'));
    const key = typeof req.body?.api_key === 'string' ? req.body.api_key.trim() : '';
    const found = key ? await authenticateApiKey(deps.pool, key) : undefined;
    if (!found) return void res.status(401).type('html').send(signIn('That key is not valid or has been revoked.'));
    const setCookie = await openSession(deps.pool, req, { accountId: found.accountId, keyId: found.keyId });
    res.set('Set-Cookie', setCookie).redirect(303, '/');
  });

  r.post('/signout', async (req, res) => {
    const token = readCookie(req, SESSION_COOKIE);
    if (token && sameOrigin(req)) await deps.pool.query('DELETE FROM web_sessions WHERE token_hash = $1', [hashSecret(token)]);
    res.set('Set-Cookie', cookie(req, '', 0)).redirect(303, '/signin');
  });

  return r;
}
