/**
 * Delivery of a finished Slack list: the results file goes into the file's thread
 * (files.uploadV2) with a summary, and the progress message becomes the final word. Each step is
 * recorded, so a retried delivery (after a crash, a 5xx, a long 429) does not upload twice. A
 * 429 waits out Retry-After inside the job when that is short, and otherwise throws so pg-boss
 * retries the delivery later; the results live in Postgres all along.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Settings } from '../../core/config.ts';
import type { Pool } from '../../core/db/pool.ts';
import type { ListRow } from '../../core/lists/store.ts';
import { resultsCsv, resultsFilename } from '../../core/lists/results.ts';
import type { Logger } from '../../core/logger.ts';
import { doneMessage, failedMessage, summaryLine, type Summary } from './blocks.ts';
import { slackClient } from './client.ts';
import { listMessage, sourceRefOf } from './list-message.ts';
import { block, permanentSlackError, withRetryAfter } from './rate.ts';
import { botAuthFor } from './tokens.ts';

export interface DeliverDeps {
  settings: Settings;
  pool: Pool;
  log: Logger;
  signal: AbortSignal;
  /** Longest a delivery waits out 429s before handing the job back to the queue. */
  maxRateLimitWaitSeconds?: number;
}

export async function summarize(pool: Pool, listId: string): Promise<Summary> {
  const { rows } = await pool.query<Summary>(
    `SELECT count(*)::int AS rows,
            count(*) FILTER (WHERE status = 'done' AND email IS NOT NULL)::int AS found,
            count(*) FILTER (WHERE status = 'done' AND email IS NOT NULL AND verification = 'valid')::int AS valid,
            count(*) FILTER (WHERE status = 'done' AND email IS NOT NULL AND verification = 'accept_all')::int AS accept_all,
            count(*) FILTER (WHERE status = 'done' AND email IS NULL)::int AS not_found,
            count(*) FILTER (WHERE status = 'bad')::int AS bad,
            count(*) FILTER (WHERE status = 'failed')::int AS failed
       FROM records WHERE list_id = $1`,
    [listId],
  );
  return rows[0]!;
}

async function collect(chunks: AsyncIterable<string>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

export async function deliverList(deps: DeliverDeps, list: ListRow): Promise<'delivered' | 'gone'> {
  const { pool, log, settings } = deps;
  const ref = sourceRefOf(list);
  const msg = ref && (await listMessage(pool, list));
  if (!ref || !msg) {
    log.warn({ listId: list.id }, 'a Slack list has no thread to deliver to; its results stay available on the web');
    return 'gone';
  }
  if (msg.delivered_at) return 'delivered';
  const auth = await botAuthFor(pool, settings, ref.team_id, ref.enterprise_id);
  if (!auth) {
    log.warn({ listId: list.id, team: ref.team_id }, 'Toofr is no longer installed in this Slack workspace; the results stay available on the web');
    return 'gone';
  }
  const client = slackClient(settings, log, auth.token, ref.team_id);
  const retry = {
    signal: deps.signal,
    maxWaitSeconds: deps.maxRateLimitWaitSeconds ?? 60,
    onRateLimited: (s: number) => block(pool, ref.team_id, s),
  };
  const filename = list.filename ?? 'list.csv';
  try {
    let final;
    if (list.status === 'failed') {
      final = failedMessage(filename, list.error ?? 'the file could not be read.');
    } else {
      const summary = await summarize(pool, list.id);
      if (!msg.uploaded_file_id) {
        const name = resultsFilename(filename);
        const file = await collect(resultsCsv(pool, list));
        const threadTs = ref.thread_ts ?? ref.message_ts;
        const res = await withRetryAfter('files.uploadV2', () => client.filesUploadV2({
          channel_id: ref.channel, thread_ts: threadTs, filename: name, title: name, file,
          initial_comment: `Results for *${filename}*: ${summaryLine(summary)}`,
        }), retry);
        // The response nests one completion per file: res.files[0].files[0].id.
        const uploaded = (res as unknown as { files?: Array<{ files?: Array<{ id?: string }> }> }).files?.[0]?.files?.[0]?.id ?? 'uploaded';
        await pool.query('UPDATE slack_list_messages SET uploaded_file_id = $2 WHERE list_id = $1', [list.id, uploaded]);
      }
      final = doneMessage(list, summary, resultsFilename(filename));
    }
    await claimMessage(pool, list.id, deps.signal);
    try {
      await withRetryAfter('chat.update', () => client.chat.update({ channel: ref.channel, ts: ref.message_ts, text: final.text, blocks: final.blocks as never }), retry);
    } catch (err) {
      // The file (with its summary) is in the thread already; a message we cannot edit is not worth a retry.
      if (!permanentSlackError(err)) {
        await pool.query('UPDATE slack_list_messages SET claimed_until = NULL WHERE list_id = $1', [list.id]);
        throw err;
      }
      log.warn({ listId: list.id, error: permanentSlackError(err) }, 'could not edit the progress message');
    }
    await pool.query('UPDATE slack_list_messages SET delivered_at = now(), last_text = $2, claimed_until = NULL WHERE list_id = $1', [list.id, final.text]);
    return 'delivered';
  } catch (err) {
    const permanent = permanentSlackError(err);
    if (!permanent) throw err;
    // The bot was removed from the channel, or lost the workspace: retrying cannot help.
    log.warn({ listId: list.id, error: permanent }, `could not deliver a list to Slack (${permanent}); its results stay available on the web`);
    return 'gone';
  }
}

/**
 * Waits for an in-flight progress update to land, then holds the message: the final text must
 * be the last edit, never overwritten by a progress update that was already on its way.
 */
async function claimMessage(pool: Pool, listId: string, signal: AbortSignal): Promise<void> {
  for (;;) {
    const { rowCount } = await pool.query(
      `UPDATE slack_list_messages SET claimed_until = clock_timestamp() + interval '10 minutes'
        WHERE list_id = $1 AND (claimed_until IS NULL OR claimed_until < clock_timestamp())`,
      [listId],
    );
    if (rowCount) return;
    await sleep(100, undefined, { signal });
  }
}
