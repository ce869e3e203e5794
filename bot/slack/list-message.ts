/**
 * The threaded message each Slack list keeps up to date. Where it is (channel, ts, thread) is
 * written into the list's source_ref when the list is created, so progress and delivery find it
 * even if they run before the intake stored its row; the row then holds what was last sent.
 */
import type { Pool } from '../../core/db/pool.ts';
import type { ListRow } from '../../core/lists/store.ts';

/** What bot/slack/intake.ts puts in lists.source_ref. */
export interface SlackSourceRef {
  team_id: string;
  enterprise_id?: string;
  channel: string;
  /** The file's message: results go into its thread. */
  thread_ts?: string;
  /** Toofr's reply in that thread, edited with progress. */
  message_ts: string;
  file_id: string;
  user?: string;
}

export interface ListMessage {
  list_id: string;
  team_id: string;
  channel_id: string;
  ts: string;
  thread_ts: string | null;
  last_text: string | null;
  updated_at: Date | null;
  uploaded_file_id: string | null;
  delivered_at: Date | null;
}

export function sourceRefOf(list: ListRow): SlackSourceRef | undefined {
  const ref = list.source_ref as Partial<SlackSourceRef>;
  return ref.team_id && ref.channel && ref.message_ts ? (ref as SlackSourceRef) : undefined;
}

export async function listMessage(pool: Pool, list: ListRow): Promise<ListMessage | undefined> {
  const ref = sourceRefOf(list);
  if (!ref) return undefined;
  const { rows } = await pool.query<ListMessage>(
    `WITH ins AS (
       INSERT INTO slack_list_messages (list_id, team_id, channel_id, ts, thread_ts) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (list_id) DO NOTHING RETURNING *)
     SELECT * FROM ins UNION ALL SELECT * FROM slack_list_messages WHERE list_id = $1 LIMIT 1`,
    [list.id, ref.team_id, ref.channel, ref.message_ts, ref.thread_ts ?? null],
  );
  if (rows[0]) return rows[0];
  // A concurrent insert won the race; its row was not in this statement's snapshot.
  const again = await pool.query<ListMessage>('SELECT * FROM slack_list_messages WHERE list_id = $1', [list.id]);
  return again.rows[0];
}
