/**
 * Live progress in the list's threaded message, coalesced. Progress jobs arrive every couple of
 * seconds per list from any worker process; for each message at most one sender is active (a
 * lease in Postgres): the others return at once, because the active one reads the list again
 * right before it sends, so their newer counts are not lost, only merged. The sender waits for a
 * token from the channel's (1/s) and the workspace's (40/min) budgets, so many lists in one
 * workspace share Slack's limits instead of tripping them; a 429 blocks the workspace until its
 * Retry-After and skips this update (the next one, or the delivery, brings the message up to date).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Settings } from '../../core/config.ts';
import type { Pool } from '../../core/db/pool.ts';
import { getList, type ListRow } from '../../core/lists/store.ts';
import type { Logger } from '../../core/logger.ts';
import { progressMessage } from './blocks.ts';
import { slackClient } from './client.ts';
import { listMessage, sourceRefOf } from './list-message.ts';
import { block, channelBucket, refund, reserve, retryAfterOf, workspaceBucket } from './rate.ts';
import { botAuthFor } from './tokens.ts';

export interface ProgressDeps {
  settings: Settings;
  pool: Pool;
  log: Logger;
  signal: AbortSignal;
  /** Longest we hold a progress job waiting for a slot; past it this update is skipped. */
  maxWaitMs?: number;
}

export type ProgressOutcome = 'sent' | 'coalesced' | 'unchanged' | 'skipped' | 'finished' | 'rate_limited';

export async function updateProgress(deps: ProgressDeps, list: ListRow): Promise<ProgressOutcome> {
  const { pool, log } = deps;
  const ref = sourceRefOf(list);
  const msg = ref && (await listMessage(pool, list));
  if (!ref || !msg) return 'skipped';
  const { rowCount } = await pool.query(
    `UPDATE slack_list_messages SET claimed_until = clock_timestamp() + interval '30 seconds'
      WHERE list_id = $1 AND delivered_at IS NULL AND (claimed_until IS NULL OR claimed_until < clock_timestamp())`,
    [list.id],
  );
  if (!rowCount) return 'coalesced';
  try {
    const auth = await botAuthFor(pool, deps.settings, ref.team_id, ref.enterprise_id);
    if (!auth) return 'skipped';
    const buckets = [channelBucket(ref.team_id, ref.channel), workspaceBucket(ref.team_id)];
    const waits = await Promise.all(buckets.map((b) => reserve(pool, b)));
    const wait = Math.max(...waits);
    if (wait > (deps.maxWaitMs ?? 5000)) {
      await Promise.all(buckets.map((b) => refund(pool, b)));
      return 'skipped';
    }
    if (wait > 0) await sleep(wait, undefined, { signal: deps.signal });
    // The freshest counts, read after the wait: this is what makes skipped updates harmless.
    const now = await getList(pool, list.id);
    if (!now || !['importing', 'running'].includes(now.status)) return 'finished';
    const m = progressMessage(now);
    const { rows: [sent] } = await pool.query<{ last_text: string | null }>('SELECT last_text FROM slack_list_messages WHERE list_id = $1', [list.id]);
    if (m.text === sent?.last_text) return 'unchanged';
    try {
      await slackClient(deps.settings, log, auth.token, ref.team_id).chat.update({ channel: ref.channel, ts: ref.message_ts, text: m.text, blocks: m.blocks as never });
    } catch (err) {
      const seconds = retryAfterOf(err);
      if (seconds === undefined) throw err;
      await block(pool, ref.team_id, seconds);
      log.info({ listId: list.id, retryAfter: seconds }, 'Slack rate-limited a progress update; skipping it');
      return 'rate_limited';
    }
    await pool.query(
      `UPDATE slack_list_messages SET last_text = $2, updated_at = clock_timestamp() WHERE list_id = $1 AND delivered_at IS NULL`,
      [list.id, m.text],
    );
    return 'sent';
  } finally {
    await pool.query('UPDATE slack_list_messages SET claimed_until = NULL WHERE list_id = $1', [list.id]);
  }
}
