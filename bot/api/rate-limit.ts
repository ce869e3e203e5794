/**
 * Requests per minute per API key, counted in Postgres so every web process shares one count:
 * a fixed one-minute window per key, one upsert per request. A fixed window lets a client spend
 * up to twice the limit across a window boundary; in exchange it needs one row per key per
 * minute and no clock agreement between processes (the database's now() is the only clock).
 * Requests without a key (local mode) are not limited.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Pool } from '../../core/db/pool.ts';
import { callerOf } from './auth.ts';
import { ApiError } from './errors.ts';

export function rateLimiter(deps: { pool: Pool; perMinute: number }) {
  return async (_req: Request, res: Response, next: NextFunction): Promise<void> => {
    const { keyId } = callerOf(res);
    if (keyId === null) return next();
    const { rows } = await deps.pool.query<{ hits: number; reset: number }>(
      `INSERT INTO rate_limit_windows (key_id, window_start, hits) VALUES ($1, date_trunc('minute', now()), 1)
       ON CONFLICT (key_id, window_start) DO UPDATE SET hits = rate_limit_windows.hits + 1
       RETURNING hits, ceil(extract(epoch FROM window_start + interval '1 minute' - now()))::int AS reset`,
      [keyId],
    );
    const { hits, reset } = rows[0]!;
    // Old windows are useless once past; the first request of each new window sweeps this key's.
    if (hits === 1) {
      deps.pool.query(`DELETE FROM rate_limit_windows WHERE key_id = $1 AND window_start < now() - interval '2 minutes'`, [keyId]).catch(() => undefined);
    }
    const retryAfter = String(Math.max(1, reset));
    res.set({ 'RateLimit-Limit': String(deps.perMinute), 'RateLimit-Remaining': String(Math.max(0, deps.perMinute - hits)), 'RateLimit-Reset': retryAfter });
    if (hits > deps.perMinute) {
      throw new ApiError(429, 'rate_limited', `This key may make ${deps.perMinute} requests a minute. Wait ${retryAfter} s (Retry-After) and try again, or spread requests out.`, {
        'Retry-After': retryAfter,
      });
    }
    next();
  };
}
