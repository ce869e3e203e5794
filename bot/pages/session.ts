/**
 * Sign-in for the pages with an API key: the key is checked once, and the browser gets a random
 * session token in an HttpOnly, SameSite=Strict cookie (stored hashed, 30 days, ended when the
 * key is revoked). The key itself never sits in a cookie or in the page.
 */
import { Router, type Request, type Response } from 'express';
import express from 'express';
import type { WebDeps } from '../web.ts';
import { authenticateApiKey, hashSecret, randomToken } from '../../core/api-keys.ts';
import { readCookie, sameOrigin, SESSION_COOKIE } from '../api/auth.ts';
import { html, page } from './html.ts';

const SESSION_DAYS = 30;

function cookie(req: Request, value: string, maxAgeSeconds: number): string {
  return [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`, ...(req.secure ? ['Secure'] : [])].join('; ');
}

export function signInPage(message?: string): string {
  return page(
    { title: 'Sign in', signedIn: null },
    html`<section class="card narrow">
  <h1>Sign in</h1>
  <p>Paste an API key. Make one on the server with <code>toofr keys create</code>.</p>
  ${message ? html`<p class="error" role="alert">${message}</p>` : ''}
  <form method="post" action="/signin">
    <label>API key <input name="api_key" type="password" autocomplete="off" required placeholder="toofr_…"></label>
    <button type="submit">Sign in</button>
  </form>
</section>`,
  );
}

export function sessionRoutes(deps: WebDeps): Router {
  const r = Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });

  r.get('/signin', (_req, res) => void res.type('html').send(signInPage()));

  r.post('/signin', form, async (req: Request, res: Response) => {
    // A cross-site form could otherwise sign a visitor into someone else's account.
    if (!sameOrigin(req)) return void res.status(403).type('html').send(signInPage('This sign-in came from another site. Sign in from this page.'));
    const key = typeof req.body?.api_key === 'string' ? req.body.api_key.trim() : '';
    const found = key ? await authenticateApiKey(deps.pool, key) : undefined;
    if (!found) return void res.status(401).type('html').send(signInPage('That key is not valid or has been revoked.'));
    const token = randomToken(32);
    await deps.pool.query(
      `INSERT INTO web_sessions (token_hash, account_id, key_id, expires_at) VALUES ($1, $2, $3, now() + make_interval(days => $4))`,
      [hashSecret(token), found.accountId, found.keyId, SESSION_DAYS],
    );
    // Expired sessions go away on the way in, so the table does not grow forever.
    deps.pool.query('DELETE FROM web_sessions WHERE expires_at < now()').catch(() => undefined);
    res.set('Set-Cookie', cookie(req, token, SESSION_DAYS * 86400)).redirect(303, '/');
  });

  r.post('/signout', async (req, res) => {
    const token = readCookie(req, SESSION_COOKIE);
    if (token && sameOrigin(req)) await deps.pool.query('DELETE FROM web_sessions WHERE token_hash = $1', [hashSecret(token)]);
    res.set('Set-Cookie', cookie(req, '', 0)).redirect(303, '/signin');
  });

  return r;
}
