/**
 * The monthly lookup quota: only lookups that found an address count (as Hunter and the
 * original Toofr did): single finds (kept in usage_monthly by a trigger, migration 005) plus the
 * addresses found by the account's lists created this month. Checked before a lookup or list is
 * accepted; a lookup already running when the quota fills still finishes.
 */
import type { Pool } from '../../core/db/pool.ts';
import { ApiError } from './errors.ts';

export interface Usage {
  month: string;
  found: number;
  /** 0 = no quota. */
  quota: number;
}

export async function monthlyUsage(pool: Pool, accountId: number, quota: number): Promise<Usage> {
  const { rows } = await pool.query<{ month: string; found: number }>(
    `WITH m AS (SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date AS month)
     SELECT to_char(m.month, 'YYYY-MM') AS month,
            COALESCE((SELECT found FROM usage_monthly u WHERE u.account_id = $1 AND u.month = m.month), 0)
          + COALESCE((SELECT sum(found) FROM lists l WHERE l.account_id = $1 AND l.created_at >= (m.month::timestamp AT TIME ZONE 'UTC')), 0)::int AS found
       FROM m`,
    [accountId],
  );
  return { month: rows[0]!.month, found: rows[0]!.found, quota };
}

/** Throws 429 `quota_exceeded` when the account has used its month. */
export async function checkQuota(pool: Pool, accountId: number, quota: number): Promise<void> {
  if (!quota) return;
  const usage = await monthlyUsage(pool, accountId, quota);
  if (usage.found < quota) return;
  const now = new Date();
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  const retryAfter = String(Math.ceil((next - now.getTime()) / 1000));
  throw new ApiError(429, 'quota_exceeded', `This account has found ${usage.found} addresses this month, its quota of ${quota}. The quota renews on the 1st (UTC); ask the operator for a larger one (MONTHLY_LOOKUP_QUOTA).`, {
    'Retry-After': retryAfter,
  });
}
