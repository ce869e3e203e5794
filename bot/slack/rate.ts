/**
 * Slack's limits are per workspace (chat.update: Tier 3, ~50/min) and per channel (~1 message
 * write/s), and Toofr may run many worker processes, so the budget lives in Postgres: a token
 * bucket per key where taking a token may drive the count below zero, which *reserves* a later
 * slot (wait = deficit / rate). Every process therefore queues behind the others instead of all
 * firing at once when a window opens. A 429 blocks the key until its Retry-After.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '@slack/web-api';
import type { Pool } from '../../core/db/pool.ts';

export interface Bucket {
  key: string;
  capacity: number;
  perSecond: number;
}

/** Progress edits per workspace: 40/min with a burst of 5, leaving room for replies and final edits. */
export const workspaceBucket = (teamId: string): Bucket => ({ key: teamId, capacity: 5, perSecond: 40 / 60 });
/** One write per second per channel, as Slack asks. */
export const channelBucket = (teamId: string, channel: string): Bucket => ({ key: `${teamId}/${channel}`, capacity: 1, perSecond: 1 });

/** Takes one token; resolves with how long to wait before using it (0 = now). */
export async function reserve(pool: Pool, b: Bucket): Promise<number> {
  const { rows } = await pool.query<{ tokens: number; blocked_ms: number }>(
    `INSERT INTO slack_rate (key, tokens, refilled_at) VALUES ($1, $2::float8 - 1, clock_timestamp())
     ON CONFLICT (key) DO UPDATE SET
       tokens = LEAST($2::float8, slack_rate.tokens + EXTRACT(EPOCH FROM clock_timestamp() - slack_rate.refilled_at) * $3::float8) - 1,
       refilled_at = clock_timestamp()
     RETURNING tokens, GREATEST(0, COALESCE(EXTRACT(EPOCH FROM blocked_until - clock_timestamp()) * 1000, 0))::float8 AS blocked_ms`,
    [b.key, b.capacity, b.perSecond],
  );
  const { tokens, blocked_ms } = rows[0]!;
  return Math.ceil(Math.max(tokens < 0 ? (-tokens / b.perSecond) * 1000 : 0, blocked_ms));
}

/** Gives back a token that was reserved but not used. */
export async function refund(pool: Pool, b: Bucket): Promise<void> {
  await pool.query('UPDATE slack_rate SET tokens = LEAST($2::float8, tokens + 1) WHERE key = $1', [b.key, b.capacity]);
}

/** Slack said 429: nothing on this key before Retry-After. */
export async function block(pool: Pool, key: string, seconds: number): Promise<void> {
  await pool.query(
    `INSERT INTO slack_rate (key, tokens, blocked_until) VALUES ($1, 0, clock_timestamp() + make_interval(secs => $2))
     ON CONFLICT (key) DO UPDATE SET blocked_until = GREATEST(slack_rate.blocked_until, EXCLUDED.blocked_until)`,
    [key, seconds],
  );
}

export function retryAfterOf(err: unknown): number | undefined {
  const e = err as { code?: string; retryAfter?: number };
  return e?.code === ErrorCode.RateLimitedError ? (e.retryAfter ?? 1) : undefined;
}

/** Thrown when Slack asks us to wait longer than is worth holding a job for; the queue retries it later. */
export class SlackBusyError extends Error {
  readonly retryAfterSeconds: number;
  constructor(method: string, seconds: number) {
    super(`Slack rate-limited ${method} for ${seconds} s; the delivery will be retried later (the results are kept).`);
    this.retryAfterSeconds = seconds;
  }
}

/**
 * Runs a Slack call; a 429 waits out its Retry-After (abortable) and tries again, up to
 * `maxWaitSeconds` in total, then throws SlackBusyError so the job is retried later instead.
 */
export async function withRetryAfter<T>(
  method: string,
  fn: () => Promise<T>,
  opts: { signal?: AbortSignal; maxWaitSeconds?: number; onRateLimited?: (seconds: number) => Promise<void> | void } = {},
): Promise<T> {
  let waited = 0;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const seconds = retryAfterOf(err);
      if (seconds === undefined) throw err;
      await opts.onRateLimited?.(seconds);
      if (waited + seconds > (opts.maxWaitSeconds ?? 60)) throw new SlackBusyError(method, seconds);
      waited += seconds;
      await sleep(seconds * 1000, undefined, { signal: opts.signal });
    }
  }
}

/** Slack errors that no retry will fix: the bot lost access to the channel or the workspace. */
const PERMANENT = new Set([
  'not_in_channel', 'channel_not_found', 'is_archived', 'invalid_auth', 'token_revoked', 'account_inactive',
  'not_authed', 'missing_scope', 'message_not_found', 'cant_update_message', 'team_access_not_granted', 'ekm_access_denied',
]);

export function permanentSlackError(err: unknown): string | undefined {
  const e = err as { code?: string; data?: { error?: string } };
  return e?.code === ErrorCode.PlatformError && e.data?.error && PERMANENT.has(e.data.error) ? e.data.error : undefined;
}
