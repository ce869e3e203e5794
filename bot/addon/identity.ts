/**
 * Who is calling: the add-on sends `ScriptApp.getIdentityToken()` (a Google-signed OpenID token)
 * as a bearer token. It is checked offline against Google's signing keys (cached), our OAuth
 * client ids as audience, issuer and expiry; the Google user becomes a Toofr account.
 * The token is never logged; a bad one gets 401 with what to do.
 */
import type { NextFunction, Request, Response } from 'express';
import { OAuth2Client } from 'google-auth-library';
import type { Pool } from '../../core/db/pool.ts';
import type { Logger } from '../../core/logger.ts';
import { ensureAccount } from '../../core/lists/store.ts';

export interface AddonUser {
  accountId: number;
  sub: string;
  email: string;
}

export type AddonRequest = Request & { addonUser?: AddonUser };

export function requireGoogleUser(opts: { clientIds: string[]; certsUrl: string | undefined; pool: Pool; log: Logger }) {
  const verifier = new OAuth2Client(opts.certsUrl ? { endpoints: { oauth2FederatedSignonPemCertsUrl: opts.certsUrl } } : {});
  return async (req: AddonRequest, res: Response, next: NextFunction) => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!m) {
      res.status(401).json({ error: 'not_signed_in', message: 'The add-on sent no Google sign-in. Reload the sheet and open Toofr again.' });
      return;
    }
    let payload;
    try {
      payload = (await verifier.verifyIdToken({ idToken: m[1]!, audience: opts.clientIds })).getPayload();
    } catch (err) {
      // google-auth-library appends the token (or its payload) after a colon: keep only the reason.
      const reason = (err as Error).message.split(':')[0]!.trim();
      // Failing to fetch Google's keys is our problem, not the user's token.
      if (/verification certificates/.test(reason)) {
        opts.log.error({ err }, 'could not fetch Google signing keys to check an add-on sign-in');
        res.status(503).json({ error: 'unavailable', message: 'Toofr could not check your Google sign-in right now. Try again in a minute.' });
        return;
      }
      opts.log.info({ reason }, 'add-on identity token refused');
      res.status(401).json({ error: 'not_signed_in', message: `Your Google sign-in could not be verified (${reason}). Reload the sheet and open Toofr again.` });
      return;
    }
    if (!payload?.sub || !payload.email || payload.email_verified === false) {
      res.status(401).json({ error: 'not_signed_in', message: 'Your Google sign-in has no verified email address. Reload the sheet and authorize the add-on again.' });
      return;
    }
    const accountId = await ensureAccount(opts.pool, 'google', payload.sub, payload.email);
    req.addonUser = { accountId, sub: payload.sub, email: payload.email };
    next();
  };
}
