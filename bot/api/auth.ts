/**
 * Who is calling: an API key (`Authorization: Bearer …`, or `?api_key=` for spreadsheet
 * formulas that cannot set headers), a web-page session cookie, or — in local single-user mode
 * only — anyone connecting from this machine, as the CLI's `local` account.
 *
 * A key that is present but wrong is an error even in local mode: silently falling back to the
 * local account would hide a misconfigured client.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Settings } from '../../core/config.ts';
import type { Pool } from '../../core/db/pool.ts';
import { authenticateApiKey, hashSecret } from '../../core/api-keys.ts';
import { ensureAccount } from '../../core/lists/store.ts';
import { ApiError } from './errors.ts';

export interface Caller {
  accountId: number;
  /** The key behind the request (directly or through a session); rate limits count per key. */
  keyId: number | null;
  via: 'key' | 'session' | 'local';
}

export const SESSION_COOKIE = 'toofr_session';

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * The socket's own peer, not X-Forwarded-For: a proxy on this machine would make every
 * internet request look local, so a forwarded request never counts as local.
 */
export function isLocalRequest(req: Request): boolean {
  if (req.headers['x-forwarded-for'] || req.headers.forwarded) return false;
  const a = req.socket.remoteAddress ?? '';
  return a === '127.0.0.1' || a === '::1' || a === '::ffff:127.0.0.1';
}

function presentedKey(req: Request): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const m = auth.match(/^Bearer\s+(\S+)\s*$/i);
    if (!m) throw new ApiError(401, 'unauthorized', 'The Authorization header must be "Bearer <your API key>". Create a key with `toofr keys create`.');
    return m[1];
  }
  const q = req.query.api_key;
  if (q !== undefined) {
    if (typeof q !== 'string' || !q) throw new ApiError(401, 'unauthorized', 'api_key must be given once, as your API key.');
    return q;
  }
  return undefined;
}

export function createAuthenticator(deps: { settings: Settings; pool: Pool }) {
  let localAccount: Promise<number> | undefined;
  const local = () => (localAccount ??= ensureAccount(deps.pool, 'local', 'local').catch((err: unknown) => {
    localAccount = undefined;
    throw err;
  }));

  /** The caller, or undefined when the request carries no credentials at all. */
  async function identify(req: Request): Promise<Caller | undefined> {
    const key = presentedKey(req);
    if (key !== undefined) {
      const found = await authenticateApiKey(deps.pool, key);
      if (!found) throw new ApiError(401, 'unauthorized', 'This API key is not valid or has been revoked. Check it, or create a new one with `toofr keys create`.');
      return { accountId: found.accountId, keyId: found.keyId, via: 'key' };
    }
    const token = readCookie(req, SESSION_COOKIE);
    if (token) {
      const { rows } = await deps.pool.query<{ account_id: number; key_id: number | null }>(
        `SELECT s.account_id, s.key_id FROM web_sessions s LEFT JOIN api_keys k ON k.id = s.key_id
          WHERE s.token_hash = $1 AND s.expires_at > now() AND (s.key_id IS NULL OR k.revoked_at IS NULL)`,
        [hashSecret(token)],
      );
      if (rows[0]) return { accountId: rows[0].account_id, keyId: rows[0].key_id, via: 'session' };
    }
    if (deps.settings.api.localMode && isLocalRequest(req)) return { accountId: await local(), keyId: null, via: 'local' };
    return undefined;
  }

  /** Express middleware for the API: sets `res.locals.caller` or answers 401. */
  async function requireCaller(req: Request, res: Response, next: NextFunction): Promise<void> {
    const caller = await identify(req);
    if (!caller) {
      throw new ApiError(401, 'unauthorized', 'An API key is required: send "Authorization: Bearer <key>" (or ?api_key=<key>). Create one with `toofr keys create`.', {
        'WWW-Authenticate': 'Bearer realm="toofr"',
      });
    }
    // A page session rides on a cookie the browser sends by itself: refuse cross-site writes.
    if (caller.via === 'session' && !['GET', 'HEAD', 'OPTIONS'].includes(req.method) && !sameOrigin(req)) {
      throw new ApiError(403, 'cross_site_request', 'This request came from another site. Use an API key for requests from other origins.');
    }
    res.locals.caller = caller;
    next();
  }

  return { identify, requireCaller };
}

/** The Origin (or Referer) names this host: the request was made by our own pages. */
export function sameOrigin(req: Request): boolean {
  const origin = req.headers.origin ?? req.headers.referer;
  if (!origin) return false;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function callerOf(res: Response): Caller {
  const c = res.locals.caller as Caller | undefined;
  if (!c) throw new Error('callerOf() used on a route without requireCaller');
  return c;
}
