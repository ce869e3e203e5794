/**
 * slack.file: a file was shared where Toofr can see it. Runs as a pg-boss job (queued by the
 * file_shared listener, in the same transaction that records the event id), so a file is not
 * lost if the web process restarts between Slack's event and the list being created.
 *
 *   files.info → CSV? → size → download → read the header and count rows → reply in the file's
 *   thread ("leads.csv — 10,000 rows, columns: …") → create the list (import queued with it)
 *
 * A file that cannot become a list gets a reply saying why (too large, no usable columns, not
 * text); files that are not CSVs, and Toofr's own uploads, are ignored without a word.
 */
import type { Job } from 'pg-boss';
import type { Settings } from '../../core/config.ts';
import type { Pool } from '../../core/db/pool.ts';
import type { Boss } from '../../core/queue/boss.ts';
import type { Payloads } from '../../core/queue/queues.ts';
import type { Logger } from '../../core/logger.ts';
import { createList, ensureAccount } from '../../core/lists/store.ts';
import { CsvError, readCsv } from '../../core/lists/read-csv.ts';
import { describeMapping, failedMessage, receivedMessage } from './blocks.ts';
import { slackClient } from './client.ts';
import { DownloadError, downloadFile, tooLargeMessage } from './download.ts';
import type { SlackSourceRef } from './list-message.ts';
import { permanentSlackError, withRetryAfter } from './rate.ts';
import { botAuthFor } from './tokens.ts';

export interface IntakeDeps {
  settings: Settings;
  pool: Pool;
  boss: Boss;
  log: Logger;
}

interface SlackFile {
  id: string;
  name?: string;
  title?: string;
  filetype?: string;
  mimetype?: string;
  size?: number;
  user?: string;
  url_private_download?: string;
  url_private?: string;
  shares?: { public?: Record<string, Array<{ ts: string; thread_ts?: string }>>; private?: Record<string, Array<{ ts: string; thread_ts?: string }>> };
}

const botUsers = new Map<string, Promise<string | undefined>>();
/** Single-workspace mode knows only the token: ask Slack once who the bot is. */
function botUserIdOf(client: ReturnType<typeof slackClient>, token: string): Promise<string | undefined> {
  let who = botUsers.get(token);
  if (!who) {
    who = client.auth.test().then((r) => r.user_id, (err: unknown) => {
      botUsers.delete(token);
      throw err;
    });
    botUsers.set(token, who);
  }
  return who;
}

export function isCsv(f: Pick<SlackFile, 'name' | 'filetype' | 'mimetype'>): boolean {
  return f.filetype === 'csv' || /\.csv$/i.test(f.name ?? '') || /^text\/(csv|comma-separated-values)\b/i.test(f.mimetype ?? '');
}

export type IntakeOutcome = 'list' | 'ignored' | 'not_csv' | 'own_upload' | 'too_large' | 'unusable' | 'uninstalled' | 'duplicate' | 'no_access';

export function intakeHandler(deps: IntakeDeps) {
  return async ([job]: Job<Payloads['slack.file']>[]) => {
    await takeFile(deps, job!.data, job!.signal);
  };
}

export async function takeFile(deps: IntakeDeps, p: Payloads['slack.file'], signal?: AbortSignal): Promise<IntakeOutcome> {
  const { pool, settings, log } = deps;
  // One intake per (team, file, channel), even when Slack sends the share twice under two event
  // ids and both jobs run at once: the first claims the row; a second finds it done, or busy.
  const claimed = await pool.query(
    `INSERT INTO slack_files (team_id, file_id, channel_id, claimed_until) VALUES ($1, $2, $3, now() + interval '3 minutes')
     ON CONFLICT (team_id, file_id, channel_id) DO UPDATE SET claimed_until = EXCLUDED.claimed_until
       WHERE slack_files.outcome IS NULL AND (slack_files.claimed_until IS NULL OR slack_files.claimed_until < now())`,
    [p.teamId, p.fileId, p.channelId],
  );
  if (!claimed.rowCount) {
    const { rows } = await pool.query<{ outcome: string | null }>('SELECT outcome FROM slack_files WHERE team_id = $1 AND file_id = $2 AND channel_id = $3', [p.teamId, p.fileId, p.channelId]);
    if (rows[0]?.outcome) return 'duplicate';
    // Another job is on it right now; if that one dies, this retry takes over after its claim lapses.
    throw new Error(`file ${p.fileId} is being taken in by another job; trying again later`);
  }
  const done = async (outcome: IntakeOutcome, listId?: string) => {
    await pool.query('UPDATE slack_files SET outcome = $4, list_id = $5, claimed_until = NULL WHERE team_id = $1 AND file_id = $2 AND channel_id = $3', [p.teamId, p.fileId, p.channelId, outcome, listId ?? null]);
    return outcome;
  };

  const auth = await botAuthFor(pool, settings, p.teamId, p.enterpriseId);
  if (!auth) return done('uninstalled');
  const client = slackClient(settings, log, auth.token, p.teamId);
  let file: SlackFile;
  try {
    file = (await withRetryAfter('files.info', () => client.files.info({ file: p.fileId }), { signal })).file as SlackFile;
  } catch (err) {
    if (permanentSlackError(err) || (err as { data?: { error?: string } }).data?.error === 'file_not_found') return done('no_access');
    throw err;
  }
  const botUserId = auth.botUserId ?? (await botUserIdOf(client, auth.token));
  if (botUserId && (file.user === botUserId || p.userId === botUserId)) return done('own_upload');
  if (!isCsv(file)) return done('not_csv');

  const filename = file.name || file.title || 'list.csv';
  const share = file.shares?.public?.[p.channelId]?.[0] ?? file.shares?.private?.[p.channelId]?.[0];
  const threadTs = share ? (share.thread_ts ?? share.ts) : undefined;
  const reply = async (m: { text: string; blocks: unknown[] }): Promise<string | undefined> => {
    const res = await withRetryAfter('chat.postMessage', () => client.chat.postMessage({
      channel: p.channelId, text: m.text, blocks: m.blocks as never, ...(threadTs ? { thread_ts: threadTs } : {}),
    }), { signal });
    return res.ts;
  };

  try {
    const max = settings.slack.maxFileBytes;
    if ((file.size ?? 0) > max) {
      await reply(failedMessage(filename, tooLargeMessage(filename, file.size!, max)));
      return done('too_large');
    }
    const url = file.url_private_download ?? file.url_private;
    if (!url) throw new Error(`Slack gave no download link for file ${p.fileId}; check the app has the files:read scope.`);
    let content: Buffer;
    try {
      content = await downloadFile(url, auth.token, filename, max, signal);
    } catch (err) {
      if (!(err instanceof DownloadError) || err.code === 'http') throw err;
      await reply(failedMessage(filename, err.message));
      return done(err.code === 'too_large' ? 'too_large' : 'no_access');
    }

    // Read the header (whole-file problems surface here, worded for the user) and count the rows,
    // so the first reply already says what was understood.
    let rows = 0;
    let columns: string;
    try {
      const csv = await readCsv((async function* () { yield content; })());
      for await (const _ of csv.rows) rows++;
      columns = describeMapping(csv.meta.header, csv.meta.mapping as Record<string, number>);
    } catch (err) {
      if (!(err instanceof CsvError)) throw err;
      await reply(failedMessage(filename, err.message));
      return done('unusable');
    }

    const ts = await reply(receivedMessage(filename, rows, columns));
    const accountId = await ensureAccount(pool, 'slack', p.teamId);
    const sourceRef: SlackSourceRef = {
      team_id: p.teamId, ...(p.enterpriseId ? { enterprise_id: p.enterpriseId } : {}), channel: p.channelId,
      ...(threadTs ? { thread_ts: threadTs } : {}), message_ts: ts!, file_id: p.fileId, ...(p.userId ? { user: p.userId } : {}),
    };
    const { id } = await createList(pool, deps.boss, { accountId, source: 'slack', sourceRef: { ...sourceRef }, filename, content, maxBytes: max });
    log.info({ listId: id, team: p.teamId, rows }, 'list created from a file shared in Slack');
    return done('list', id);
  } catch (err) {
    const permanent = permanentSlackError(err);
    if (!permanent) throw err;
    log.warn({ team: p.teamId, channel: p.channelId, error: permanent }, `could not reply about a shared file (${permanent}); invite the bot to the channel`);
    return done('no_access');
  }
}
